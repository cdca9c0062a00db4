package dev.herald.bench;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Exact accounting of one phase: which events were accepted, which (event, endpoint) deliveries the fleet acknowledged
 * with a 2xx and how often. Every delivery slot has a counter, so loss (accepted, never acknowledged), duplicates
 * (acknowledged twice) and routing errors (wrong endpoint) are counted exactly, not sampled. Throughput and latency
 * are measured only inside the steady-state window set by the phase.
 *
 * <p>{@code tracked[i]}: endpoint i eventually acknowledges everything (its deliveries count for loss and pending);
 * {@code measured[i]}: endpoint i belongs to the class reported separately (the healthy endpoints of an isolation run).
 */
final class Receipts implements Fleet.Sink {
    private static final int TIMELINE_SECONDS = 3600;

    final Workload workload;
    final long capacity;
    private final boolean[] tracked;
    private final boolean[] measured;
    private final int[] trackedPerGroup;
    private volatile long originNanos = System.nanoTime();

    private final AtomicIntegerArray acks;
    private final AtomicLongArray acceptedBits;
    private final AtomicLongArray endpointAcks;
    private final AtomicLongArray firstAfterMark;
    private volatile long mark = Long.MAX_VALUE;
    private final AtomicLongArray timeline = new AtomicLongArray(TIMELINE_SECONDS);
    private final AtomicLong acceptedEvents = new AtomicLong();
    private final AtomicLong acceptedTracked = new AtomicLong();
    private final AtomicLong ackedTracked = new AtomicLong();
    private final AtomicLong uniqueAcks = new AtomicLong();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder wrongEndpoint = new LongAdder();
    private final LongAdder unknownIds = new LongAdder();
    private final LongAdder missingSentNs = new LongAdder();

    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;
    private final LongAdder windowAcks = new LongAdder();
    private final LongAdder windowAcksMeasured = new LongAdder();
    final Histogram latency = new Histogram();
    final Histogram latencyMeasured = new Histogram();

    Receipts(Workload workload, long capacityEvents, boolean[] tracked, boolean[] measured) {
        if (tracked.length != workload.endpoints() || measured.length != workload.endpoints()) {
            throw new IllegalArgumentException("masks must cover every endpoint");
        }
        long slots = capacityEvents * workload.fanout();
        if (slots > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("at most " + (Integer.MAX_VALUE - 8) + " deliveries per phase (events x fanout)");
        }
        this.workload = workload;
        this.capacity = capacityEvents;
        this.tracked = tracked.clone();
        this.measured = measured.clone();
        this.trackedPerGroup = new int[workload.groups()];
        for (int ep = 0; ep < tracked.length; ep++) {
            if (tracked[ep]) {
                trackedPerGroup[ep / workload.fanout()]++;
            }
        }
        this.acks = new AtomicIntegerArray((int) slots);
        this.acceptedBits = new AtomicLongArray((int) ((capacityEvents + 63) / 64));
        this.endpointAcks = new AtomicLongArray(workload.endpoints());
        this.firstAfterMark = new AtomicLongArray(workload.endpoints());
    }

    /** Marks events {@code [first, first + n)} as accepted by the system under test. */
    void accepted(long first, int n) {
        long tr = 0;
        for (long seq = first; seq < first + n; seq++) {
            long mask = 1L << (seq & 63);
            acceptedBits.getAndAccumulate((int) (seq >>> 6), mask, (a, b) -> a | b);
            tr += trackedPerGroup[workload.group(seq)];
        }
        acceptedEvents.addAndGet(n);
        acceptedTracked.addAndGet(tr);
    }

    boolean isAccepted(long seq) {
        return (acceptedBits.get((int) (seq >>> 6)) & (1L << (seq & 63))) != 0;
    }

    @Override
    public void received(int endpoint, String webhookId, long sentNs, int status, long receivedNanos) {
        requests.increment();
        if (receivedNanos >= mark && firstAfterMark.get(endpoint) == Long.MIN_VALUE) {
            firstAfterMark.compareAndSet(endpoint, Long.MIN_VALUE, receivedNanos);
        }
        if (status < 200 || status > 299) {
            failures.increment();
            return;
        }
        long seq = workload.seqOf(webhookId);
        if (seq < 0 || seq >= capacity) {
            unknownIds.increment();
            return;
        }
        if (endpoint / workload.fanout() != workload.group(seq)) {
            wrongEndpoint.increment();
            return;
        }
        if (acks.incrementAndGet((int) (seq * workload.fanout() + endpoint % workload.fanout())) > 1) {
            duplicates.increment();
            return;
        }
        uniqueAcks.incrementAndGet();
        endpointAcks.incrementAndGet(endpoint);
        long second = (receivedNanos - originNanos) / 1_000_000_000L;
        if (second >= 0 && second < TIMELINE_SECONDS) {
            timeline.incrementAndGet((int) second);
        }
        if (tracked[endpoint]) {
            ackedTracked.incrementAndGet();
        }
        if (receivedNanos >= windowStart && receivedNanos < windowEnd) {
            windowAcks.increment();
            boolean m = measured[endpoint];
            if (m) {
                windowAcksMeasured.increment();
            }
            if (sentNs == Fleet.NO_SENT_NS) {
                missingSentNs.increment();
            } else {
                latency.record(receivedNanos - sentNs);
                if (m) {
                    latencyMeasured.record(receivedNanos - sentNs);
                }
            }
        }
    }

