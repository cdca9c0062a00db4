package dev.herald.sdk;

/** The asymmetric algorithms webhook signing keys use. */
public enum KeyAlgorithm {
    /** Ed25519 (RFC 8032), as the Standard Webhooks {@code v1a} scheme uses; JWK {@code kty} OKP (RFC 8037). */
    ED25519,
    /** RSA of at least 2048 bits, signing SHA256withRSA (PKCS#1 v1.5, "RSA2"); JWK {@code kty} RSA (RFC 7517/7518). */
    RSA
}
