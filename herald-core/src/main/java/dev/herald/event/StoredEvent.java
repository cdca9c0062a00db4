package dev.herald.event;

import java.time.Instant;

/** An accepted event; {@code payload} holds the exact bytes every receiver gets. */
public record StoredEvent(
        long seq,
        String cursor,
        String id,
        String type,
        String accountUuid,
        Instant occurredAt,
        Instant receivedAt,
        byte[] payload,
        String idempotencyKey,
        int priority,
        String traceId,
        String targetMerchant,
        String orderingKey) {}
