package dev.herald.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * One endpoint's circuit breaker: after {@code threshold} consecutive failed tries it opens and nothing is sent; when
 * the cool-down ends one probe goes out (half-open); a success closes it, a failure re-opens it with twice the
 * cool-down (capped). Not thread-safe: guarded by its lane.
 */
final class CircuitBreaker {
    /** Breaker states as the API shows them. */
    enum State { CLOSED, OPEN, HALF_OPEN }

    /** What the API shows of a breaker. */
    record Snapshot(State state, int consecutiveFailures, Instant retryAt) {}

    private final int threshold;
    private final Duration baseCooldown;
    private final Duration maxCooldown;
    private State state = State.CLOSED;
    private int failures;
    private Duration cooldown;
    private Instant openUntil;

    CircuitBreaker(int threshold, Duration baseCooldown, Duration maxCooldown) {
        this.threshold = threshold;
        this.baseCooldown = baseCooldown;
        this.maxCooldown = maxCooldown;
        this.cooldown = baseCooldown;
    }

    /** True when a try may start now, given how many of this endpoint's tries are in flight. */
    boolean allows(Instant now, int inFlight) {
        if (state == State.OPEN && !now.isBefore(openUntil)) {
            state = State.HALF_OPEN;
        }
        return switch (state) {
            case CLOSED -> true;
            case OPEN -> false;
            case HALF_OPEN -> inFlight == 0;
        };
    }

    /** True while the breaker refuses work (open and still cooling down). */
    boolean isOpen(Instant now) {
        return state == State.OPEN && now.isBefore(openUntil);
    }

    void onResult(boolean success, Instant now) {
        if (success) {
            state = State.CLOSED;
            failures = 0;
            cooldown = baseCooldown;
            return;
        }
        failures++;
        if (state == State.HALF_OPEN) {
            cooldown = cooldown.multipliedBy(2).compareTo(maxCooldown) > 0 ? maxCooldown : cooldown.multipliedBy(2);
            open(now);
        } else if (state == State.CLOSED && failures >= threshold) {
            open(now);
        }
    }

    private void open(Instant now) {
        state = State.OPEN;
        openUntil = now.plus(cooldown);
    }

    Snapshot snapshot() {
        return new Snapshot(state, failures, state == State.CLOSED ? null : openUntil);
    }
}
