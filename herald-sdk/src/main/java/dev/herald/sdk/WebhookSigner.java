package dev.herald.sdk;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pure, thread-safe webhook signing in two schemes:
 * <ul>
 *   <li><b>classic</b>: {@code sha256=<lowercase hex HMAC-SHA256(secret UTF-8 bytes, body)>};</li>
 *   <li><b>standard</b>: Standard Webhooks 1.0, {@code v1,<base64 HMAC-SHA256(key, id.ts.body)>}
 *       where the key is the base64-decoded secret (after an optional {@code whsec_} prefix).</li>
 * </ul>
 */
public final class WebhookSigner {

    /** Prefix of secrets in the Standard Webhooks format. */
    public static final String SECRET_PREFIX = "whsec_";

    private static final String HMAC_SHA256 = "HmacSHA256";
    private static final int SECRET_BYTES = 24;
    private static final SecureRandom DEFAULT_RANDOM = new SecureRandom();
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance(HMAC_SHA256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    });

    private WebhookSigner() {
    }

    /**
     * Classic signature: {@code "sha256=" + hex(HMAC-SHA256(secret, body))}. The secret's UTF-8 bytes
     * are the key, used whole (a {@code whsec_} prefix is part of the key).
     */
    public static String classicSignature(String secret, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(classicMac(classicKey(secret), body));
    }

    /**
     * Standard Webhooks v1 signature: {@code "v1," + base64(HMAC-SHA256(key, msgId + "." + ts + "." + body))}.
     *
     * @throws IllegalArgumentException if the secret (after an optional {@code whsec_} prefix) is not
     *                                  non-empty valid base64
     */
    public static String standardSignature(String secret, String msgId, long timestampSeconds, byte[] body) {
        return "v1," + Base64.getEncoder().encodeToString(
                standardMac(standardKey(secret), msgId, timestampSeconds, body));
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
        mac.update((msgId + '.' + timestampSeconds + '.').getBytes(StandardCharsets.UTF_8));
        return mac.doFinal(body);
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
