package dev.herald.bank.support;

import dev.herald.store.chain.HashChain;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 hash chains: {@code hash = hex(SHA-256(previous_hash || canonical))}, starting from {@link #GENESIS}. */
public final class Hashing {
    /** The previous hash of a chain's first link: 64 zeros. */
    public static final String GENESIS = HashChain.GENESIS;

    private Hashing() {}

    /** The next link of a chain: lowercase hex SHA-256 of the UTF-8 bytes of {@code previousHash + canonical}. */
    public static String link(String previousHash, String canonical) {
        return HashChain.unkeyed(previousHash, canonical);
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

    /** Fields joined without ambiguity (see {@link HashChain#canonical}). */
    public static String canonical(Object... fields) {
        return HashChain.canonical(fields);
    }
}
