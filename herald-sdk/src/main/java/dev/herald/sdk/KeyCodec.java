package dev.herald.sdk;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/** DER/PEM/base64 plumbing shared by the key types. Never puts key bytes into exception messages. */
final class KeyCodec {
    static final int ED25519_KEY_BYTES = 32;
    static final int RSA_MIN_BITS = 2048;
    static final int RSA_MAX_BITS = 8192;

    /** SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) up to the 32 raw public key bytes. */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    /** PKCS#8 PrivateKeyInfo of an Ed25519 key (RFC 8410) up to the 32-byte seed. */
    private static final byte[] ED25519_PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");

    private KeyCodec() {
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /** The DER inside a PEM block of {@code type}; whitespace and CRLF tolerated. */
    static byte[] unpem(String text, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("not a PEM " + type + " block");
        }
        String base64 = text.substring(b + begin.length(), e).replaceAll("\\s+", "");
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("PEM " + type + " block is not valid base64");
        }
    }

    static boolean isPem(String text, String type) {
        return text.contains("-----BEGIN " + type + "-----");
    }

    static byte[] base64(String encoded, String what) {
        try {
            return Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not valid base64");
        }
    }

    static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] base64Url(String encoded, String what) {
        try {
            return Base64.getUrlDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not valid base64url");
        }
    }

    /** Big-endian magnitude without a leading sign byte, as JWK {@code n}/{@code e} need. */
    static byte[] unsigned(BigInteger value) {
        byte[] b = value.toByteArray();
        return b.length > 1 && b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    static String sha256Base64Url(String text) {
        try {
            return base64Url(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    static byte[] ed25519Raw(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (spki.length != ED25519_SPKI_PREFIX.length + ED25519_KEY_BYTES
                || !Arrays.equals(spki, 0, ED25519_SPKI_PREFIX.length, ED25519_SPKI_PREFIX, 0, ED25519_SPKI_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
        return Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX.length, spki.length);
    }

    static PublicKey ed25519Public(byte[] raw) {
        if (raw.length != ED25519_KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + ED25519_KEY_BYTES);
        System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, ED25519_KEY_BYTES);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a valid Ed25519 public key");
        }
    }

    /** The 32-byte seed of an Ed25519 private key. */
    static byte[] ed25519Seed(PrivateKey key) {
        if (key instanceof EdECPrivateKey ed && "Ed25519".equalsIgnoreCase(ed.getParams().getName())) {
            return ed.getBytes().orElseThrow(() -> new IllegalArgumentException("Ed25519 private key has no extractable seed"));
        }
        throw new IllegalArgumentException("not an Ed25519 private key");
    }

    /**
     * The Ed25519 key pair of {@code seed}. The JDK has no public API deriving the public key from a private one, so
     * this feeds the seed to the JDK's key pair generator as its "random" bytes, then checks the generator really used
     * them (a JDK that draws differently fails loudly here rather than producing a mismatched pair).
     */
    static KeyPair ed25519FromSeed(byte[] seed) {
        if (seed.length != ED25519_KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes");
        }
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
            KeyPair pair = g.generateKeyPair();
            if (!Arrays.equals(ed25519Seed(pair.getPrivate()), seed)) {
                throw new IllegalStateException("this JDK's Ed25519 generator did not use the supplied seed");
            }
            return pair;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available in this JDK", e);
        }
    }

    /** The RFC 8410 PKCS#8 DER of an Ed25519 seed (the caller clears it). */
    static byte[] ed25519Pkcs8(byte[] seed) {
        byte[] der = Arrays.copyOf(ED25519_PKCS8_PREFIX, ED25519_PKCS8_PREFIX.length + ED25519_KEY_BYTES);
        System.arraycopy(seed, 0, der, ED25519_PKCS8_PREFIX.length, ED25519_KEY_BYTES);
        return der;
    }

    static void checkRsaSize(RSAKey key) {
        int bits = key.getModulus().bitLength();
        if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
            throw new IllegalArgumentException("RSA keys must have " + RSA_MIN_BITS + " to " + RSA_MAX_BITS + " bits, not " + bits);
        }
    }

    /** A "random" source that hands out one fixed seed, once. */
    private static final class SeedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] seed;
        private boolean used;

        SeedRandom(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            if (used || bytes.length != seed.length) {
                throw new IllegalStateException("unexpected draw from the Ed25519 seed source");
            }
            used = true;
            System.arraycopy(seed, 0, bytes, 0, seed.length);
            Arrays.fill(seed, (byte) 0);
        }
    }
}
