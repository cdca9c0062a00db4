package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.event.EventInput;
import dev.herald.web.JsonInput;
import dev.herald.web.Problem;

/** Reads events in Herald's wire format from sources other than the HTTP API (the bus), with the API's rules. */
public final class WireEvents {
    private WireEvents() {}

    /**
     * The event in {@code body} ({@code {"id","event","timestamp","account_uuid","data"}} plus the optional fields the
     * API takes: {@code ordering_key}, {@code priority}, {@code trace_id}, ...). What travels beside the body fills in
     * what the body leaves out: {@code id} must equal the body's id when both are given, {@code priority} and
     * {@code traceId} are used when the body has none. Throws {@link IllegalArgumentException} naming the fault.
     */
    public static EventInput read(byte[] body, String id, int priority, String traceId) {
        JsonNode root;
        EventInput in;
        try {
            root = JsonInput.parse(body);
            java.util.List<byte[]> rawData = JsonInput.objectMemberBytes(body, "data"); // stored as the producer wrote it
            in = EventRoutes.eventInput(root, "", null, traceId, rawData.isEmpty() ? null : rawData.getFirst());
        } catch (Problem p) {
            throw new IllegalArgumentException(p.field() == null ? p.getMessage() : p.field() + ": " + p.getMessage());
        }
        String eventId = in.id();
        if (eventId == null) {
            eventId = id;
        } else if (id != null && !id.equals(eventId)) {
            throw new IllegalArgumentException("id: the body's id '" + eventId + "' differs from the message id '" + id + "'");
        }
        if (eventId == null) {
            throw new IllegalArgumentException("id: an event id is required (in the body or as the message id)");
        }
        int p = root.hasNonNull("priority") ? in.priority() : priority;
        return new EventInput(eventId, in.type(), in.timestamp(), in.accountUuid(), in.data(), in.idempotencyKey(), p, in.traceId(),
                in.targetMerchant(), in.orderingKey(), in.rawData());
    }
}
