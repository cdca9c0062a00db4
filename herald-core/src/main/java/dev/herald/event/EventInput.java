package dev.herald.event;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * An event as a producer submits it. {@code id} and {@code timestamp} may be null (Herald assigns them);
 * {@code data} is the event's payload object; {@code orderingKey} (default: the account) groups events that FIFO
 * endpoints receive strictly in order.
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
        String targetMerchant,
        String orderingKey) {

    /** An event without an explicit ordering key (FIFO endpoints then order by {@code accountUuid}). */
    public EventInput(String id, String type, Instant timestamp, String accountUuid, ObjectNode data, String idempotencyKey,
                      int priority, String traceId, String targetMerchant) {
        this(id, type, timestamp, accountUuid, data, idempotencyKey, priority, traceId, targetMerchant, null);
    }
}
