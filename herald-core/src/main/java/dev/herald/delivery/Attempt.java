package dev.herald.delivery;

import java.time.Instant;
import java.util.Map;

/** One recorded HTTP try of a delivery. {@code errorClass} is null for a success. */
public record Attempt(
        String deliveryId,
        int attemptNo,
        Instant startedAt,
        int durationMs,
        Integer statusCode,
        String errorClass,
        String errorMessage,
        String responseExcerpt,
        Map<String, String> responseHeaders) {}
