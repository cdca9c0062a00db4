package dev.herald.event;

import java.time.Instant;

/**
 * An accepted event; {@code payload} holds the exact bytes every receiver gets. Its {@code id} and
 * {@code idempotencyKey} are unique within its {@link #scope()}; {@code fingerprint} identifies what the producer
 * sent (null for events stored before fingerprints existed). {@code traceparent} names the event's ingest span, the
 * parent of its delivery spans (null when tracing was off at ingest).
 */
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
        String orderingKey,
        byte[] fingerprint,
        String traceparent) {

    /** An event without a stored ingest span. */
    public StoredEvent(long seq, String cursor, String id, String type, String accountUuid, Instant occurredAt, Instant receivedAt,
                       byte[] payload, String idempotencyKey, int priority, String traceId, String targetMerchant, String orderingKey,
                       byte[] fingerprint) {
        this(seq, cursor, id, type, accountUuid, occurredAt, receivedAt, payload, idempotencyKey, priority, traceId, targetMerchant,
                orderingKey, fingerprint, null);
    }

    /** This event in trace {@code traceId} under the ingest span named by {@code traceparent} (null: none). */
    public StoredEvent withTrace(String traceId, String traceparent) {
        return new StoredEvent(seq, cursor, id, type, accountUuid, occurredAt, receivedAt, payload, idempotencyKey, priority, traceId,
                targetMerchant, orderingKey, fingerprint, traceparent);
    }

    /** The merchant the event targets, or "" for an event to every subscriber: ids and keys are unique per scope. */
    public String scope() {
        return scopeOf(targetMerchant);
    }

    /** The scope of an event targeting {@code targetMerchant} (null: every subscriber). */
    public static String scopeOf(String targetMerchant) {
        return targetMerchant == null ? "" : targetMerchant;
    }
}
