package dev.herald.sdk;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A private key that signs webhooks: Ed25519 (Standard Webhooks {@code v1a}) or RSA of 2048–8192 bits
 * ({@code rsa-sha256}, SHA256withRSA). Immutable and thread-safe. {@link #toString()} shows the algorithm and
 * {@link #kid()} only, never key material; the private key leaves this object only through {@link #encoded()} /
 * {@link #toPkcs8Pem()}, for storage.
 *
 * <p>Text forms: Ed25519 {@code whsk_<base64 of seed ‖ public key>} (64 bytes, the layout libsodium, Go's
 * {@code crypto/ed25519} and Svix use; a bare 32-byte seed is accepted too), and PEM {@code -----BEGIN PRIVATE KEY-----}
 * (PKCS#8, both algorithms; the stored form of RSA keys).
 */
public final class SigningKey {

    /** Prefix of Standard Webhooks secret (signing) keys. */
    public static final String SECRET_KEY_PREFIX = "whsk_";

    private static final String PEM_TYPE = "PRIVATE KEY";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey key;
    private final VerificationKey verificationKey;

    private SigningKey(PrivateKey key, VerificationKey verificationKey) {
        this.key = key;
        this.verificationKey = verificationKey;
    }

    /** A fresh Ed25519 key from a {@link SecureRandom}. */
    public static SigningKey generateEd25519() {
        byte[] seed = new byte[KeyCodec.ED25519_KEY_BYTES];
        RANDOM.nextBytes(seed);
        try {
            return ed25519(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /**
     * A fresh RSA key of {@code bits} (public exponent 65537).
     *
     * @throws IllegalArgumentException if {@code bits} is not within 2048–8192
     */
    public static SigningKey generateRsa(int bits) {
        if (bits < KeyCodec.RSA_MIN_BITS || bits > KeyCodec.RSA_MAX_BITS) {
            throw new IllegalArgumentException("RSA keys must have " + KeyCodec.RSA_MIN_BITS + " to " + KeyCodec.RSA_MAX_BITS + " bits");
        }
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
            KeyPair pair = g.generateKeyPair();
            return new SigningKey(pair.getPrivate(), VerificationKey.of(pair.getPublic()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is not available in this JDK", e);
        }
    }

    /**
     * Parses {@code whsk_…} (Ed25519: 64 bytes seed ‖ public key, or a 32-byte seed) or a PEM PKCS#8
     * {@code PRIVATE KEY} block (Ed25519, or RSA with its CRT parameters as every tool writes them).
     *
     * @throws IllegalArgumentException if the text is neither, the public half of a 64-byte {@code whsk_} key does not
     *                                  match its seed, or the key is not Ed25519 / RSA of 2048–8192 bits. Messages never
     *                                  contain key material.
     */
    public static SigningKey parse(String encoded) {
        Objects.requireNonNull(encoded, "encoded");
        String s = encoded.strip();
        if (s.startsWith(SECRET_KEY_PREFIX)) {
            byte[] raw = KeyCodec.base64(s.substring(SECRET_KEY_PREFIX.length()), "whsk_ key");
            try {
                if (raw.length != KeyCodec.ED25519_KEY_BYTES && raw.length != 2 * KeyCodec.ED25519_KEY_BYTES) {
                    throw new IllegalArgumentException("a whsk_ key is 64 bytes (seed and public key) or a 32-byte seed");
                }
                SigningKey k = ed25519(Arrays.copyOf(raw, KeyCodec.ED25519_KEY_BYTES));
                if (raw.length == 2 * KeyCodec.ED25519_KEY_BYTES && !Arrays.equals(raw, KeyCodec.ED25519_KEY_BYTES, raw.length,
                        KeyCodec.ed25519Raw(k.verificationKey.publicKey()), 0, KeyCodec.ED25519_KEY_BYTES)) {
                    throw new IllegalArgumentException("the whsk_ key's public half does not match its seed");
                }
                return k;
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
        }
        if (KeyCodec.isPem(s, PEM_TYPE)) {
            byte[] der = KeyCodec.unpem(s, PEM_TYPE);
            try {
                for (String alg : List.of("RSA", "Ed25519")) {
                    PrivateKey k;
                    try {
                        k = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (GeneralSecurityException e) {
                        continue;
                    }
                    return of(k);
                }
                throw new IllegalArgumentException("PEM private key is neither RSA nor Ed25519");
            } finally {
                Arrays.fill(der, (byte) 0);
            }
        }
        throw new IllegalArgumentException("a signing key must be 'whsk_…' or a PEM '-----BEGIN PRIVATE KEY-----' block");
    }

    private static SigningKey of(PrivateKey k) {
        if (k instanceof RSAPrivateCrtKey rsa) {
            KeyCodec.checkRsaSize(rsa);
            try {
                return new SigningKey(k, VerificationKey.of(KeyFactory.getInstance("RSA")
                        .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()))));
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("not a valid RSA private key");
            }
        }
        if (k.getAlgorithm().equals("RSA")) {
            throw new IllegalArgumentException("an RSA private key must carry its CRT parameters (PKCS#8 as openssl writes it)");
        }
        byte[] seed = KeyCodec.ed25519Seed(k);
        try {
            return ed25519(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    private static SigningKey ed25519(byte[] seed) {
        KeyPair pair = KeyCodec.ed25519FromSeed(seed);
        return new SigningKey(pair.getPrivate(), VerificationKey.of(pair.getPublic()));
    }

    public KeyAlgorithm algorithm() {
        return verificationKey.algorithm();
    }

    /** The id of this key's public half (RFC 7638 thumbprint); signatures in {@code webhook-signature-rsa} name it. */
    public String kid() {
        return verificationKey.kid();
    }

    /** The public half, to publish (JWKS, {@code whpk_}, PEM). */
    public VerificationKey verificationKey() {
        return verificationKey;
    }

    /** The stored form: {@code whsk_…} (64 bytes) for Ed25519, PKCS#8 PEM for RSA. Secret: store it encrypted, never log it. */
    public String encoded() {
        if (algorithm() == KeyAlgorithm.ED25519) {
            byte[] seed = KeyCodec.ed25519Seed(key);
            byte[] raw = Arrays.copyOf(seed, 2 * KeyCodec.ED25519_KEY_BYTES);
            System.arraycopy(KeyCodec.ed25519Raw(verificationKey.publicKey()), 0, raw, KeyCodec.ED25519_KEY_BYTES, KeyCodec.ED25519_KEY_BYTES);
            try {
                return SECRET_KEY_PREFIX + Base64.getEncoder().encodeToString(raw);
            } finally {
                Arrays.fill(seed, (byte) 0);
                Arrays.fill(raw, (byte) 0);
            }
        }
        return toPkcs8Pem();
    }

    /** PEM {@code -----BEGIN PRIVATE KEY-----} (PKCS#8), as {@code openssl pkey} reads it. Secret. */
    public String toPkcs8Pem() {
        if (algorithm() == KeyAlgorithm.ED25519) {
            // The JDK's own encoding of an Ed25519 private key varies by version; write the plain RFC 8410 form.
            byte[] seed = KeyCodec.ed25519Seed(key);
            byte[] der = KeyCodec.ed25519Pkcs8(seed);
            try {
                return KeyCodec.pem(PEM_TYPE, der);
            } finally {
                Arrays.fill(seed, (byte) 0);
                Arrays.fill(der, (byte) 0);
            }
        }
        return KeyCodec.pem(PEM_TYPE, key.getEncoded());
    }

    /** The raw signature over {@code parts} concatenated: Ed25519, or SHA256withRSA (PKCS#1 v1.5). */
    byte[] sign(byte[]... parts) {
        try {
            Signature s = Signature.getInstance(algorithm() == KeyAlgorithm.ED25519 ? "Ed25519" : "SHA256withRSA");
            s.initSign(key);
            for (byte[] p : parts) {
                s.update(p);
            }
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing with " + algorithm() + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "SigningKey[" + algorithm() + ", kid=" + kid() + "]";
    }
}
