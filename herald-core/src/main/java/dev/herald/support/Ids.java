package dev.herald.support;

import java.security.SecureRandom;

/**
 * Generates prefixed, URL-safe identifiers such as {@code evt_0Vx3…}: 22 base-62 characters of a 128-bit value whose
 * top 48 bits are the Unix time in milliseconds and whose other 80 bits are random (one {@link SecureRandom} draw per
 * id). Ids of one prefix therefore sort by creation time in byte order, so the database's unique indexes on them grow
 * at their right edge instead of dirtying a random page per insert; within a millisecond the order is random.
 */
public final class Ids {
    /** Digits in ASCII order, so byte order of the text is numeric order of the value. */
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final int LENGTH = 22;
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private Ids() {}

    /** A new id for now. */
    public static String next(String prefix) {
        return next(prefix, System.currentTimeMillis());
    }

    /**
     * A new id whose time part is {@code epochMillis}: ids made from the engine's clock (a delivery's from its event's
     * receipt time) tell the day partition of their row (see {@link #millisOf}).
     */
    public static String next(String prefix, long epochMillis) {
        byte[] random = new byte[10];
        RANDOM.get().nextBytes(random);
        // Four 32-bit limbs, most significant first: 48 bits of time, then the 80 random bits.
        long[] limbs = new long[4];
        limbs[0] = (epochMillis >>> 16) & 0xffffffffL;
        limbs[1] = ((epochMillis & 0xffff) << 16) | ((random[0] & 0xff) << 8) | (random[1] & 0xff);
        limbs[2] = word(random, 2);
        limbs[3] = word(random, 6);
        char[] out = new char[LENGTH];
        for (int i = LENGTH - 1; i >= 0; i--) { // long division of the 128-bit value by 62, one digit per pass
            long rem = 0;
            for (int j = 0; j < 4; j++) {
                long cur = (rem << 32) | limbs[j];
                limbs[j] = cur / 62;
                rem = cur % 62;
            }
            out[i] = ALPHABET[(int) rem];
        }
        return prefix + "_" + new String(out);
    }

    /**
     * The Unix time in milliseconds that {@link #next} put into {@code id} ({@code prefix_} and 22 base-62 digits), or
     * -1 when {@code id} is not shaped like one (a producer's own event id, say).
     */
    public static long millisOf(String id) {
        int us = id == null ? -1 : id.lastIndexOf('_');
        if (us < 0 || id.length() - us - 1 != LENGTH) {
            return -1;
        }
        // value / 2^80 = the time: only the top 48 bits matter, so keep the value in 64-bit limbs of the top part.
        java.math.BigInteger v = java.math.BigInteger.ZERO;
        java.math.BigInteger base = java.math.BigInteger.valueOf(62);
        for (int i = us + 1; i < id.length(); i++) {
            int digit = digit(id.charAt(i));
            if (digit < 0) {
                return -1;
            }
            v = v.multiply(base).add(java.math.BigInteger.valueOf(digit));
        }
        return v.bitLength() > 128 ? -1 : v.shiftRight(80).longValue();
    }

    private static int digit(char ch) {
        if (ch >= '0' && ch <= '9') {
            return ch - '0';
        }
        if (ch >= 'A' && ch <= 'Z') {
            return ch - 'A' + 10;
        }
        if (ch >= 'a' && ch <= 'z') {
            return ch - 'a' + 36;
        }
        return -1;
    }

    private static long word(byte[] b, int at) {
        return ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xffL) << 16) | ((b[at + 2] & 0xffL) << 8) | (b[at + 3] & 0xffL);
    }
}
