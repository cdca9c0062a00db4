package dev.herald.outbox;

import java.util.Objects;

/**
 * An event to publish once the writing transaction commits. {@code body} is the whole event in Herald's wire format
 * ({@code {"id","event","timestamp","account_uuid","data"}}), UTF-8 JSON, published byte for byte; {@code id} is the
 * event id (the bus message id, so consumers dedupe redeliveries); {@code orderingKey} (e.g. the account) orders the
 * events of one key; {@code priority} is 0–9.
 */
public record OutboxEvent(String id, String type, String orderingKey, int priority, String traceId, String body) {
    public OutboxEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
        if (priority < 0 || priority > 9) {
            throw new IllegalArgumentException("priority must be 0..9, was " + priority);
        }
    }
}
