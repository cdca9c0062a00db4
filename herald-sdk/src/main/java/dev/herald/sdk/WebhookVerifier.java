package dev.herald.sdk;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies webhooks on the receiving side, for one shared secret. Immutable and thread-safe.
 * Every {@code verify*} method returns normally only if the request is authentic; otherwise it
 * throws {@link WebhookVerificationException}. Comparisons are constant-time.
 */
public final class WebhookVerifier {

    /** Default allowed clock skew between sender and receiver for Standard Webhooks timestamps. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    static final String HEADER_ID = "webhook-id";
    static final String HEADER_TIMESTAMP = "webhook-timestamp";
    static final String HEADER_SIGNATURE = "webhook-signature";
    static final String HEADER_CLASSIC = "X-Webhook-Signature";

    private static final String CLASSIC_PREFIX = "sha256=";
    private static final int MAX_TIMESTAMP_DIGITS = 18;

    private final byte[] classicKey;
    private final byte[] standardKey; // null if the secret is not base64; verifyStandard then throws IAE
    private final long toleranceSeconds;
    private final Clock clock;

    private WebhookVerifier(String secret, Duration tolerance, Clock clock) {
        this.classicKey = WebhookSigner.classicKey(secret);
        this.standardKey = standardKeyOrNull(secret);
        if (tolerance.isNegative()) {
            throw new IllegalArgumentException("tolerance must not be negative");
        }
        this.toleranceSeconds = tolerance.toSeconds();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A verifier with a 5 minute timestamp tolerance and the system UTC clock. */
    public static WebhookVerifier create(String secret) {
        return create(secret, DEFAULT_TOLERANCE, Clock.systemUTC());
    }

    /**
     * A verifier accepting Standard Webhooks timestamps within {@code ±tolerance} of {@code clock}.
     * The secret may be a {@code whsec_} base64 secret (both schemes) or any string (classic only).
     */
    public static WebhookVerifier create(String secret, Duration tolerance, Clock clock) {
        return new WebhookVerifier(secret, Objects.requireNonNull(tolerance, "tolerance"), clock);
    }

    /**
     * Verifies a Standard Webhooks 1.0 request: the timestamp must be integer seconds within
     * tolerance, and at least one space-separated {@code v1,<base64>} entry must match. Entries
     * with other versions (e.g. {@code v1a,}) are ignored.
     *
     * @throws IllegalArgumentException if this verifier's secret is not a valid base64 secret
     */
    public void verifyStandard(String webhookId, String webhookTimestamp, String webhookSignatureHeader,
                               byte[] body) {
        Objects.requireNonNull(body, "body");
        if (standardKey == null) {
            throw new IllegalArgumentException(
                    "secret is not a Standard Webhooks secret (base64, optionally prefixed with 'whsec_')");
        }
        requirePresent(webhookId, HEADER_ID);
        requirePresent(webhookTimestamp, HEADER_TIMESTAMP);
        requirePresent(webhookSignatureHeader, HEADER_SIGNATURE);

        long timestamp = parseTimestamp(webhookTimestamp.strip());
        long skew = timestamp - clock.instant().getEpochSecond(); // cannot overflow: 0 <= timestamp < 1e18
        if (skew < -toleranceSeconds) {
            throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_OLD, "webhook timestamp is too old");
        }
        if (skew > toleranceSeconds) {
            throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_NEW, "webhook timestamp is in the future");
        }

        byte[] expected = WebhookSigner.standardMac(standardKey, webhookId, timestamp, body);
        boolean malformed = false;
        for (String entry : webhookSignatureHeader.split(" ")) {
            if (entry.isEmpty()) {
                continue;
            }
            int comma = entry.indexOf(',');
            if (comma <= 0) {
                malformed = true;
                continue;
            }
            if (!entry.startsWith("v1,")) {
                continue; // other signature schemes are not ours to judge
            }
            byte[] candidate;
            try {
                candidate = Base64.getDecoder().decode(entry.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                malformed = true;
                continue;
            }
            if (MessageDigest.isEqual(expected, candidate)) {
                return;
            }
        }
        throw malformed
                ? new WebhookVerificationException(Reason.MALFORMED_SIGNATURE, "webhook-signature is malformed")
                : new WebhookVerificationException(Reason.NO_MATCHING_SIGNATURE, "no matching v1 signature");
    }

    /** Verifies a classic {@code sha256=<hex>} signature header (hex digits in either case). */
    public void verifyClassic(String signatureHeader, byte[] body) {
        Objects.requireNonNull(body, "body");
        requirePresent(signatureHeader, HEADER_CLASSIC);
        String value = signatureHeader.strip();
        if (!value.regionMatches(true, 0, CLASSIC_PREFIX, 0, CLASSIC_PREFIX.length())) {
            throw new WebhookVerificationException(Reason.MALFORMED_SIGNATURE, "signature must start with sha256=");
        }
        byte[] candidate;
        try {
            candidate = HexFormat.of().parseHex(value, CLASSIC_PREFIX.length(), value.length());
        } catch (IllegalArgumentException e) {
            throw new WebhookVerificationException(Reason.MALFORMED_SIGNATURE, "signature is not valid hex");
        }
        if (!MessageDigest.isEqual(WebhookSigner.classicMac(classicKey, body), candidate)) {
            throw new WebhookVerificationException(Reason.NO_MATCHING_SIGNATURE, "signature does not match");
        }
    }

    /**
     * Verifies using whichever scheme the headers carry (names case-insensitive, first value used):
     * Standard Webhooks if any {@code webhook-*} header is present, else classic
     * {@code X-Webhook-Signature}; {@link Reason#MISSING_HEADER} if neither.
     */
    public void verify(Map<String, List<String>> headers, byte[] body) {
        Objects.requireNonNull(headers, "headers");
        String id = header(headers, HEADER_ID);
        String timestamp = header(headers, HEADER_TIMESTAMP);
        String signature = header(headers, HEADER_SIGNATURE);
        if (id != null || timestamp != null || signature != null) {
            verifyStandard(id, timestamp, signature, body);
            return;
        }
        String classic = header(headers, HEADER_CLASSIC);
        if (classic == null) {
            throw new WebhookVerificationException(Reason.MISSING_HEADER,
                    "no webhook-signature or X-Webhook-Signature header");
        }
        verifyClassic(classic, body);
    }

    private static String header(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (name.equalsIgnoreCase(e.getKey()) && e.getValue() != null) {
                for (String v : e.getValue()) {
                    if (v != null) {
                        return v;
                    }
                }
            }
        }
        return null;
    }

    private static void requirePresent(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new WebhookVerificationException(Reason.MISSING_HEADER, "missing " + name + " header");
        }
    }

    private static long parseTimestamp(String value) {
        boolean digitsOnly = !value.isEmpty() && value.length() <= MAX_TIMESTAMP_DIGITS
                && value.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digitsOnly) {
            throw new WebhookVerificationException(Reason.INVALID_TIMESTAMP,
                    "webhook-timestamp must be integer seconds since the epoch");
        }
        return Long.parseLong(value);
    }

    private static byte[] standardKeyOrNull(String secret) {
        try {
            return WebhookSigner.standardKey(secret);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
