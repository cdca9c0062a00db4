package dev.herald.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class PayloadSealingTest {
    static final String KEY = "0123456789abcdefghijABCDEFGHIJ!#";
    static final String DATA = "{\"amount\":0.1000000000000000055511151231257827,\"memo\":\"caf\u00e9 \u2603 \\\"q\\\"\",\"tags\":[1,2e3,null,true],\"n\":{}}";
    static final byte[] BODY = ("{\"id\":\"evt_0VxSealed\",\"event\":\"transfer.completed\",\"timestamp\":\"2026-01-02T03:04:05Z\","
            + "\"account_uuid\":\"acc-1\",\"data\":" + DATA + "}").getBytes(UTF_8);

    private static void assertRejected(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(WebhookVerificationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    private static Map<?, ?> resource(byte[] sealed) {
        return (Map<?, ?>) PayloadKey.member(MiniJson.topLevel(new String(sealed, UTF_8)), "resource").value();
    }

    @Test
    void sealedBodyReplacesDataWithAWeChatStyleResourceInPlace() {
        byte[] sealed = PayloadKey.parse(KEY).sealBody(BODY);
        String text = new String(sealed, UTF_8);
        assertThat(text).startsWith("{\"id\":\"evt_0VxSealed\",\"event\":\"transfer.completed\",\"timestamp\":\"2026-01-02T03:04:05Z\","
                + "\"account_uuid\":\"acc-1\",\"resource\":{\"original_type\":\"transfer.completed\",\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"");
        assertThat(text).doesNotContain("\"data\"").doesNotContain("amount").endsWith("\"}}");
        Map<?, ?> r = resource(sealed);
        assertThat(List.copyOf(r.keySet())).isEqualTo(List.of("original_type", "algorithm", "ciphertext", "associated_data", "nonce"));
        assertThat(r.get("associated_data")).isEqualTo("evt_0VxSealed");
        assertThat((String) r.get("nonce")).hasSize(12).matches("[A-Za-z0-9_-]{12}");
    }

    @Test
    void decrypterReturnsTheExactDataTextAndTheOriginalBodyByteForByte() {
        byte[] sealed = PayloadKey.parse(KEY).sealBody(BODY);
        WebhookDecrypter d = WebhookDecrypter.create(KEY);
        assertThat(new String(d.decryptData(sealed), UTF_8)).isEqualTo(DATA);
        assertThat(d.unsealBody(sealed)).isEqualTo(BODY);
    }

    @Test
    void sealingIsDeterministicSoRetriesSendTheSameBytes() {
        PayloadKey k = PayloadKey.parse(KEY);
        assertThat(k.sealBody(BODY)).isEqualTo(k.sealBody(BODY)).isEqualTo(PayloadKey.parse(KEY).sealBody(BODY));
    }

    @Test
    void anyDifferenceInKeyEventIdOrDataGivesAFreshNonce() {
        String base = (String) resource(PayloadKey.parse(KEY).sealBody(BODY)).get("nonce");
        String otherKey = (String) resource(PayloadKey.generate().sealBody(BODY)).get("nonce");
        String otherId = (String) resource(PayloadKey.parse(KEY).sealBody(new String(BODY, UTF_8).replace("evt_0VxSealed", "evt_0VxSealee").getBytes(UTF_8))).get("nonce");
        String otherData = (String) resource(PayloadKey.parse(KEY).sealBody(new String(BODY, UTF_8).replace("acc-1\",\"data\":{\"amount\":0.1", "acc-1\",\"data\":{\"amount\":0.2").getBytes(UTF_8))).get("nonce");
        assertThat(List.of(otherKey, otherId, otherData)).doesNotContain(base).doesNotHaveDuplicates();
    }

    @Test
    void wrongKeyOrAnyAlteredFieldFailsToOpen() {
        byte[] sealed = PayloadKey.parse(KEY).sealBody(BODY);
        String text = new String(sealed, UTF_8);
        assertRejected(() -> WebhookDecrypter.create(PayloadKey.generate()).decryptData(sealed), Reason.DECRYPTION_FAILED);
        String nonce = (String) resource(sealed).get("nonce");
        String ct = (String) resource(sealed).get("ciphertext");
        String flippedNonce = (nonce.charAt(0) == 'A' ? 'B' : 'A') + nonce.substring(1);
        String flippedCt = ct.substring(0, 4) + (ct.charAt(4) == 'A' ? 'B' : 'A') + ct.substring(5);
        WebhookDecrypter d = WebhookDecrypter.create(KEY);
        assertRejected(() -> d.decryptData(text.replace(nonce, flippedNonce).getBytes(UTF_8)), Reason.DECRYPTION_FAILED);
        assertRejected(() -> d.decryptData(text.replace(ct, flippedCt).getBytes(UTF_8)), Reason.DECRYPTION_FAILED);
        assertRejected(() -> d.decryptData(text.replace("AEAD_AES_256_GCM", "AEAD_AES_128_GCM").getBytes(UTF_8)), Reason.DECRYPTION_FAILED);
    }

    @Test
    void aResourceMovedUnderAnotherEventIdIsRefused() {
        String text = new String(PayloadKey.parse(KEY).sealBody(BODY), UTF_8);
        byte[] moved = text.replaceFirst("\"id\":\"evt_0VxSealed\"", "\"id\":\"evt_victim\"").getBytes(UTF_8);
        assertRejected(() -> WebhookDecrypter.create(KEY).decryptData(moved), Reason.DECRYPTION_FAILED);
        byte[] relabelled = text.replace("evt_0VxSealed", "evt_victim").getBytes(UTF_8); // both id and associated_data
        assertRejected(() -> WebhookDecrypter.create(KEY).decryptData(relabelled), Reason.DECRYPTION_FAILED);
    }

    @Test
    void bodiesThatAreNotSealedEventsAreMalformed() {
        WebhookDecrypter d = WebhookDecrypter.create(KEY);
        assertRejected(() -> d.decryptData(BODY), Reason.MALFORMED_BODY);
        assertRejected(() -> d.decryptData("not json".getBytes(UTF_8)), Reason.MALFORMED_BODY);
        assertRejected(() -> d.decryptData(new byte[] {'{', (byte) 0xff, '}'}), Reason.MALFORMED_BODY);
        assertRejected(() -> d.decryptData("{\"id\":\"e\",\"resource\":{\"nonce\":\"x\"}}".getBytes(UTF_8)), Reason.MALFORMED_BODY);
        assertThatThrownBy(() -> PayloadKey.parse(KEY).sealBody("{\"id\":\"e\"}".getBytes(UTF_8))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PayloadKey.parse(KEY).sealBody("{\"id\":1,\"data\":{}}".getBytes(UTF_8))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PayloadKey.parse(KEY).sealBody("{\"id\":\"e\",\"data\":{},\"data\":{}}".getBytes(UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysAreThirtyTwoPrintableAsciiCharactersAndNeverPrinted() {
        PayloadKey k = PayloadKey.generate();
        assertThat(k.encoded()).hasSize(32).matches("[A-Za-z0-9]{32}");
        assertThat(PayloadKey.parse(k.encoded()).sealBody(BODY)).isEqualTo(k.sealBody(BODY));
        assertThat(k.toString()).doesNotContain(k.encoded().substring(0, 6)).contains("AEAD_AES_256_GCM");
        assertThat(PayloadKey.parse(KEY).toString() + WebhookDecrypter.create(KEY)).doesNotContain("0123456789");
        for (String bad : List.of("short", KEY + "x", KEY.replace('!', ' '), KEY.replace('!', '\u00e9'))) {
            assertThatThrownBy(() -> PayloadKey.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .message().doesNotContain("0123456789");
        }
    }
}
