package dev.herald.support;

import java.time.Duration;
import java.util.Objects;

/**
 * The request is refused for now and may be sent again after {@code retryAfter}: answered as 429 with
 * {@code Retry-After} when the caller went past a limit of its own, or as 503 when Herald is busy for everyone.
 */
public final class TryLaterException extends RuntimeException {
    private final Duration retryAfter;
    private final boolean callersLimit;

    private TryLaterException(String detail, Duration retryAfter, boolean callersLimit) {
        super(detail, null, false, false);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
        this.callersLimit = callersLimit;
    }

    /** The caller went past a limit of its own (429). */
    public static TryLaterException limited(String detail, Duration retryAfter) {
        return new TryLaterException(detail, retryAfter, true);
    }

    /** Herald is busy with the same work for others (503). */
    public static TryLaterException busy(String detail, Duration retryAfter) {
        return new TryLaterException(detail, retryAfter, false);
    }

    /** How long to wait before sending the request again. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** True for the caller's own limit (429), false for Herald being busy (503). */
    public boolean callersLimit() {
        return callersLimit;
    }

    /** {@link #retryAfter} in whole seconds, at least 1, as {@code Retry-After} states it. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }
}
