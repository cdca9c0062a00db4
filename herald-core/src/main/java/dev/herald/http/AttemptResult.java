package dev.herald.http;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Outcome of one HTTP try. statusCode is 0 and transportError non-null when no response was received.
 *
 * <p>responseExcerpt holds at most the first 4096 bytes of the body (UTF-8 decoded); responseHeaders has
 * lower-cased names, duplicates joined with ", ".
 */
public record AttemptResult(
        Instant startedAt,
        Duration duration,
        int statusCode,
        ErrorClass transportError,
        String errorMessage,
        String responseExcerpt,
        Map<String, String> responseHeaders) {

    public AttemptResult {
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(duration, "duration");
        if (statusCode < 0) {
            throw new IllegalArgumentException("statusCode must not be negative: " + statusCode);
        }
        responseHeaders = responseHeaders == null ? Map.of() : Map.copyOf(responseHeaders);
    }

    /** Returns true when an HTTP response (of any status) was received. */
    public boolean gotResponse() {
        return statusCode > 0;
    }

    static AttemptResult failed(Instant startedAt, Duration duration, ErrorClass error, String message) {
        return new AttemptResult(startedAt, duration, 0, Objects.requireNonNull(error), message, null, Map.of());
    }
}
