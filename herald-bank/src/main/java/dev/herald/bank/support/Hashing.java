package dev.herald.bank.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 hash chains: {@code hash = hex(SHA-256(previous_hash || canonical))}, starting from {@link #GENESIS}. */
public final class Hashing {
    /** The previous hash of a chain's first link: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);

    private Hashing() {}

    /** The next link of a chain: lowercase hex SHA-256 of the UTF-8 bytes of {@code previousHash + canonical}. */
    public static String link(String previousHash, String canonical) {
        return sha256Hex(previousHash + canonical);
    }

    public static String sha256Hex(String s) {
        return HexFormat.of().formatHex(sha256(s.getBytes(StandardCharsets.UTF_8)));
    }

    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Fields joined without ambiguity: each as {@code <length>:<value>;}, null as {@code -;}, so no value can
     * imitate a field boundary.
     */
    public static String canonical(Object... fields) {
        StringBuilder sb = new StringBuilder();
        for (Object f : fields) {
            if (f == null) {
                sb.append("-;");
            } else {
                String s = f.toString();
                sb.append(s.length()).append(':').append(s).append(';');
            }
        }
        return sb.toString();
    }
}