    /** True when {@code nanos} lies in the measured window (after the warm-up, before the end of the load). */
    boolean inWindow(long nanos) {
        return nanos >= windowStart && nanos < windowEnd;
    }

    /** From now on, remembers per endpoint the arrival of its first request received at or after {@code nanos}. */
    void mark(long nanos) {
        for (int i = 0; i < firstAfterMark.length(); i++) {
            firstAfterMark.set(i, Long.MIN_VALUE);
        }
        mark = nanos;
    }

    /** When endpoint {@code ep}'s first request since the {@link #mark} arrived, or {@link Long#MIN_VALUE} if none has. */
    long firstSinceMark(int ep) {
        return firstAfterMark.get(ep);
    }

    /** Second 0 of the timeline: the start of the load. */
    void begin(long nanos) {
        originNanos = nanos;
    }

    void openWindow(long nanos) {
        windowStart = nanos;
    }

    void closeWindow(long nanos) {
        windowEnd = nanos;
    }

    /** Length of the measurement window in seconds (up to now if still open). */
    double windowSeconds() {
        long end = windowEnd == Long.MAX_VALUE ? System.nanoTime() : windowEnd;
        return windowStart == Long.MAX_VALUE ? 0 : Math.max(0, end - windowStart) / 1e9;
    }

    long windowAcks() { return windowAcks.sum(); }
    long windowAcksMeasured() { return windowAcksMeasured.sum(); }
    long acceptedEvents() { return acceptedEvents.get(); }
    long acceptedTracked() { return acceptedTracked.get(); }
    long uniqueAcks() { return uniqueAcks.get(); }
    long requests() { return requests.sum(); }
    long failures() { return failures.sum(); }
    long duplicates() { return duplicates.sum(); }
    long wrongEndpoint() { return wrongEndpoint.sum(); }
    long unknownIds() { return unknownIds.sum(); }
    long missingSentNs() { return missingSentNs.sum(); }
    long endpointAcks(int endpoint) { return endpointAcks.get(endpoint); }
    long originNanos() { return originNanos; }

    /** Accepted deliveries to endpoints that always acknowledge, not acknowledged yet. */
    long pendingTracked() {
        return acceptedTracked.get() - ackedTracked.get();
    }

    /** Unique acknowledgements per second since the phase began, up to {@code seconds}. */
    long[] timeline(int seconds) {
        long[] out = new long[Math.min(seconds, TIMELINE_SECONDS)];
        for (int i = 0; i < out.length; i++) {
            out[i] = timeline.get(i);
        }
        return out;
    }

    /** The exact end-of-phase accounting over events {@code [0, events)}. */
    Audit audit(long events) {
        long lost = 0;
        long unaccepted = 0;
        long expected = 0;
        int k = workload.fanout();
        long n = Math.min(events, capacity);
        for (long seq = 0; seq < n; seq++) {
            boolean accepted = isAccepted(seq);
            int first = workload.group(seq) * k;
            for (int j = 0; j < k; j++) {
                int count = acks.get((int) (seq * k + j));
                if (accepted && tracked[first + j]) {
                    expected++;
                    if (count == 0) {
                        lost++;
                    }
                } else if (!accepted && count > 0) {
                    unaccepted++;
                }
            }
        }
        return new Audit(expected, lost, duplicates(), wrongEndpoint(), unknownIds(), unaccepted);
    }

    /**
     * {@code expected}: accepted deliveries to endpoints that always acknowledge; {@code lost}: of those, never acknowledged;
     * {@code unaccepted}: acknowledged deliveries of events whose POST did not succeed (ambiguous, not an error by itself).
     */
    record Audit(long expected, long lost, long duplicates, long wrongEndpoint, long unknownIds, long unaccepted) {
        boolean clean() {
            return lost == 0 && duplicates == 0 && wrongEndpoint == 0 && unknownIds == 0;
        }
    }
}
