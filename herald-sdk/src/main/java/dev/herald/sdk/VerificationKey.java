package dev.herald.sdk;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A public key that verifies webhook signatures: Ed25519 ({@code v1a}) or RSA ≥ 2048 bits ({@code rsa-sha256}).
 * Immutable, thread-safe, safe to print. Its {@link #kid()} is the RFC 7638 JWK thumbprint (SHA-256, base64url), so
 * the same key always has the same id wherever it is computed — by Herald, by this SDK from a PEM or {@code whpk_}
 * string, or by any JOSE library.
 *
 * <p>Text forms: {@code whpk_<base64 of the 32 raw key bytes>} (Standard Webhooks, Ed25519 only), PEM
 * {@code -----BEGIN PUBLIC KEY-----} (SubjectPublicKeyInfo, both algorithms) and JWK (RFC 8037 OKP / RFC 7517 RSA).
 */
public final class VerificationKey {

    /** Prefix of Standard Webhooks public keys. */
    public static final String PUBLIC_KEY_PREFIX = "whpk_";

    private static final String PEM_TYPE = "PUBLIC KEY";

    private final KeyAlgorithm algorithm;
    private final PublicKey key;
    private final String kid;

    private VerificationKey(KeyAlgorithm algorithm, PublicKey key) {
        this.algorithm = algorithm;
        this.key = key;
        if (algorithm == KeyAlgorithm.RSA) {
            KeyCodec.checkRsaSize((RSAPublicKey) key);
        }
        this.kid = KeyCodec.sha256Base64Url(thumbprintInput());
    }

    static VerificationKey of(PublicKey key) {
        Objects.requireNonNull(key, "key");
        if (key instanceof RSAPublicKey) {
            return new VerificationKey(KeyAlgorithm.RSA, key);
        }
        KeyCodec.ed25519Raw(key); // throws unless Ed25519
        return new VerificationKey(KeyAlgorithm.ED25519, key);
    }

    /**
     * Parses {@code whpk_…} (Ed25519) or a PEM SubjectPublicKeyInfo block (Ed25519 or RSA).
     *
     * @throws IllegalArgumentException if the text is neither, or the key is not Ed25519 / RSA of 2048–8192 bits
     */
    public static VerificationKey parse(String encoded) {
        Objects.requireNonNull(encoded, "encoded");
        String s = encoded.strip();
        if (s.startsWith(PUBLIC_KEY_PREFIX)) {
            return new VerificationKey(KeyAlgorithm.ED25519,
                    KeyCodec.ed25519Public(KeyCodec.base64(s.substring(PUBLIC_KEY_PREFIX.length()), "whpk_ key")));
        }
        if (KeyCodec.isPem(s, PEM_TYPE)) {
            byte[] der = KeyCodec.unpem(s, PEM_TYPE);
            for (String alg : List.of("RSA", "Ed25519")) {
                try {
                    return of(KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der)));
                } catch (GeneralSecurityException e) {
                    // try the next algorithm
                }
            }
            throw new IllegalArgumentException("PEM public key is neither RSA nor Ed25519");
        }
        throw new IllegalArgumentException("a public key must be 'whpk_…' or a PEM '-----BEGIN PUBLIC KEY-----' block");
    }

    /**
     * A key from its JWK members: {@code kty} "OKP" with {@code crv} "Ed25519" and {@code x}, or {@code kty} "RSA" with
     * {@code n} and {@code e}. Other members are ignored, {@code kid} included: the id is always recomputed as the
     * thumbprint, which is what Herald's JWKS publishes and its signatures name.
     *
     * @throws IllegalArgumentException if a member is missing or the key is unsupported
     */
    public static VerificationKey fromJwk(Map<String, ?> jwk) {
        Objects.requireNonNull(jwk, "jwk");
        String kty = member(jwk, "kty");
        switch (kty) {
            case "OKP" -> {
                if (!"Ed25519".equals(member(jwk, "crv"))) {
                    throw new IllegalArgumentException("only the Ed25519 curve is supported for OKP keys");
                }
                return new VerificationKey(KeyAlgorithm.ED25519, KeyCodec.ed25519Public(KeyCodec.base64Url(member(jwk, "x"), "JWK x")));
            }
            case "RSA" -> {
                BigInteger n = new BigInteger(1, KeyCodec.base64Url(member(jwk, "n"), "JWK n"));
                BigInteger e = new BigInteger(1, KeyCodec.base64Url(member(jwk, "e"), "JWK e"));
                try {
                    return new VerificationKey(KeyAlgorithm.RSA, KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e)));
                } catch (GeneralSecurityException ex) {
                    throw new IllegalArgumentException("not a valid RSA public key");
                }
            }
            default -> throw new IllegalArgumentException("unsupported JWK kty '" + kty + "'");
        }
    }

    private static String member(Map<String, ?> jwk, String name) {
        if (!(jwk.get(name) instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException("JWK member '" + name + "' is missing");
        }
        return s;
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    /** The RFC 7638 thumbprint: 43 base64url characters. */
    public String kid() {
        return kid;
    }

    /** The JCA key. */
    public PublicKey publicKey() {
        return key;
    }

    /**
     * {@code whpk_} + base64 of the 32 raw bytes.
     *
     * @throws IllegalStateException for an RSA key (Standard Webhooks defines the prefix for Ed25519 only)
     */
    public String toWhpk() {
        if (algorithm != KeyAlgorithm.ED25519) {
            throw new IllegalStateException("whpk_ is defined for Ed25519 keys only; use toPem()");
        }
        return PUBLIC_KEY_PREFIX + java.util.Base64.getEncoder().encodeToString(KeyCodec.ed25519Raw(key));
    }

    /** PEM {@code -----BEGIN PUBLIC KEY-----} (SubjectPublicKeyInfo), newline-terminated. */
    public String toPem() {
        return KeyCodec.pem(PEM_TYPE, key.getEncoded());
    }

    /** The form to show a merchant: {@code whpk_…} for Ed25519, PEM for RSA. */
    public String encoded() {
        return algorithm == KeyAlgorithm.ED25519 ? toWhpk() : toPem();
    }

    /**
     * The JWK, members in this order: Ed25519 {@code kty=OKP, crv=Ed25519, x} (RFC 8037), RSA {@code kty=RSA, n, e}
     * (RFC 7518 §6.3), then {@code kid}, {@code use=sig} and {@code alg} ({@code EdDSA} / {@code RS256}).
     */
    public Map<String, String> toJwk() {
        Map<String, String> jwk = new LinkedHashMap<>();
        if (algorithm == KeyAlgorithm.ED25519) {
            jwk.put("kty", "OKP");
            jwk.put("crv", "Ed25519");
            jwk.put("x", KeyCodec.base64Url(KeyCodec.ed25519Raw(key)));
        } else {
            RSAPublicKey rsa = (RSAPublicKey) key;
            jwk.put("kty", "RSA");
            jwk.put("n", KeyCodec.base64Url(KeyCodec.unsigned(rsa.getModulus())));
            jwk.put("e", KeyCodec.base64Url(KeyCodec.unsigned(rsa.getPublicExponent())));
        }
        jwk.put("kid", kid);
        jwk.put("use", "sig");
        jwk.put("alg", algorithm == KeyAlgorithm.ED25519 ? "EdDSA" : "RS256");
        return jwk;
    }

    /** A JWK Set {@code {"keys": [jwk, …]}} in the given order, for a JSON library to write. */
    public static Map<String, List<Map<String, String>>> jwks(List<VerificationKey> keys) {
        return Map.of("keys", keys.stream().map(VerificationKey::toJwk).toList());
    }

    /** The JWK Set as compact JSON text, for callers without a JSON library. */
    public static String jwksJson(List<VerificationKey> keys) {
        StringBuilder out = new StringBuilder("{\"keys\":[");
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, String> m : keys.get(i).toJwk().entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                // Every name and value is ASCII letters, digits, '-' or '_' (base64url and fixed words): nothing to escape.
                out.append('"').append(m.getKey()).append("\":\"").append(m.getValue()).append('"');
            }
            out.append('}');
        }
        return out.append("]}").toString();
    }

    /** RFC 7638 §3.2: the required members only, lexicographic order, no whitespace. */
    private String thumbprintInput() {
        if (algorithm == KeyAlgorithm.ED25519) {
            return "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + KeyCodec.base64Url(KeyCodec.ed25519Raw(key)) + "\"}";
        }
        RSAPublicKey rsa = (RSAPublicKey) key;
        return "{\"e\":\"" + KeyCodec.base64Url(KeyCodec.unsigned(rsa.getPublicExponent())) + "\",\"kty\":\"RSA\",\"n\":\""
                + KeyCodec.base64Url(KeyCodec.unsigned(rsa.getModulus())) + "\"}";
    }

    /** Same algorithm and key bytes. */
    @Override
    public boolean equals(Object o) {
        return o instanceof VerificationKey other && kid.equals(other.kid) && algorithm == other.algorithm;
    }

    @Override
    public int hashCode() {
        return kid.hashCode();
    }

    @Override
    public String toString() {
        return "VerificationKey[" + algorithm + ", kid=" + kid + "]";
    }
}
