package dev.herald.sdk;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One way a webhook request is signed. Each scheme signs the exact body bytes sent; all but {@link #SHA256} sign
 * {@code webhook-id + "." + webhook-timestamp + "." + body} ("the signed content", as Standard Webhooks defines it).
 */
public enum SignatureScheme {
    /** Classic {@code X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret UTF-8, body)>}; signed by the current secret. */
    SHA256("sha256"),
    /** Standard Webhooks symmetric: {@code webhook-signature: v1,<base64 HMAC-SHA256>}, one entry per secret. */
    V1("v1"),
    /** Standard Webhooks asymmetric: {@code webhook-signature: v1a,<base64 Ed25519 signature>}, one entry per Ed25519 key. */
    V1A("v1a"),
    /**
     * RSA2 (SHA256withRSA, PKCS#1 v1.5) over the signed content, in its own header
     * {@code webhook-signature-rsa: <kid>,<base64 signature>}, one space-separated entry per RSA key.
     */
    RSA_SHA256("rsa-sha256");

    private final String wireName;

    SignatureScheme(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in configuration and APIs, e.g. {@code "rsa-sha256"}. */
    public String wireName() {
        return wireName;
    }

    /** The asymmetric key algorithm this scheme signs with, or null for the HMAC schemes. */
    public KeyAlgorithm keyAlgorithm() {
        return switch (this) {
            case V1A -> KeyAlgorithm.ED25519;
            case RSA_SHA256 -> KeyAlgorithm.RSA;
            case SHA256, V1 -> null;
        };
    }

    /**
     * The scheme named exactly (case-sensitive) {@code wireName}.
     *
     * @throws IllegalArgumentException if no scheme has that name
     */
    public static SignatureScheme fromWireName(String wireName) {
        Objects.requireNonNull(wireName, "wireName");
        for (SignatureScheme s : values()) {
            if (s.wireName.equals(wireName)) {
                return s;
            }
        }
        String shown = wireName.length() > 40 ? wireName.substring(0, 40) + "…" : wireName;
        throw new IllegalArgumentException("unknown signature scheme '" + shown + "'; known: "
                + Arrays.stream(values()).map(SignatureScheme::wireName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
