package dev.herald.delivery;

import java.time.Instant;

/**
 * A delivery of one event to one endpoint (of {@code merchantId}, null for the operator's own), as stored;
 * {@code partDay} is the day partition its row and its attempts live in (its event's, V21).
 */
public record Delivery(
        long seq,
        String id,
        String eventId,
        String eventType,
        String endpointId,
        String merchantId,
        Status status,
        int attempts,
        Instant nextAttemptAt,
        Instant lastAttemptAt,
        Integer lastStatusCode,
        String lastError,
        Instant createdAt,
        Instant updatedAt,
        Instant completedAt,
        java.time.LocalDate partDay) {

    /** Lifecycle: pending → delivered | failed | cancelled; failed and delivered may be resent (→ pending). */
    public enum Status {
        PENDING, DELIVERED, FAILED, CANCELLED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Status parse(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
