package dev.herald.sdk;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pure, thread-safe webhook signing in the {@link SignatureScheme}s:
 * <ul>
 *   <li><b>classic</b> ({@code sha256}): {@code sha256=<lowercase hex HMAC-SHA256(secret UTF-8 bytes, body)>};</li>
 *   <li><b>standard</b> ({@code v1}): Standard Webhooks 1.0, {@code v1,<base64 HMAC-SHA256(key, id.ts.body)>}
 *       where the key is the base64-decoded secret (after an optional {@code whsec_} prefix);</li>
 *   <li><b>standard asymmetric</b> ({@code v1a}): {@code v1a,<base64 Ed25519(id.ts.body)>};</li>
 *   <li><b>RSA2</b> ({@code rsa-sha256}): {@code <kid>,<base64 SHA256withRSA(id.ts.body)>} in
 *       {@value #HEADER_RSA_SIGNATURE}.</li>
 * </ul>
 * {@link #signatureHeaders} puts them together for one request.
 */
public final class WebhookSigner {

    /** Prefix of secrets in the Standard Webhooks format. */
    public static final String SECRET_PREFIX = "whsec_";

    /** Classic signature header. */
    public static final String HEADER_CLASSIC = "X-Webhook-Signature";
    /** Standard Webhooks message id header (Herald sends the event id). */
    public static final String HEADER_ID = "webhook-id";
    /** Standard Webhooks attempt timestamp header (integer seconds). */
    public static final String HEADER_TIMESTAMP = "webhook-timestamp";
    /** Standard Webhooks signature header: space-separated {@code v1,…} and {@code v1a,…} entries. */
    public static final String HEADER_SIGNATURE = "webhook-signature";
    /**
     * RSA signature header: space-separated {@code <kid>,<base64 signature>} entries, the current key's first; the
     * kid is the RFC 7638 thumbprint of the public key, as in the endpoint's JWKS.
     */
    public static final String HEADER_RSA_SIGNATURE = "webhook-signature-rsa";

    private static final String HMAC_SHA256 = "HmacSHA256";
    private static final int SECRET_BYTES = 24;
    private static final SecureRandom DEFAULT_RANDOM = new SecureRandom();
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(WebhookSigner::newMac);
    /**
     * Keyed HMACs by secret, each to be cloned per signature: a clone copies the keyed state, where a fresh {@link Mac}
     * costs a provider look-up and the key schedule (and a thread-local one is fresh on every virtual thread). Bounded:
     * past {@link #MAX_KEYED} secrets the cache starts over.
     */
    private static final int MAX_KEYED = 4096;
    private static final ConcurrentHashMap<String, Mac> CLASSIC_KEYED = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Mac> STANDARD_KEYED = new ConcurrentHashMap<>();

    private WebhookSigner() {
    }

    /**
     * Classic signature: {@code "sha256=" + hex(HMAC-SHA256(secret, body))}. The secret's UTF-8 bytes
     * are the key, used whole (a {@code whsec_} prefix is part of the key).
     */
    public static String classicSignature(String secret, byte[] body) {
        Mac mac = keyed(CLASSIC_KEYED, secret, WebhookSigner::classicKey);
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(Objects.requireNonNull(body, "body")));
    }

    /**
     * Standard Webhooks v1 signature: {@code "v1," + base64(HMAC-SHA256(key, msgId + "." + ts + "." + body))}.
     *
     * @throws IllegalArgumentException if the secret (after an optional {@code whsec_} prefix) is not
     *                                  non-empty valid base64
     */
    public static String standardSignature(String secret, String msgId, long timestampSeconds, byte[] body) {
        Objects.requireNonNull(msgId, "msgId");
        Objects.requireNonNull(body, "body");
        Mac mac = keyed(STANDARD_KEYED, secret, WebhookSigner::standardKey);
        mac.update(signedPrefix(msgId, timestampSeconds));
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    /**
     * Space-separated v1 signatures, one per secret in order, as sent while rotating secrets.
     *
     * @throws IllegalArgumentException if the list is empty or any secret is not valid base64
     */
    public static String standardSignatures(List<String> secrets, String msgId, long timestampSeconds, byte[] body) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("at least one secret is required");
        }
        StringBuilder out = new StringBuilder(secrets.size() * 48);
        for (String secret : secrets) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(standardSignature(secret, msgId, timestampSeconds, body));
        }
        return out.toString();
    }

    /**
     * Standard Webhooks asymmetric signature: {@code "v1a," + base64(Ed25519(key, msgId + "." + ts + "." + body))}.
     *
     * @throws IllegalArgumentException if the key is not Ed25519
     */
    public static String ed25519Signature(SigningKey key, String msgId, long timestampSeconds, byte[] body) {
        requireAlgorithm(key, KeyAlgorithm.ED25519);
        return "v1a," + Base64.getEncoder().encodeToString(asymmetric(key, msgId, timestampSeconds, body));
    }

    /**
     * RSA2 signature entry: {@code kid + "," + base64(SHA256withRSA(key, msgId + "." + ts + "." + body))}.
     *
     * @throws IllegalArgumentException if the key is not RSA
     */
    public static String rsaSignature(SigningKey key, String msgId, long timestampSeconds, byte[] body) {
        requireAlgorithm(key, KeyAlgorithm.RSA);
        return key.kid() + "," + Base64.getEncoder().encodeToString(asymmetric(key, msgId, timestampSeconds, body));
    }

    /**
     * Every signature header of one request signed with {@code schemes}, in this order:
     * <ul>
     *   <li>{@value #HEADER_CLASSIC} if {@code sha256}: signed by {@code secrets.get(0)} only;</li>
     *   <li>{@value #HEADER_ID} ({@code msgId}) and {@value #HEADER_TIMESTAMP} if any other scheme;</li>
     *   <li>{@value #HEADER_SIGNATURE} if {@code v1} or {@code v1a}: a {@code v1,} entry per secret, then a
     *       {@code v1a,} entry per Ed25519 key, each in list order;</li>
     *   <li>{@value #HEADER_RSA_SIGNATURE} if {@code rsa-sha256}: an entry per RSA key, in list order.</li>
     * </ul>
     * Lists run current first, then the previous secret or key while a rotation lasts. Keys of an algorithm no scheme
     * uses are ignored, so a caller may pass every key the endpoint has. For {@link SignatureSchemes#DEFAULT} the
     * result is exactly the classic and {@code v1} headers Herald has always sent.
     *
     * @throws IllegalArgumentException if a scheme has nothing to sign with (no secret for {@code sha256}/{@code v1},
     *                                  no Ed25519 key for {@code v1a}, no RSA key for {@code rsa-sha256})
     */
    public static Map<String, String> signatureHeaders(SignatureSchemes schemes, List<String> secrets, List<SigningKey> keys,
                                                       String msgId, long timestampSeconds, byte[] body) {
        Objects.requireNonNull(schemes, "schemes");
        Objects.requireNonNull(secrets, "secrets");
        Objects.requireNonNull(keys, "keys");
        Map<String, String> h = new LinkedHashMap<>();
        if (schemes.needsSecret() && secrets.isEmpty()) {
            throw new IllegalArgumentException("signature schemes " + schemes.names() + " need an HMAC secret");
        }
        if (schemes.has(SignatureScheme.SHA256)) {
            h.put(HEADER_CLASSIC, classicSignature(secrets.getFirst(), body));
        }
        if (schemes.sendsStandardHeaders()) {
            h.put(HEADER_ID, Objects.requireNonNull(msgId, "msgId"));
            h.put(HEADER_TIMESTAMP, Long.toString(timestampSeconds));
        }
        StringBuilder standard = new StringBuilder();
        if (schemes.has(SignatureScheme.V1)) {
            standard.append(standardSignatures(secrets, msgId, timestampSeconds, body));
        }
        if (schemes.has(SignatureScheme.V1A)) {
            for (SigningKey k : keysOf(keys, KeyAlgorithm.ED25519, schemes)) {
                (standard.isEmpty() ? standard : standard.append(' ')).append(ed25519Signature(k, msgId, timestampSeconds, body));
            }
        }
        if (!standard.isEmpty()) {
            h.put(HEADER_SIGNATURE, standard.toString());
        }
        if (schemes.has(SignatureScheme.RSA_SHA256)) {
            StringBuilder rsa = new StringBuilder();
            for (SigningKey k : keysOf(keys, KeyAlgorithm.RSA, schemes)) {
                (rsa.isEmpty() ? rsa : rsa.append(' ')).append(rsaSignature(k, msgId, timestampSeconds, body));
            }
            h.put(HEADER_RSA_SIGNATURE, rsa.toString());
        }
        return h;
    }

    private static List<SigningKey> keysOf(List<SigningKey> keys, KeyAlgorithm algorithm, SignatureSchemes schemes) {
        List<SigningKey> out = keys.stream().filter(k -> k.algorithm() == algorithm).toList();
        if (out.isEmpty()) {
            throw new IllegalArgumentException("signature schemes " + schemes.names() + " need an " + algorithm + " signing key");
        }
        return out;
    }

    private static void requireAlgorithm(SigningKey key, KeyAlgorithm algorithm) {
        if (Objects.requireNonNull(key, "key").algorithm() != algorithm) {
            throw new IllegalArgumentException("expected an " + algorithm + " key, got " + key.algorithm());
        }
    }

    static byte[] asymmetric(SigningKey key, String msgId, long timestampSeconds, byte[] body) {
        return key.sign(signedPrefix(msgId, timestampSeconds), Objects.requireNonNull(body, "body"));
    }

    /** {@code msgId + "." + ts + "."} in UTF-8: what precedes the body in the signed content. */
    static byte[] signedPrefix(String msgId, long timestampSeconds) {
        return (Objects.requireNonNull(msgId, "msgId") + '.' + timestampSeconds + '.').getBytes(StandardCharsets.UTF_8);
    }

    /** A fresh secret {@code "whsec_" + base64(24 random bytes)} drawn from a {@link SecureRandom}. */
    public static String generateSecret() {
        return generateSecret(DEFAULT_RANDOM);
    }

    /** A fresh secret {@code "whsec_" + base64(24 bytes from random)}; pass a SecureRandom in production. */
    public static String generateSecret(RandomGenerator random) {
        byte[] bytes = new byte[SECRET_BYTES];
        random.nextBytes(bytes);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(bytes);
    }

    static byte[] classicKey(String secret) {
        byte[] key = Objects.requireNonNull(secret, "secret").getBytes(StandardCharsets.UTF_8);
        if (key.length == 0) {
            throw new IllegalArgumentException("secret must not be empty");
        }
        return key;
    }

    /** Decodes a Standard Webhooks secret to its raw HMAC key. */
    static byte[] standardKey(String secret) {
        Objects.requireNonNull(secret, "secret");
        String encoded = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        byte[] key;
        try {
            key = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            // Deliberately do not echo the secret into the message.
            throw new IllegalArgumentException(
                    "Standard Webhooks secret must be base64 (optionally prefixed with 'whsec_')", e);
        }
        if (key.length == 0) {
            throw new IllegalArgumentException("Standard Webhooks secret must not be empty");
        }
        return key;
    }

    static byte[] classicMac(byte[] key, byte[] body) {
        Mac mac = initMac(key);
        return mac.doFinal(Objects.requireNonNull(body, "body"));
    }

    static byte[] standardMac(byte[] key, String msgId, long timestampSeconds, byte[] body) {
        Objects.requireNonNull(msgId, "msgId");
        Objects.requireNonNull(body, "body");
        Mac mac = initMac(key);
        mac.update(signedPrefix(msgId, timestampSeconds));
        return mac.doFinal(body);
    }

    /** A Mac keyed with {@code key.apply(secret)}, cloned from the cached keyed one (which is never used itself). */
    private static Mac keyed(ConcurrentHashMap<String, Mac> cache, String secret, Function<String, byte[]> key) {
        Objects.requireNonNull(secret, "secret");
        Mac keyed = cache.get(secret);
        if (keyed == null) {
            keyed = newMac();
            try {
                keyed.init(new SecretKeySpec(key.apply(secret), HMAC_SHA256));
            } catch (InvalidKeyException e) {
                throw new IllegalArgumentException("invalid HMAC key", e);
            }
            if (cache.size() >= MAX_KEYED) {
                cache.clear();
            }
            cache.put(secret, keyed);
        }
        try {
            return (Mac) keyed.clone();
        } catch (CloneNotSupportedException e) {
            return initMac(key.apply(secret)); // a provider whose Mac cannot be cloned: key a fresh one
        }
    }

    private static Mac newMac() {
        try {
            return Mac.getInstance(HMAC_SHA256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    private static Mac initMac(byte[] key) {
        Mac mac = MAC.get();
        try {
            mac.init(new SecretKeySpec(key, HMAC_SHA256));
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("invalid HMAC key", e);
        }
        return mac;
    }
}
