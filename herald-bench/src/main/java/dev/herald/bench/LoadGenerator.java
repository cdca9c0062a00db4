package dev.herald.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives a {@link Target} with events {@code 0, 1, 2, …} until the duration or the event cap is reached. Closed loop
 * ({@code rate <= 0}): {@code concurrency} virtual threads each post a batch and wait for the answer, pausing while more
 * than {@code maxPending} accepted deliveries are not yet acknowledged by the fleet (so the measured rate is sustainable,
 * not a growing backlog). Open loop ({@code rate > 0}): batches start on a fixed schedule whatever the answers, at most
 * {@code concurrency} outstanding; a batch that cannot start on time is counted as late (no coordinated omission).
 */
final class LoadGenerator {
    /** Something that accepts events {@code [first, first + n)}; returns null when accepted, else what went wrong. */
    interface Target extends AutoCloseable {
        /** Sends events {@code first .. first+n-1}; latency counts from {@code dueNanos}, when the batch was due to start. */
        String send(long first, int n, long dueNanos) throws Exception;

        @Override
        void close();
    }

    record Plan(long durationNanos, long maxEvents, int concurrency, int batch, double rate, long maxPending) {
        Plan {
            if (concurrency < 1 || batch < 1 || maxEvents < 1 || durationNanos < 1) {
                throw new IllegalArgumentException("load plan values must be positive: " + this);
            }
        }
    }

    private final Plan plan;
    private final Target target;
    private final Receipts receipts;
    private final AtomicLong next = new AtomicLong();
    private final LongAdder sent = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failedRequests = new LongAdder();
    private final LongAdder late = new LongAdder();
    private final LongAdder pendingWaitNanos = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    final Histogram requestLatency = new Histogram();
    private volatile boolean stop;

    LoadGenerator(Plan plan, Target target, Receipts receipts) {
        this.plan = plan;
        this.target = target;
        this.receipts = receipts;
    }

    long sent() { return sent.sum(); }
    long requests() { return requests.sum(); }
    long failedRequests() { return failedRequests.sum(); }
    long late() { return late.sum(); }
    /** Producer-seconds spent waiting because --max-pending deliveries were unacknowledged. */
    double pendingWaitSeconds() { return pendingWaitNanos.sum() / 1e9; }

    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Asks the generator to stop starting new batches. */
    void stop() {
        stop = true;
    }

    /** Runs to completion (duration, event cap or {@link #stop()}); returns when every started batch has been answered. */
    void run() throws InterruptedException {
        long deadline = System.nanoTime() + plan.durationNanos();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            if (plan.rate() <= 0) {
                for (int i = 0; i < plan.concurrency(); i++) {
                    threads.execute(() -> closedLoop(deadline));
                }
            } else {
                openLoop(deadline, threads);
            }
            threads.shutdown();
            if (!threads.awaitTermination(plan.durationNanos() + TimeUnit.SECONDS.toNanos(60), TimeUnit.NANOSECONDS)) {
                threads.shutdownNow();
            }
        }
    }

    private void closedLoop(long deadline) {
        while (!stop && System.nanoTime() < deadline) {
            if (plan.maxPending() > 0 && receipts.pendingTracked() >= plan.maxPending()) {
                long t0 = System.nanoTime();
                while (receipts.pendingTracked() >= plan.maxPending() && !stop && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(200_000);
                }
                pendingWaitNanos.add(System.nanoTime() - t0);
            }
            long first = next.getAndAdd(plan.batch());
            if (first >= plan.maxEvents() || stop || System.nanoTime() >= deadline) {
                return;
            }
            sendOne(first, (int) Math.min(plan.batch(), plan.maxEvents() - first), System.nanoTime());
        }
    }

    private void openLoop(long deadline, ExecutorService threads) throws InterruptedException {
        Semaphore outstanding = new Semaphore(plan.concurrency());
        long interval = (long) (plan.batch() * 1e9 / plan.rate());
        long start = System.nanoTime();
        for (long k = 0; !stop; k++) {
            long at = start + k * interval;
            long first = k * plan.batch();
            if (at >= deadline || first >= plan.maxEvents()) {
                return;
            }
            for (long wait = at - System.nanoTime(); wait > 0; wait = at - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            if (!outstanding.tryAcquire()) {
                late.increment();
                if (!outstanding.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    return;
                }
            } else if (System.nanoTime() - at > 1_000_000) {
                late.increment();
            }
            int n = (int) Math.min(plan.batch(), plan.maxEvents() - first);
            next.set(first + n);
            threads.execute(() -> {
                try {
                    sendOne(first, n, at); // a late start counts in the latency (no coordinated omission)
                } finally {
                    outstanding.release();
                }
            });
        }
    }

    private void sendOne(long first, int n, long dueNanos) {
        sent.add(n);
        requests.increment();
        try {
            String error = target.send(first, n, dueNanos);
            if (error != null) {
                failedRequests.increment();
                errors.computeIfAbsent(error, k -> new LongAdder()).increment();
            }
        } catch (Exception e) {
            failedRequests.increment();
            errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
        } finally {
            if (receipts.inWindow(dueNanos)) { // like delivery latency: requests due during the warm-up are not counted
                requestLatency.record(System.nanoTime() - dueNanos);
            }
        }
    }

    /** Events handed out so far (the audit range). */
    long issued() {
        return Math.min(next.get(), plan.maxEvents());
    }
}
