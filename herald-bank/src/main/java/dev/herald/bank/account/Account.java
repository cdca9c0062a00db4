package dev.herald.bank.account;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Json;
import java.time.Instant;
import java.util.UUID;

/**
 * An account as stored. {@code kind} is {@code customer} or {@code cash} (the bank's internal account per currency);
 * {@code balance} is in minor units; {@code lastHash} and {@code entryCount} are the head of its journal chain.
 */
public record Account(long id, UUID uuid, String kind, UUID userUuid, String name, String currency, String status, long balance,
                      String lastHash, long entryCount, Instant createdAt, Instant updatedAt) {
    public static final String ACTIVE = "active";
    public static final String FROZEN = "frozen";
    public static final String CLOSED = "closed";

    public boolean isCustomer() {
        return kind.equals("customer");
    }

    /** The account fields every {@code account.*} event carries. */
    public ObjectNode eventData() {
        ObjectNode n = Json.obj()
                .put("account_uuid", uuid.toString())
                .put("user_uuid", userUuid == null ? null : userUuid.toString())
                .put("name", name)
                .put("currency", currency)
                .put("balance", balance)
                .put("status", status);
        return n;
    }

    /** The API view. */
    public ObjectNode view() {
        return eventData().put("created_at", Json.time(createdAt)).put("updated_at", Json.time(updatedAt));
    }

    public Account withBalance(long newBalance, String newLastHash, long newEntryCount, Instant at) {
        return new Account(id, uuid, kind, userUuid, name, currency, status, newBalance, newLastHash, newEntryCount, createdAt, at);
    }
}
