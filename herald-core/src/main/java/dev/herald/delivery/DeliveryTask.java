package dev.herald.delivery;

/**
 * One delivery claimed by this node and ready to be tried: what the dispatcher needs without another read.
 * {@code receivedAt} is when Herald received the event (null where unknown), for the publish-to-receive latency;
 * {@code traceparent} names the event's ingest span (null: none stored), the parent of the try's spans; {@code partDay}
 * is the day partition the delivery's row (and so its attempts) lives in (V21).
 */
public record DeliveryTask(
        String deliveryId,
        String eventId,
        String endpointId,
        String type,
        byte[] payload,
        String traceId,
        int priority,
        int attempts,
        int roundAttempts,
        String orderingKey,
        java.time.Instant receivedAt,
        String traceparent,
        java.time.LocalDate partDay) {

    /** A task whose partition is the one its delivery id names. */
    public DeliveryTask(String deliveryId, String eventId, String endpointId, String type, byte[] payload, String traceId, int priority,
                        int attempts, int roundAttempts, String orderingKey, java.time.Instant receivedAt, String traceparent) {
        this(deliveryId, eventId, endpointId, type, payload, traceId, priority, attempts, roundAttempts, orderingKey, receivedAt, traceparent,
                dev.herald.support.PartDays.ofId(deliveryId));
    }

    /** A task whose event's receipt time and ingest span are unknown. */
    public DeliveryTask(String deliveryId, String eventId, String endpointId, String type, byte[] payload, String traceId, int priority,
                        int attempts, int roundAttempts, String orderingKey) {
        this(deliveryId, eventId, endpointId, type, payload, traceId, priority, attempts, roundAttempts, orderingKey, null, null,
                dev.herald.support.PartDays.ofId(deliveryId));
    }
}
