package dev.herald.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

    // Published example from the Standard Webhooks 1.0 specification.
    static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    static final long SPEC_TS = 1614265330L;
    static final byte[] SPEC_BODY = "{\"test\": 2432232314}".getBytes(UTF_8);
    static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    // Expected hex computed outside this code base with:
    //   printf '%s' '{"event":"ping"}' | openssl dgst -sha256 -hmac 'whsec_classic-test-secret'
    static final String CLASSIC_SECRET = "whsec_classic-test-secret";
    static final byte[] CLASSIC_BODY = "{\"event\":\"ping\"}".getBytes(UTF_8);
    static final String CLASSIC_SIGNATURE =
            "sha256=421bc66f23b45c48b7a89161e6fbf2b949fc05c3c57454288b76141a715b956c";

    @Test
    void standardSignatureMatchesSpecExampleVector() {
        assertThat(WebhookSigner.standardSignature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY))
                .isEqualTo(SPEC_SIGNATURE);
    }

    @Test
    void standardSignatureAcceptsSecretWithoutPrefix() {
        assertThat(WebhookSigner.standardSignature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SPEC_ID, SPEC_TS, SPEC_BODY))
                .isEqualTo(SPEC_SIGNATURE);
    }

    @Test
    void classicSignatureMatchesOpensslVectorUsingWholeSecretAsKey() {
        assertThat(WebhookSigner.classicSignature(CLASSIC_SECRET, CLASSIC_BODY)).isEqualTo(CLASSIC_SIGNATURE);
    }

    @Test
    void rejectsStandardSecretThatIsNotBase64() {
        assertThatThrownBy(() -> WebhookSigner.standardSignature("whsec_not*base64!", SPEC_ID, SPEC_TS, SPEC_BODY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("base64")
                .hasMessageNotContaining("not*base64!");
    }

    @Test
    void standardSignaturesJoinsOneSignaturePerSecretInOrder() {
        String other = WebhookSigner.generateSecret();
        String joined = WebhookSigner.standardSignatures(List.of(SPEC_SECRET, other), SPEC_ID, SPEC_TS, SPEC_BODY);
        assertThat(joined.split(" ")).containsExactly(
                SPEC_SIGNATURE, WebhookSigner.standardSignature(other, SPEC_ID, SPEC_TS, SPEC_BODY));
    }

    @Test
    void generatedSecretIsPrefixedBase64Of24Bytes() {
        String secret = WebhookSigner.generateSecret(new SplittableRandom(42));
        assertThat(secret).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(24);
        assertThat(WebhookSigner.generateSecret()).isNotEqualTo(WebhookSigner.generateSecret());
    }

    @Test
    void signingIsConsistentAcrossThreads() throws Exception {
        String expected = WebhookSigner.classicSignature(CLASSIC_SECRET, CLASSIC_BODY);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger mismatches = new AtomicInteger();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 500; i++) {
                    if (!WebhookSigner.classicSignature(CLASSIC_SECRET, CLASSIC_BODY).equals(expected)
                            || !WebhookSigner.standardSignature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)
                                    .equals(SPEC_SIGNATURE)) {
                        mismatches.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(mismatches).hasValue(0);
    }
}
