package dev.herald.delivery;

/**
 * One delivery claimed by this node and ready to be tried: what the dispatcher needs without another read.
 * {@code traceparent} names the event's ingest span (null: none stored), the parent of the try's spans.
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
        String traceparent) {

    /** A task without a stored ingest span. */
    public DeliveryTask(String deliveryId, String eventId, String endpointId, String type, byte[] payload, String traceId, int priority,
                        int attempts, int roundAttempts, String orderingKey) {
        this(deliveryId, eventId, endpointId, type, payload, traceId, priority, attempts, roundAttempts, orderingKey, null);
    }
}
