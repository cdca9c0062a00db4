package dev.herald.stats;

import java.util.Arrays;

/**
 * Fixed, log-spaced millisecond buckets that histograms from many nodes and minutes can be added up in, and the
 * percentiles read back from the sum: a value is reported as its bucket's bounds interpolated, so within one bucket's
 * width (roughly ±25% above 10 ms). Bucket {@code i} holds values in ({@code UPPER[i-1]}, {@code UPPER[i]}]; the last
 * holds everything above.
 */
public final class LatencyHistogram {
    /** Inclusive upper bounds, in milliseconds, of every bucket but the last (which is unbounded). */
    static final long[] UPPER = {1, 2, 3, 4, 5, 7, 10, 13, 16, 20, 25, 32, 40, 50, 65, 80, 100, 130, 160, 200, 250, 320, 400, 500, 650, 800,
            1_000, 1_300, 1_600, 2_000, 2_500, 3_200, 4_000, 5_000, 6_500, 8_000, 10_000, 13_000, 16_000, 20_000, 30_000, 60_000,
            120_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000};
    /** Number of buckets, the unbounded last one included. */
    public static final int BUCKETS = UPPER.length + 1;

    private LatencyHistogram() {}

    /** The bucket {@code millis} falls in (negative values count as 0). */
    public static int bucket(long millis) {
        int i = Arrays.binarySearch(UPPER, Math.max(0, millis));
        return i >= 0 ? i : -i - 1;
    }

    /**
     * The {@code q} quantile (0 < q ≤ 1) of the values counted in {@code counts}, in milliseconds, or null when there
     * are none. Values in the unbounded last bucket read as its lower bound.
     */
    public static Double quantile(long[] counts, double q) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return null;
        }
        double rank = q * total;
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            if (seen + counts[i] >= rank) {
                double lower = i == 0 ? 0 : UPPER[i - 1];
                if (i >= UPPER.length) {
                    return lower;
                }
                double within = (rank - seen) / counts[i];
                return lower + (UPPER[i] - lower) * within;
            }
            seen += counts[i];
        }
        return (double) UPPER[UPPER.length - 1];
    }
}
