package dev.herald.sdk;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies webhooks on the receiving side, given the endpoint's shared secret and/or its public keys. Immutable and
 * thread-safe. Every {@code verify*} method returns normally only if the request is authentic; otherwise it throws
 * {@link WebhookVerificationException}. HMAC comparisons are constant-time.
 *
 * <p>What each credential checks: the secret checks {@code sha256} ({@value WebhookSigner#HEADER_CLASSIC}) and
 * {@code v1} entries; an Ed25519 public key checks {@code v1a} entries; an RSA public key checks
 * {@value WebhookSigner#HEADER_RSA_SIGNATURE} entries naming its kid. Several keys may be trusted at once (a rotation).
 * Public keys come from configuration ({@code whpk_…}, PEM or the endpoint's JWKS), never from the request.
 */
public final class WebhookVerifier {

    /** Default allowed clock skew between sender and receiver for Standard Webhooks timestamps. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    static final String HEADER_ID = WebhookSigner.HEADER_ID;
    static final String HEADER_TIMESTAMP = WebhookSigner.HEADER_TIMESTAMP;
    static final String HEADER_SIGNATURE = WebhookSigner.HEADER_SIGNATURE;
    static final String HEADER_RSA = WebhookSigner.HEADER_RSA_SIGNATURE;
    static final String HEADER_CLASSIC = WebhookSigner.HEADER_CLASSIC;

    private static final String CLASSIC_PREFIX = "sha256=";
    private static final int MAX_TIMESTAMP_DIGITS = 18;

    private final byte[] classicKey;  // null without a secret
    private final byte[] standardKey; // null without a secret, or if it is not base64
    private final List<VerificationKey> ed25519Keys;
    private final List<VerificationKey> rsaKeys;
    private final long toleranceSeconds;
    private final Clock clock;

    private WebhookVerifier(String secret, Collection<VerificationKey> keys, Duration tolerance, Clock clock) {
        this.classicKey = secret == null ? null : WebhookSigner.classicKey(secret);
        this.standardKey = secret == null ? null : standardKeyOrNull(secret);
        List<VerificationKey> ed = new ArrayList<>();
        List<VerificationKey> rsa = new ArrayList<>();
        for (VerificationKey k : keys) {
            (Objects.requireNonNull(k, "key").algorithm() == KeyAlgorithm.ED25519 ? ed : rsa).add(k);
        }
        this.ed25519Keys = List.copyOf(ed);
        this.rsaKeys = List.copyOf(rsa);
        if (secret == null && keys.isEmpty()) {
            throw new IllegalArgumentException("a verifier needs a secret or at least one public key");
        }
        Objects.requireNonNull(tolerance, "tolerance");
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
        return new WebhookVerifier(Objects.requireNonNull(secret, "secret"), List.of(), tolerance, clock);
    }

    /** A verifier for public keys only ({@code v1a} and {@code rsa-sha256}), 5 minute tolerance, system UTC clock. */
    public static WebhookVerifier forPublicKeys(List<VerificationKey> keys) {
        return builder().publicKeys(keys).build();
    }

    /** A builder: a secret and/or public keys, tolerance and clock. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects a verifier's credentials; not thread-safe. */
    public static final class Builder {
        private String secret;
        private final List<VerificationKey> keys = new ArrayList<>();
        private Duration tolerance = DEFAULT_TOLERANCE;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The shared HMAC secret ({@code sha256}, {@code v1}). */
        public Builder secret(String secret) {
            this.secret = Objects.requireNonNull(secret, "secret");
            return this;
        }

        /** A trusted public key; call again for each key trusted (e.g. current and previous). */
        public Builder publicKey(VerificationKey key) {
            keys.add(Objects.requireNonNull(key, "key"));
            return this;
        }

        /** Trusted public keys. */
        public Builder publicKeys(Collection<VerificationKey> keys) {
            keys.forEach(this::publicKey);
            return this;
        }

        public Builder tolerance(Duration tolerance) {
            this.tolerance = Objects.requireNonNull(tolerance, "tolerance");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @throws IllegalArgumentException without a secret and without a public key */
        public WebhookVerifier build() {
            return new WebhookVerifier(secret, keys, tolerance, clock);
        }
    }

    /**
     * Verifies a Standard Webhooks 1.0 request: the timestamp must be integer seconds within tolerance, and at least
     * one space-separated entry must match — {@code v1,<base64>} under the secret or {@code v1a,<base64>} under a
     * trusted Ed25519 key. Entries with other versions, and entries this verifier has no credential for, are ignored.
     *
     * @throws IllegalArgumentException if this verifier has neither a valid base64 secret nor an Ed25519 key
     */
    public void verifyStandard(String webhookId, String webhookTimestamp, String webhookSignatureHeader,
                               byte[] body) {
        Objects.requireNonNull(body, "body");
        if (!checksStandard()) {
            throw new IllegalArgumentException(
                    "no Standard Webhooks credential: the secret is not base64 (optionally prefixed with 'whsec_') and no Ed25519 key is trusted");
        }
        requirePresent(webhookSignatureHeader, HEADER_SIGNATURE);
        verifyFamily(webhookId, webhookTimestamp, webhookSignatureHeader, null, body);
    }

    /**
     * Verifies an RSA2 request: the timestamp as for Standard Webhooks, and at least one space-separated
     * {@code <kid>,<base64>} entry of {@value WebhookSigner#HEADER_RSA_SIGNATURE} must be a valid SHA256withRSA
     * signature of {@code id.timestamp.body} by the trusted RSA key of that kid.
     *
     * @throws IllegalArgumentException if this verifier trusts no RSA key
     */
    public void verifyRsa(String webhookId, String webhookTimestamp, String rsaSignatureHeader, byte[] body) {
        Objects.requireNonNull(body, "body");
        if (rsaKeys.isEmpty()) {
            throw new IllegalArgumentException("no RSA public key is trusted");
        }
        requirePresent(rsaSignatureHeader, HEADER_RSA);
        verifyFamily(webhookId, webhookTimestamp, null, rsaSignatureHeader, body);
    }

    /** Verifies a classic {@code sha256=<hex>} signature header (hex digits in either case). */
    public void verifyClassic(String signatureHeader, byte[] body) {
        Objects.requireNonNull(body, "body");
        if (classicKey == null) {
            throw new IllegalArgumentException("the classic signature needs the secret; this verifier has public keys only");
        }
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
     * Verifies using whichever signatures the headers carry (names case-insensitive, first value used). If any
     * {@code webhook-*} header is present: the Standard Webhooks checks, where a matching entry of
     * {@value WebhookSigner#HEADER_SIGNATURE} (secret / Ed25519 keys) or of {@value WebhookSigner#HEADER_RSA_SIGNATURE}
     * (RSA keys) suffices; {@link Reason#MISSING_HEADER} if neither header this verifier can check is present.
     * Otherwise the classic {@code X-Webhook-Signature}; {@link Reason#MISSING_HEADER} if it is absent too.
     */
    public void verify(Map<String, List<String>> headers, byte[] body) {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        String id = header(headers, HEADER_ID);
        String timestamp = header(headers, HEADER_TIMESTAMP);
        String signature = header(headers, HEADER_SIGNATURE);
        String rsa = header(headers, HEADER_RSA);
        if (id != null || timestamp != null || signature != null || rsa != null) {
            if (!checksStandard() && rsaKeys.isEmpty()) {
                throw new IllegalArgumentException(
                        "secret is not a Standard Webhooks secret (base64, optionally prefixed with 'whsec_') and no public key is trusted");
            }
            String usableSignature = checksStandard() && !isBlank(signature) ? signature : null;
            String usableRsa = !rsaKeys.isEmpty() && !isBlank(rsa) ? rsa : null;
            if (usableSignature == null && usableRsa == null) {
                throw new WebhookVerificationException(Reason.MISSING_HEADER, "missing " + expectedHeaders() + " header");
            }
            verifyFamily(id, timestamp, usableSignature, usableRsa, body);
            return;
        }
        String classic = header(headers, HEADER_CLASSIC);
        if (classic == null || classicKey == null) {
            throw new WebhookVerificationException(Reason.MISSING_HEADER,
                    "no " + (classicKey == null ? expectedHeaders() : "webhook-signature or X-Webhook-Signature") + " header");
        }
        verifyClassic(classic, body);
    }

    /** Checks id and timestamp, then accepts if any usable entry of either header matches. */
    private void verifyFamily(String id, String timestamp, String signatureHeader, String rsaHeader, byte[] body) {
        requirePresent(id, HEADER_ID);
        requirePresent(timestamp, HEADER_TIMESTAMP);
        long ts = parseTimestamp(timestamp.strip());
        long skew = ts - clock.instant().getEpochSecond(); // cannot overflow: 0 <= ts < 1e18
        if (skew < -toleranceSeconds) {
            throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_OLD, "webhook timestamp is too old");
        }
        if (skew > toleranceSeconds) {
            throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_NEW, "webhook timestamp is in the future");
        }
        byte[] prefix = WebhookSigner.signedPrefix(id, ts);
        boolean malformed = false;
        if (signatureHeader != null) {
            byte[] expected = standardKey == null ? null : WebhookSigner.standardMac(standardKey, id, ts, body);
            for (String entry : signatureHeader.split(" ")) {
                if (entry.isEmpty()) {
                    continue;
                }
                int comma = entry.indexOf(',');
                if (comma <= 0) {
                    malformed = true;
                    continue;
                }
                String version = entry.substring(0, comma);
                boolean v1 = version.equals("v1") && expected != null;
                boolean v1a = version.equals("v1a") && !ed25519Keys.isEmpty();
                if (!v1 && !v1a) {
                    continue; // other schemes, or ones without a credential here, are not ours to judge
                }
                byte[] candidate = decode(entry.substring(comma + 1));
                if (candidate == null) {
                    malformed = true;
                } else if (v1 ? MessageDigest.isEqual(expected, candidate)
                        : anyVerifies(ed25519Keys, "Ed25519", prefix, body, candidate)) {
                    return;
                }
            }
        }
        if (rsaHeader != null) {
            for (String entry : rsaHeader.split(" ")) {
                if (entry.isEmpty()) {
                    continue;
                }
                int comma = entry.indexOf(',');
                byte[] candidate = comma <= 0 ? null : decode(entry.substring(comma + 1));
                if (candidate == null) {
                    malformed = true;
                    continue;
                }
                String kid = entry.substring(0, comma);
                List<VerificationKey> named = rsaKeys.stream().filter(k -> k.kid().equals(kid)).toList();
                if (anyVerifies(named, "SHA256withRSA", prefix, body, candidate)) {
                    return;
                }
            }
        }
        throw malformed
                ? new WebhookVerificationException(Reason.MALFORMED_SIGNATURE, "a webhook signature is malformed")
                : new WebhookVerificationException(Reason.NO_MATCHING_SIGNATURE, "no matching signature");
    }

    private static boolean anyVerifies(List<VerificationKey> keys, String algorithm, byte[] prefix, byte[] body, byte[] signature) {
        for (VerificationKey k : keys) {
            try {
                Signature s = Signature.getInstance(algorithm);
                s.initVerify(k.publicKey());
                s.update(prefix);
                s.update(body);
                if (s.verify(signature)) {
                    return true;
                }
            } catch (java.security.SignatureException e) {
                // a signature of the wrong length or encoding: no match
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(algorithm + " is not available in this JDK", e);
            }
        }
        return false;
    }

    private static byte[] decode(String base64) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private boolean checksStandard() {
        return standardKey != null || !ed25519Keys.isEmpty();
    }

    private String expectedHeaders() {
        List<String> names = new ArrayList<>();
        if (checksStandard()) {
            names.add(HEADER_SIGNATURE);
        }
        if (!rsaKeys.isEmpty()) {
            names.add(HEADER_RSA);
        }
        return String.join(" or ", names);
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

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    private static void requirePresent(String value, String name) {
        if (isBlank(value)) {
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

    @Override
    public String toString() {
        return "WebhookVerifier[secret=" + (classicKey != null) + ", ed25519=" + ed25519Keys + ", rsa=" + rsaKeys + "]";
    }
}
