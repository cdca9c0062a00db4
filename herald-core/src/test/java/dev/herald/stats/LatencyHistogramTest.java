package dev.herald.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void aValueFallsInTheBucketWhoseUpperBoundIsTheFirstAtOrAboveIt() {
        assertThat(LatencyHistogram.bucket(-5)).isZero();
        assertThat(LatencyHistogram.bucket(0)).isZero();
        assertThat(LatencyHistogram.bucket(1)).isZero();
        assertThat(LatencyHistogram.bucket(2)).isEqualTo(1);
        assertThat(LatencyHistogram.bucket(6)).isEqualTo(LatencyHistogram.bucket(7));
        assertThat(LatencyHistogram.bucket(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
    }

    @Test
    void quantilesOfAKnownSpreadAreWithinABucketsWidth() {
        long[] counts = new long[LatencyHistogram.BUCKETS];
        for (int ms = 1; ms <= 1000; ms++) {
            counts[LatencyHistogram.bucket(ms)]++;
        }
        assertThat(LatencyHistogram.quantile(counts, 0.5)).isCloseTo(500, within(500 * 0.25));
        assertThat(LatencyHistogram.quantile(counts, 0.99)).isCloseTo(990, within(990 * 0.25));
        assertThat(LatencyHistogram.quantile(new long[LatencyHistogram.BUCKETS], 0.5)).isNull();
    }

    @Test
    void valuesBeyondTheLastBoundReadAsThatBound() {
        long[] counts = new long[LatencyHistogram.BUCKETS];
        counts[LatencyHistogram.BUCKETS - 1] = 3;
        assertThat(LatencyHistogram.quantile(counts, 0.99)).isEqualTo(86_400_000.0);
    }
}
