package dev.herald.delivery;

/** One delivery claimed by this node and ready to be tried: what the dispatcher needs without another read. */
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
        String orderingKey) {}
