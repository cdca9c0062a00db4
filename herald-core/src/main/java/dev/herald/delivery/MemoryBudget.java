package dev.herald.delivery;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tasks waiting in memory on one node, shared by all lanes: a total {@code limit}, and a per-lane share of it that
 * the dispatcher resets to an even split among the lanes with waiting work, so lanes that cannot drain (a hanging or
 * failing endpoint) cannot fill the node and starve the healthy ones. Every lane may hold {@code floor} tasks whatever
 * the others hold, so waiting memory is bounded by {@code limit + floor ×} lanes with work.
 */
final class MemoryBudget {
    private final int limit;
    private final int floor;
    private final AtomicInteger used = new AtomicInteger();
    private volatile int share;

    MemoryBudget(int limit, int floor) {
        this.limit = limit;
        this.floor = floor;
        this.share = limit;
    }

    /** Takes room for one more waiting task of a lane already holding {@code held}; false at its share or the node's limit. */
    boolean tryTake(int held) {
        if (held < floor) {
            used.incrementAndGet();
            return true;
        }
        if (held >= share) {
            return false;
        }
        if (used.incrementAndGet() > limit) {
            used.decrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * Whether {@link #tryTake} would now take a task of a lane holding {@code held}, with {@code pending} more already
     * promised elsewhere; takes nothing.
     */
    boolean admits(int held, int pending) {
        return held < floor || (held < share && used.get() + pending < limit);
    }

    /** Gives back the room of {@code n} tasks that started, were dropped or handed back. */
    void give(int n) {
        used.addAndGet(-n);
    }

    /** Splits the limit evenly among {@code lanesWithWork} lanes, never below the floor. */
    void split(int lanesWithWork) {
        share = Math.max(floor, limit / Math.max(1, lanesWithWork));
    }

    int share() {
        return share;
    }

    int used() {
        return used.get();
    }

    /** Tasks that may still be taken before the limit. */
    int room() {
        return limit - used.get();
    }
}
