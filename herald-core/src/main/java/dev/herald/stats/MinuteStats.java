package dev.herald.stats;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * This node's tries counted per minute (of the try's start) and merchant, for the console's charts: attempts, the
 * acknowledged ones, and histograms of attempt duration and of publish → receive time ({@link LatencyHistogram}).
 * Each try is counted twice, under its merchant and under {@link #ALL}, so an operator's chart reads one row per node
 * and minute whatever the number of merchants. Recording touches only counters (no lock, no I/O);
 * {@link StatsWriter} copies the totals to the database. The engine records a try here only through
 * {@code EngineMetrics.attempt}, the one place a try is counted for both the Prometheus meters and these stats. Thread-safe.
 */
public final class MinuteStats {
    /** The merchant id that stands for every try of the node. */
    public static final String ALL = "*";
    /** The merchant id of tries to endpoints that belong to no merchant. */
    public static final String NONE = "";

    private final Map<Key, Cell> cells = new ConcurrentHashMap<>();
    private volatile long forgottenBefore = Long.MIN_VALUE;

    record Key(long minute, String merchantId) {}

    /** One minute's totals for one merchant, as this node counted them so far. */
    public record Totals(Instant minute, String merchantId, long attempts, long acknowledged, long[] attemptMillis, long[] receiveMillis) {}

    private static final class Cell {
        final LongAdder attempts = new LongAdder();
        final LongAdder acknowledged = new LongAdder();
        final AtomicLongArray attemptMillis = new AtomicLongArray(LatencyHistogram.BUCKETS);
        final AtomicLongArray receiveMillis = new AtomicLongArray(LatencyHistogram.BUCKETS);
    }

    /**
     * Counts one try that started at {@code startedAt} and took {@code duration}; {@code receivedAt} is when the event
     * reached Herald, given only for an acknowledged try (null otherwise, or when unknown).
     */
    public void record(String merchantId, Instant startedAt, Duration duration, boolean acknowledged, Instant receivedAt) {
        long minute = Math.floorDiv(startedAt.getEpochSecond(), 60);
        if (minute < forgottenBefore) {
            return; // its minute was written and forgotten: counting it anew would replace the written totals
        }
        int attemptBucket = LatencyHistogram.bucket(duration.toMillis());
        int receiveBucket = receivedAt == null ? -1 : LatencyHistogram.bucket(Duration.between(receivedAt, startedAt.plus(duration)).toMillis());
        add(new Key(minute, ALL), acknowledged, attemptBucket, receiveBucket);
        add(new Key(minute, merchantId == null ? NONE : merchantId), acknowledged, attemptBucket, receiveBucket);
    }

    private void add(Key key, boolean acknowledged, int attemptBucket, int receiveBucket) {
        Cell cell = cells.computeIfAbsent(key, k -> new Cell());
        cell.attempts.increment();
        if (acknowledged) {
            cell.acknowledged.increment();
        }
        cell.attemptMillis.incrementAndGet(attemptBucket);
        if (receiveBucket >= 0) {
            cell.receiveMillis.incrementAndGet(receiveBucket);
        }
    }

    /** The totals of every minute still held, newest counts included. */
    public List<Totals> snapshot() {
        List<Totals> out = new ArrayList<>(cells.size());
        cells.forEach((k, c) -> out.add(new Totals(Instant.ofEpochSecond(k.minute * 60), k.merchantId, c.attempts.sum(), c.acknowledged.sum(),
                copy(c.attemptMillis), copy(c.receiveMillis))));
        return out;
    }

    /**
     * Forgets the minutes that started before {@code before}, once their totals were written; a try recorded later
     * into such a minute is not counted (so keep minutes for longer than the longest try).
     */
    public void forgetBefore(Instant before) {
        long minute = Math.floorDiv(before.getEpochSecond(), 60);
        forgottenBefore = Math.max(forgottenBefore, minute);
        cells.keySet().removeIf(k -> k.minute < minute);
    }

    private static long[] copy(AtomicLongArray a) {
        long[] out = new long[a.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i);
        }
        return out;
    }
}
