package dev.herald.delivery;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * One endpoint's share of the dispatcher, as a state machine: at most {@code maxInFlight} tries at once (one while the
 * breaker is half-open, none while it is open), no faster than its optional rate limit, a bounded window of waiting
 * tasks taken highest priority first, and for FIFO endpoints one task per ordering key at a time, in ingest order. The
 * in-flight cap is reached by a slow start: a new lane, and one whose breaker has just closed again, begins with
 * {@link #SLOW_START} tries at once and adds one per delivered try, so a backlog released on thousands of endpoints at
 * once (a bus flood, a restart, a merchant back from an outage) opens connections as answers come back. A key whose head must be retried is blocked:
 * its followers go back to the database, whose claim query hands out only a key's oldest pending delivery.
 * Waiting tasks also count against a budget shared by all lanes, so memory stays bounded however many endpoints have a
 * backlog, and every try takes a slot of the endpoint's merchant's {@link MerchantGate} when it has one. Methods report what the caller must do through {@code start} (tasks to send now) and {@code release}
 * (delivery ids to hand back to the database). Thread-safe.
 */
final class Lane {
    /** How a task left the lane. */
    enum Finish { DELIVERED, RETRY_LATER, FAILED, NOT_SENT }

    /** Tries a lane may have in flight when it starts, or restarts after its breaker closed. */
    static final int SLOW_START = 2;

    private record Queued(DeliveryTask task, long order) {}

    private final int maxInFlight;
    private final int window;
    private final CircuitBreaker breaker;
    private final MemoryBudget budget;
    private final MerchantGate gate;
    private final PriorityQueue<Queued> ready = new PriorityQueue<>(
            Comparator.comparingInt((Queued q) -> -q.task().priority()).thenComparingLong(Queued::order));
    private final Map<String, ArrayDeque<DeliveryTask>> behindKey = new HashMap<>();
    private final Set<String> activeKeys = new HashSet<>();
    private final Set<String> blockedKeys = new HashSet<>();
    private TokenBucket limiter;
    private long arrivals;
    private int waitingBehind;
    private int inFlight;
    private int limit;

    /** {@code budget} is shared by every lane of the node; {@code gate} is the merchant's cap, or null without a merchant. */
    Lane(int maxInFlight, int window, CircuitBreaker breaker, MemoryBudget budget, MerchantGate gate) {
        this.gate = gate;
        this.maxInFlight = maxInFlight;
        this.limit = Math.min(maxInFlight, SLOW_START);
        this.window = window;
        this.breaker = breaker;
        this.budget = budget;
    }

    /** Sets or removes ({@code null}) the lane's rate limit in requests a second. */
    synchronized void rateLimit(Integer perSecond, Instant now) {
        if (perSecond == null) {
            limiter = null;
        } else if (limiter == null || limiter.perSecond() != perSecond) {
            limiter = new TokenBucket(perSecond, now);
        }
    }

    /** When waiting work held back only by the rate limit may start, or null if nothing waits on it. */
    synchronized Instant nextPaceAt(Instant now) {
        if (limiter == null || ready.isEmpty() || inFlight >= limit || !breaker.allows(now, inFlight)) {
            return null;
        }
        return limiter.nextTokenAt(now);
    }

    private boolean reserve() {
        return budget.tryTake(ready.size() + waitingBehind);
    }

    /**
     * Takes a claimed task. {@code fromScan} marks a task the database's claim query chose, which for a FIFO endpoint
     * is always its key's oldest pending delivery, so it may unblock that key.
     */
    synchronized void offer(DeliveryTask t, boolean fifo, boolean fromScan, Instant now, List<DeliveryTask> start, List<String> release) {
        String key = fifo ? t.orderingKey() : null;
        if (key != null) {
            if (fromScan) {
                blockedKeys.remove(key);
            } else if (blockedKeys.contains(key)) {
                release.add(t.deliveryId());
                return;
            }
            if (activeKeys.contains(key)) {
                if (waitingBehind >= window || !reserve()) {
                    release.add(t.deliveryId());
                } else {
                    behindKey.computeIfAbsent(key, k -> new ArrayDeque<>()).add(t);
                    waitingBehind++;
                }
                return;
            }
        }
        if (!enqueue(t, now, start, release) || key == null) {
            return;
        }
        activeKeys.add(key);
    }

    /** Records how a started task ended and starts what may go next. */
    synchronized void finished(DeliveryTask t, boolean fifo, Finish how, Instant now, List<DeliveryTask> start, List<String> release) {
        inFlight--;
        if (gate != null) {
            gate.release();
        }
        if (how != Finish.NOT_SENT) {
            boolean wasClosed = breaker.snapshot().state() == CircuitBreaker.State.CLOSED;
            breaker.onResult(how == Finish.DELIVERED, now);
            if (!wasClosed && breaker.snapshot().state() == CircuitBreaker.State.CLOSED) {
                limit = Math.min(maxInFlight, SLOW_START); // back from an outage: start slow again
            } else if (how == Finish.DELIVERED && limit < maxInFlight) {
                limit++;
            }
        }
        String key = fifo ? t.orderingKey() : null;
        if (key != null && activeKeys.contains(key)) {
            ArrayDeque<DeliveryTask> behind = behindKey.remove(key);
            if (how == Finish.RETRY_LATER || how == Finish.NOT_SENT) {
                if (how == Finish.RETRY_LATER) {
                    blockedKeys.add(key);
                }
                activeKeys.remove(key);
                if (behind != null) {
                    waitingBehind -= behind.size();
                    budget.give(behind.size());
                    behind.forEach(b -> release.add(b.deliveryId()));
                }
            } else {
                blockedKeys.remove(key);
                DeliveryTask next = behind == null ? null : behind.poll();
                if (next == null) {
                    activeKeys.remove(key);
                } else {
                    waitingBehind--;
                    budget.give(1);
                    if (!behind.isEmpty()) {
                        behindKey.put(key, behind);
                    }
                    if (!enqueue(next, now, start, release)) {
                        activeKeys.remove(key);
                        if (!behind.isEmpty()) {
                            behindKey.remove(key);
                            waitingBehind -= behind.size();
                            budget.give(behind.size());
                            behind.forEach(b -> release.add(b.deliveryId()));
                        }
                    }
                }
            }
        }
        pump(now, start);
    }

    /** Starts waiting tasks if the limits allow (e.g. after the breaker's cool-down ended). */
    synchronized void pump(Instant now, List<DeliveryTask> start) {
        while (!ready.isEmpty() && inFlight < limit && breaker.allows(now, inFlight)) {
            if (gate != null && !gate.tryAcquire(this)) {
                return;
            }
            if (limiter != null && !limiter.tryAcquire(now)) {
                if (gate != null) {
                    gate.release();
                }
                return;
            }
            inFlight++;
            budget.give(1);
            start.add(ready.poll().task());
        }
    }

    /** True when the lane cannot take more work from the database now (window or memory share full, or breaker open). */
    synchronized boolean saturated(Instant now) {
        return ready.size() + waitingBehind >= Math.min(window, budget.share()) || breaker.isOpen(now);
    }

    /** Tasks waiting in memory (not in flight). */
    synchronized int waiting() {
        return ready.size() + waitingBehind;
    }

    /**
     * Hands back the waiting tasks beyond {@code keep}, lowest priority and newest first, and returns their ids. A FIFO
     * key goes back whole (its head and the tasks behind it) and stays blocked until the database's claim hands out its
     * oldest delivery again, so it never overtakes itself. Tasks behind a key whose head is in flight stay.
     */
    synchronized List<String> shed(int keep) {
        if (ready.size() + waitingBehind <= keep) {
            return List.of();
        }
        List<Queued> order = new java.util.ArrayList<>(ready);
        order.sort(ready.comparator());
        ready.clear();
        List<String> out = new java.util.ArrayList<>();
        int kept = waitingBehind;
        for (Queued q : order) {
            String key = q.task().orderingKey();
            ArrayDeque<DeliveryTask> behind = key != null && activeKeys.contains(key) ? behindKey.get(key) : null;
            if (kept + 1 <= keep) {
                ready.add(q);
                kept++;
                continue;
            }
            out.add(q.task().deliveryId());
            if (key != null && activeKeys.remove(key)) {
                blockedKeys.add(key);
                if (behind != null) {
                    behindKey.remove(key);
                    waitingBehind -= behind.size();
                    kept -= behind.size();
                    behind.forEach(b -> out.add(b.deliveryId()));
                }
            }
        }
        budget.give(out.size());
        return out;
    }

    /** Empties the lane's waiting tasks (not those in flight) and returns their delivery ids. */
    synchronized List<String> drain() {
        List<String> ids = new java.util.ArrayList<>();
        ready.forEach(q -> ids.add(q.task().deliveryId()));
        behindKey.values().forEach(d -> d.forEach(t -> ids.add(t.deliveryId())));
        budget.give(ids.size());
        ready.clear();
        behindKey.clear();
        activeKeys.clear();
        waitingBehind = 0;
        return ids;
    }

    synchronized int size() {
        return ready.size() + waitingBehind + inFlight;
    }

    MerchantGate gate() {
        return gate;
    }

    /** True while this lane's breaker refuses work. */
    synchronized boolean breakerOpen(Instant now) {
        return breaker.isOpen(now);
    }

    synchronized CircuitBreaker.Snapshot breaker() {
        return breaker.snapshot();
    }

    /** Queues {@code t} and starts what the limits allow; false when it did not fit and was released. */
    private boolean enqueue(DeliveryTask t, Instant now, List<DeliveryTask> start, List<String> release) {
        if (ready.size() >= window || !reserve()) {
            release.add(t.deliveryId());
            return false;
        }
        ready.add(new Queued(t, arrivals++));
        pump(now, start);
        return true;
    }
}
