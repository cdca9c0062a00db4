package dev.herald.delivery;

import java.time.Duration;
import java.time.Instant;

/** A token bucket of {@code perSecond} tokens a second holding at most one second's worth. Guarded by its lane. */
final class TokenBucket {
    private final double perSecond;
    private final double capacity;
    private double tokens;
    private Instant last;

    TokenBucket(int perSecond, Instant now) {
        this.perSecond = perSecond;
        this.capacity = Math.max(1, perSecond);
        this.tokens = capacity;
        this.last = now;
    }

    int perSecond() {
        return (int) perSecond;
    }

    boolean tryAcquire(Instant now) {
        refill(now);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** When the next token is available (now, if one is). */
    Instant nextTokenAt(Instant now) {
        refill(now);
        return tokens >= 1 ? now : now.plus(Duration.ofNanos((long) Math.ceil((1 - tokens) / perSecond * 1e9)));
    }

    private void refill(Instant now) {
        if (now.isAfter(last)) {
            tokens = Math.min(capacity, tokens + Duration.between(last, now).toNanos() / 1e9 * perSecond);
            last = now;
        }
    }
}
