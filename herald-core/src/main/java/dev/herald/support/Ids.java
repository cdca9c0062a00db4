package dev.herald.support;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/** Generates prefixed, URL-safe, 128-bit random identifiers such as {@code evt_2x7…}. */
public final class Ids {
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();
    private static final RandomGenerator RANDOM = new SecureRandom();

    private Ids() {}

    /** A new id: the prefix, an underscore and 22 base-62 characters (≥ 128 random bits). */
    public static String next(String prefix) {
        char[] out = new char[22];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return prefix + "_" + new String(out);
    }
}
