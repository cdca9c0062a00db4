package dev.herald.delivery;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The per-merchant cap: at most {@code cap} tries in flight across all of one merchant's endpoints (read on every
 * acquire, so a changed cap holds from the next try; when it rises, waiting lanes are pumped as tries end). A lane refused a
 * slot is remembered and handed back by {@link #takeWaiting()} once a slot frees, so the dispatcher can pump it.
 * Lanes call in while holding their own lock; the gate never calls a lane, so the lock order is always lane → gate.
 */
final class MerchantGate {
    private final IntSupplier cap;
    private final Set<Lane> waiting = new LinkedHashSet<>();
    private int inFlight;

    MerchantGate(IntSupplier cap) {
        this.cap = cap;
    }

    /** Takes a slot for {@code lane}, or remembers it as waiting and returns false. */
    synchronized boolean tryAcquire(Lane lane) {
        if (inFlight < cap.getAsInt()) {
            inFlight++;
            return true;
        }
        waiting.add(lane);
        return false;
    }

    /** Gives back a slot taken by {@link #tryAcquire} (the try ended, or never started). */
    synchronized void release() {
        inFlight--;
    }

    /** The lanes refused since the last call, oldest first; they should be pumped again. */
    synchronized List<Lane> takeWaiting() {
        if (waiting.isEmpty() || inFlight >= cap.getAsInt()) {
            return List.of();
        }
        List<Lane> lanes = new ArrayList<>(waiting);
        waiting.clear();
        return lanes;
    }

    synchronized int inFlight() {
        return inFlight;
    }
}
