package dev.herald.bus;

import java.util.Map;
import java.util.Objects;

/**
 * One message on the finance bus: a JSON event whose {@code messageId} is the event id and whose {@code routingKey} is
 * the event type. {@code headers} carry {@code trace_id} and {@code traceparent}; {@code priority} is 0–9.
 */
public record BusMessage(String messageId, String routingKey, int priority, byte[] body, Map<String, String> headers) {
    public static final String TRACE_ID = "trace_id";
    public static final String TRACEPARENT = "traceparent";

    public BusMessage {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(body, "body");
        if (priority < 0 || priority > 9) {
            throw new IllegalArgumentException("priority must be 0..9, was " + priority);
        }
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
}
