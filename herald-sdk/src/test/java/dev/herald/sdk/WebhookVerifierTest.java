package dev.herald.sdk;

import static dev.herald.sdk.WebhookSignerTest.CLASSIC_BODY;
import static dev.herald.sdk.WebhookSignerTest.CLASSIC_SECRET;
import static dev.herald.sdk.WebhookSignerTest.CLASSIC_SIGNATURE;
import static dev.herald.sdk.WebhookSignerTest.SPEC_BODY;
import static dev.herald.sdk.WebhookSignerTest.SPEC_ID;
import static dev.herald.sdk.WebhookSignerTest.SPEC_SECRET;
import static dev.herald.sdk.WebhookSignerTest.SPEC_SIGNATURE;
import static dev.herald.sdk.WebhookSignerTest.SPEC_TS;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {

    private static final String TS = Long.toString(SPEC_TS);
    private final WebhookVerifier verifier = verifierAt(SPEC_TS);

    private static WebhookVerifier verifierAt(long epochSecond) {
        return WebhookVerifier.create(SPEC_SECRET, Duration.ofMinutes(5),
                Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC));
    }

    private static void assertRejected(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(WebhookVerificationException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void acceptsSpecExampleVector() {
        assertThatCode(() -> verifier.verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE, SPEC_BODY))
                .doesNotThrowAnyException();
    }

    @Test
    void rejectsTamperedBody() {
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE,
                "{\"test\": 2432232315}".getBytes(UTF_8)), Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    void rejectsSignatureMadeWithDifferentSecret() {
        String forged = WebhookSigner.standardSignature(WebhookSigner.generateSecret(), SPEC_ID, SPEC_TS, SPEC_BODY);
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, TS, forged, SPEC_BODY), Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    void rejectsSignatureOlderThanTolerance() {
        assertThatCode(() -> verifierAt(SPEC_TS + 300).verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE, SPEC_BODY))
                .doesNotThrowAnyException();
        assertRejected(() -> verifierAt(SPEC_TS + 301).verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE, SPEC_BODY),
                Reason.TIMESTAMP_TOO_OLD);
    }

    @Test
    void rejectsSignatureNewerThanTolerance() {
        assertThatCode(() -> verifierAt(SPEC_TS - 300).verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE, SPEC_BODY))
                .doesNotThrowAnyException();
        assertRejected(() -> verifierAt(SPEC_TS - 301).verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE, SPEC_BODY),
                Reason.TIMESTAMP_TOO_NEW);
    }

    @Test
    void rejectsNonNumericTimestamp() {
        for (String ts : List.of("abc", "1614265330.5", "-1614265330", "+1614265330", "99999999999999999999")) {
            assertRejected(() -> verifier.verifyStandard(SPEC_ID, ts, SPEC_SIGNATURE, SPEC_BODY),
                    Reason.INVALID_TIMESTAMP);
        }
    }

    @Test
    void rejectsMissingStandardHeaders() {
        assertRejected(() -> verifier.verifyStandard(null, TS, SPEC_SIGNATURE, SPEC_BODY), Reason.MISSING_HEADER);
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, "", SPEC_SIGNATURE, SPEC_BODY), Reason.MISSING_HEADER);
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, TS, " ", SPEC_BODY), Reason.MISSING_HEADER);
    }

    @Test
    void rejectsMalformedSignature() {
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, TS, "garbage", SPEC_BODY), Reason.MALFORMED_SIGNATURE);
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, TS, "v1,not*base64", SPEC_BODY),
                Reason.MALFORMED_SIGNATURE);
    }

    @Test
    void acceptsRotationListWhenSecondSignatureMatches() {
        String rotated = WebhookSigner.standardSignatures(
                List.of(WebhookSigner.generateSecret(), SPEC_SECRET), SPEC_ID, SPEC_TS, SPEC_BODY);
        assertThatCode(() -> verifier.verifyStandard(SPEC_ID, TS, rotated, SPEC_BODY)).doesNotThrowAnyException();
    }

    @Test
    void ignoresEntriesWithOtherVersionPrefixes() {
        String v1a = "v1a," + SPEC_SIGNATURE.substring(3);
        assertRejected(() -> verifier.verifyStandard(SPEC_ID, TS, v1a, SPEC_BODY), Reason.NO_MATCHING_SIGNATURE);
        assertThatCode(() -> verifier.verifyStandard(SPEC_ID, TS, "v1a,AAAA " + SPEC_SIGNATURE, SPEC_BODY))
                .doesNotThrowAnyException();
    }

    @Test
    void generatedSecretRoundTripsThroughSignerAndVerifier() {
        String secret = WebhookSigner.generateSecret();
        long now = 1_700_000_000L;
        byte[] body = "{\"amount\":\"10.00\"}".getBytes(UTF_8);
        String signature = WebhookSigner.standardSignature(secret, "msg_1", now, body);
        WebhookVerifier receiver = WebhookVerifier.create(secret, Duration.ofMinutes(5),
                Clock.fixed(Instant.ofEpochSecond(now), ZoneOffset.UTC));
        assertThatCode(() -> receiver.verifyStandard("msg_1", Long.toString(now), signature, body))
                .doesNotThrowAnyException();
        assertRejected(() -> receiver.verifyStandard("msg_2", Long.toString(now), signature, body),
                Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    void acceptsClassicOpensslVectorInEitherHexCase() {
        WebhookVerifier classic = WebhookVerifier.create(CLASSIC_SECRET);
        assertThatCode(() -> classic.verifyClassic(CLASSIC_SIGNATURE, CLASSIC_BODY)).doesNotThrowAnyException();
        assertThatCode(() -> classic.verifyClassic("sha256=" + CLASSIC_SIGNATURE.substring(7).toUpperCase(),
                CLASSIC_BODY)).doesNotThrowAnyException();
    }

    @Test
    void rejectsClassicTamperedBodyWrongSecretMalformedOrMissing() {
        WebhookVerifier classic = WebhookVerifier.create(CLASSIC_SECRET);
        assertRejected(() -> classic.verifyClassic(CLASSIC_SIGNATURE, "{}".getBytes(UTF_8)),
                Reason.NO_MATCHING_SIGNATURE);
        assertRejected(() -> WebhookVerifier.create("other").verifyClassic(CLASSIC_SIGNATURE, CLASSIC_BODY),
                Reason.NO_MATCHING_SIGNATURE);
        assertRejected(() -> classic.verifyClassic("sha1=abcd", CLASSIC_BODY), Reason.MALFORMED_SIGNATURE);
        assertRejected(() -> classic.verifyClassic("sha256=xyz", CLASSIC_BODY), Reason.MALFORMED_SIGNATURE);
        assertRejected(() -> classic.verifyClassic(null, CLASSIC_BODY), Reason.MISSING_HEADER);
    }

    @Test
    void verifyPrefersStandardHeadersMatchedCaseInsensitively() {
        Map<String, List<String>> headers = Map.of(
                "Webhook-Id", List.of(SPEC_ID),
                "WEBHOOK-TIMESTAMP", List.of(TS),
                "webhook-signature", List.of(SPEC_SIGNATURE),
                "X-Webhook-Signature", List.of("sha256=00"));
        assertThatCode(() -> verifier.verify(headers, SPEC_BODY)).doesNotThrowAnyException();
    }

    @Test
    void verifyFallsBackToClassicHeader() {
        WebhookVerifier classic = WebhookVerifier.create(CLASSIC_SECRET);
        assertThatCode(() -> classic.verify(Map.of("x-webhook-signature", List.of(CLASSIC_SIGNATURE)), CLASSIC_BODY))
                .doesNotThrowAnyException();
    }

    @Test
    void verifyRejectsMissingHeaders() {
        assertRejected(() -> verifier.verify(Map.of("Content-Type", List.of("application/json")), SPEC_BODY),
                Reason.MISSING_HEADER);
        assertRejected(() -> verifier.verify(Map.of("webhook-signature", List.of(SPEC_SIGNATURE)), SPEC_BODY),
                Reason.MISSING_HEADER);
    }

    @Test
    void verifyStandardRequiresBase64Secret() {
        assertThatThrownBy(() -> WebhookVerifier.create("plain text secret")
                .verifyStandard(SPEC_ID, TS, SPEC_SIGNATURE, SPEC_BODY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("base64");
    }
}
