package dev.herald.bank.support;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.outbox.OutboxEvent;
import java.time.Instant;
import java.util.UUID;

/**
 * Builds the bank's events in Herald's wire format: {@code {"id":"evt_…","event":type,"timestamp":…,"account_uuid":…,
 * "data":{…}}}, ordered by account uuid. Callers append them to the outbox in the transaction of the change.
 */
public final class Events {
    private Events() {}

    /** An event about {@code account}; {@code risk.alert} gets priority 8, every other type 5. */
    public static OutboxEvent of(String type, UUID account, String traceId, Instant at, ObjectNode data) {
        String id = "evt_" + UUID.randomUUID().toString().replace("-", "");
        ObjectNode body = Json.obj()
                .put("id", id)
                .put("event", type)
                .put("timestamp", Json.time(at))
                .put("account_uuid", account.toString());
        body.set("data", data);
        return new OutboxEvent(id, type, account.toString(), type.equals("risk.alert") ? 8 : 5, traceId, Json.write(body));
    }
}
