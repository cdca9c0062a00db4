package dev.herald.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class AsymmetricSignatureTest {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String ID = "evt_0VxAsymmetric";
    static final long TS = 1_700_000_000L;
    static final byte[] BODY = "{\"id\":\"evt_0VxAsymmetric\",\"data\":{\"amount\":\"10.00\"}}".getBytes(UTF_8);
    static final SigningKey ED = SigningKey.generateEd25519();
    static final SigningKey ED_PREVIOUS = SigningKey.generateEd25519();
    static final SigningKey RSA = SigningKeyTest.RSA_2048;
    static final SigningKey RSA_PREVIOUS = SigningKey.generateRsa(2048);
    static final SignatureSchemes ALL = SignatureSchemes.parse(List.of("sha256", "v1", "v1a", "rsa-sha256"));

    private static WebhookVerifier.Builder at(long epochSecond) {
        return WebhookVerifier.builder().clock(Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC)).tolerance(Duration.ofMinutes(5));
    }

    private static Map<String, List<String>> asHeaders(Map<String, String> h) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        h.forEach((k, v) -> out.put(k, List.of(v)));
        return out;
    }

    private static void assertRejected(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(WebhookVerificationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void defaultSchemesProduceExactlyTheClassicAndV1HeadersAsBefore() {
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.DEFAULT, List.of(SECRET), List.of(ED, RSA), ID, TS, BODY);
        assertThat(h).containsExactly(
                Map.entry("X-Webhook-Signature", WebhookSigner.classicSignature(SECRET, BODY)),
                Map.entry("webhook-id", ID),
                Map.entry("webhook-timestamp", Long.toString(TS)),
                Map.entry("webhook-signature", WebhookSigner.standardSignature(SECRET, ID, TS, BODY)));
    }

    @Test
    void everySchemeSignsAndEachCredentialAloneVerifiesTheRequest() {
        Map<String, String> h = WebhookSigner.signatureHeaders(ALL, List.of(SECRET), List.of(ED, RSA), ID, TS, BODY);
        assertThat(h.get("webhook-signature").split(" ")).hasSize(2).satisfies(e -> {
            assertThat(e[0]).startsWith("v1,");
            assertThat(e[1]).startsWith("v1a,");
        });
        assertThat(h.get("webhook-signature-rsa")).startsWith(RSA.kid() + ",");
        var headers = asHeaders(h);
        assertThatCode(() -> at(TS).secret(SECRET).build().verify(headers, BODY)).doesNotThrowAnyException();
        assertThatCode(() -> at(TS).publicKey(ED.verificationKey()).build().verify(headers, BODY)).doesNotThrowAnyException();
        assertThatCode(() -> at(TS).publicKey(RSA.verificationKey()).build().verify(headers, BODY)).doesNotThrowAnyException();
        assertThatCode(() -> at(TS).publicKey(RSA.verificationKey()).build()
                .verifyRsa(ID, Long.toString(TS), h.get("webhook-signature-rsa"), BODY)).doesNotThrowAnyException();
        assertThatCode(() -> at(TS).publicKey(ED.verificationKey()).build()
                .verifyStandard(ID, Long.toString(TS), h.get("webhook-signature"), BODY)).doesNotThrowAnyException();
    }

    @Test
    void asymmetricOnlySchemesSendNoClassicHeaderAndNeedNoSecret() {
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("v1a", "rsa-sha256")), List.of(),
                List.of(ED, RSA), ID, TS, BODY);
        assertThat(h.keySet()).containsExactly("webhook-id", "webhook-timestamp", "webhook-signature", "webhook-signature-rsa");
        assertThat(h.get("webhook-signature")).startsWith("v1a,").doesNotContain(" ");
        assertRejected(() -> at(TS).secret(SECRET).build().verify(asHeaders(h), BODY), Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    void duringRotationBothKeysSignCurrentFirstAndEitherVerifies() {
        SignatureSchemes schemes = SignatureSchemes.parse(List.of("v1a", "rsa-sha256"));
        Map<String, String> h = WebhookSigner.signatureHeaders(schemes, List.of(), List.of(ED, RSA, ED_PREVIOUS, RSA_PREVIOUS), ID, TS, BODY);
        assertThat(h.get("webhook-signature").split(" ")).hasSize(2);
        assertThat(h.get("webhook-signature-rsa").split(" ")).hasSize(2)
                .satisfies(e -> assertThat(e[0]).startsWith(RSA.kid() + ",")).satisfies(e -> assertThat(e[1]).startsWith(RSA_PREVIOUS.kid() + ","));
        for (SigningKey k : List.of(ED, RSA, ED_PREVIOUS, RSA_PREVIOUS)) {
            assertThatCode(() -> at(TS).publicKey(k.verificationKey()).build().verify(asHeaders(h), BODY)).doesNotThrowAnyException();
        }
    }

    @Test
    void aSchemeWithoutItsKeyIsAnError() {
        assertThatThrownBy(() -> WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("v1a")), List.of(SECRET), List.of(RSA), ID, TS, BODY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ED25519");
        assertThatThrownBy(() -> WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("rsa-sha256")), List.of(), List.of(ED), ID, TS, BODY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RSA");
        assertThatThrownBy(() -> WebhookSigner.signatureHeaders(SignatureSchemes.DEFAULT, List.of(), List.of(ED), ID, TS, BODY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("secret");
        assertThatThrownBy(() -> WebhookSigner.ed25519Signature(RSA, ID, TS, BODY)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsTamperedBodyIdOrTimestampUnderEveryPublicKeyScheme() {
        Map<String, String> h = WebhookSigner.signatureHeaders(ALL, List.of(SECRET), List.of(ED, RSA), ID, TS, BODY);
        for (SigningKey k : List.of(ED, RSA)) {
            WebhookVerifier v = at(TS).publicKey(k.verificationKey()).build();
            assertRejected(() -> v.verify(asHeaders(h), "{\"id\":\"evt_0VxAsymmetric\",\"data\":{\"amount\":\"99.00\"}}".getBytes(UTF_8)),
                    Reason.NO_MATCHING_SIGNATURE);
            Map<String, String> otherId = new LinkedHashMap<>(h);
            otherId.put("webhook-id", "evt_other");
            assertRejected(() -> v.verify(asHeaders(otherId), BODY), Reason.NO_MATCHING_SIGNATURE);
            Map<String, String> otherTs = new LinkedHashMap<>(h);
            otherTs.put("webhook-timestamp", Long.toString(TS + 1));
            assertRejected(() -> v.verify(asHeaders(otherTs), BODY), Reason.NO_MATCHING_SIGNATURE);
        }
    }

    @Test
    void anUntrustedKeysSignatureIsRejectedEvenWhenWellFormed() {
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("v1a", "rsa-sha256")), List.of(),
                List.of(ED_PREVIOUS, RSA_PREVIOUS), ID, TS, BODY);
        assertRejected(() -> at(TS).publicKey(ED.verificationKey()).publicKey(RSA.verificationKey()).build().verify(asHeaders(h), BODY),
                Reason.NO_MATCHING_SIGNATURE);
        // An RSA entry relabelled with the trusted key's kid still fails: the signature is checked, not the label.
        String relabelled = RSA.kid() + h.get("webhook-signature-rsa").substring(RSA_PREVIOUS.kid().length());
        assertRejected(() -> at(TS).publicKey(RSA.verificationKey()).build().verifyRsa(ID, Long.toString(TS), relabelled, BODY),
                Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    void timestampToleranceAppliesToAsymmetricSchemes() {
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("rsa-sha256")), List.of(), List.of(RSA), ID, TS, BODY);
        assertThatCode(() -> at(TS + 300).publicKey(RSA.verificationKey()).build().verify(asHeaders(h), BODY)).doesNotThrowAnyException();
        assertRejected(() -> at(TS + 301).publicKey(RSA.verificationKey()).build().verify(asHeaders(h), BODY), Reason.TIMESTAMP_TOO_OLD);
        assertRejected(() -> at(TS - 301).publicKey(RSA.verificationKey()).build().verify(asHeaders(h), BODY), Reason.TIMESTAMP_TOO_NEW);
    }

    @Test
    void malformedAndMissingAsymmetricHeadersAreReportedAsSuch() {
        WebhookVerifier v = at(TS).publicKey(RSA.verificationKey()).publicKey(ED.verificationKey()).build();
        assertRejected(() -> v.verifyRsa(ID, Long.toString(TS), "no-comma", BODY), Reason.MALFORMED_SIGNATURE);
        assertRejected(() -> v.verifyRsa(ID, Long.toString(TS), RSA.kid() + ",not*base64", BODY), Reason.MALFORMED_SIGNATURE);
        assertRejected(() -> v.verifyStandard(ID, Long.toString(TS), "v1a,AAAA", BODY), Reason.NO_MATCHING_SIGNATURE);
        assertRejected(() -> v.verify(asHeaders(Map.of("webhook-id", ID, "webhook-timestamp", Long.toString(TS))), BODY), Reason.MISSING_HEADER);
        assertRejected(() -> v.verify(asHeaders(Map.of("X-Webhook-Signature", WebhookSigner.classicSignature(SECRET, BODY))), BODY),
                Reason.MISSING_HEADER);
        assertThatThrownBy(() -> WebhookVerifier.forPublicKeys(List.of(ED.verificationKey())).verifyClassic("sha256=00", BODY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookVerifier.builder().build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void publicKeysFromEveryTextFormVerifyAlike() {
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("v1a", "rsa-sha256")), List.of(),
                List.of(ED, RSA), ID, TS, BODY);
        for (VerificationKey k : List.of(VerificationKey.parse(ED.verificationKey().toWhpk()), VerificationKey.parse(ED.verificationKey().toPem()),
                VerificationKey.fromJwk(ED.verificationKey().toJwk()), VerificationKey.parse(RSA.verificationKey().toPem()),
                VerificationKey.fromJwk(RSA.verificationKey().toJwk()))) {
            assertThatCode(() -> at(TS).publicKey(k).build().verify(asHeaders(h), BODY)).as(k.toString()).doesNotThrowAnyException();
        }
    }
}
