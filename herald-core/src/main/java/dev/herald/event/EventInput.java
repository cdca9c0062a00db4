package dev.herald.event;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * An event as a producer submits it. {@code id} and {@code timestamp} may be null (Herald assigns them);
 * {@code data} is the event's payload object.
 */
public record EventInput(
        String id,
        String type,
        Instant timestamp,
        String accountUuid,
        ObjectNode data,
        String idempotencyKey,
        int priority,
        String traceId,
        String targetMerchant) {}
