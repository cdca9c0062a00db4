package dev.herald.support;

import java.security.SecureRandom;

/** Generates prefixed, URL-safe, 128-bit random identifiers such as {@code evt_2x7…}. */
public final class Ids {
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private Ids() {}

    /** A new id: the prefix, an underscore and 22 base-62 characters of 128 random bits (one draw per id). */
    public static String next(String prefix) {
        byte[] bytes = new byte[16];
        RANDOM.get().nextBytes(bytes);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (bytes[i] & 0xff);
            lo = (lo << 8) | (bytes[i + 8] & 0xff);
        }
        char[] out = new char[22];
        for (int i = 0; i < 11; i++) {
            out[i] = ALPHABET[(int) Long.remainderUnsigned(hi, 62)];
            hi = Long.divideUnsigned(hi, 62);
            out[11 + i] = ALPHABET[(int) Long.remainderUnsigned(lo, 62)];
            lo = Long.divideUnsigned(lo, 62);
        }
        return prefix + "_" + new String(out);
    }
}
