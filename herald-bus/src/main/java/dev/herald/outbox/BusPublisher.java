package dev.herald.outbox;

import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Publishes outbox events on the finance bus, returning once the bus confirmed them: message id = event id, routing key
 * = event type, the event's priority, body = the stored JSON, headers {@code trace_id} and a W3C {@code traceparent}
 * (when the trace id is 32 lower-case hex digits).
 */
public final class BusPublisher implements OutboxPublisher {
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

    private final Bus bus;

    public BusPublisher(Bus bus) {
        this.bus = Objects.requireNonNull(bus, "bus");
    }

    @Override
    public void publish(List<OutboxEvent> events) {
        List<BusMessage> messages = new ArrayList<>(events.size());
        for (OutboxEvent e : events) {
            messages.add(toMessage(e));
        }
        bus.publish(messages);
    }

    /** The bus message for {@code e}. */
    public static BusMessage toMessage(OutboxEvent e) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (e.traceId() != null) {
            headers.put(BusMessage.TRACE_ID, e.traceId());
            traceparent(e.traceId(), e.id()).ifPresent(tp -> headers.put(BusMessage.TRACEPARENT, tp));
        }
        return new BusMessage(e.id(), e.type(), e.priority(), e.body().getBytes(StandardCharsets.UTF_8), headers);
    }

    /**
     * A W3C trace context {@code 00-<trace id>-<parent id>-01}; the parent (span) id is derived from the event id so
     * a republished event carries the same header. Empty when {@code traceId} is not 32 lower-case hex digits.
     */
    static java.util.Optional<String> traceparent(String traceId, String eventId) {
        if (!TRACE_ID.matcher(traceId).matches() || traceId.equals("0".repeat(32))) {
            return java.util.Optional.empty();
        }
        long span = fnv1a64(eventId);
        if (span == 0) {
            span = 1; // all-zero parent ids are invalid
        }
        return java.util.Optional.of("00-" + traceId + "-" + String.format("%016x", span) + "-01");
    }

    private static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
