package dev.herald.event;

import java.util.List;

/**
 * The event types Herald ships in its catalog (see {@code dev.herald.catalog.EventCatalog}): those the reference bank
 * emits, and Herald's own operational ones. Each has its description, schema and example in a resource
 * {@code dev/herald/catalog/<type>.json}.
 */
public final class EventTypes {
    public static final String ENDPOINT_DISABLED = "endpoint.disabled";
    public static final String WEBHOOK_TEST = "webhook.test";

    /** The shipped types, in catalog order. */
    public static final List<String> SHIPPED = List.of(
            "account.created", "account.updated", "account.frozen", "account.unfrozen", "account.closed",
            "transaction.created", "transaction.reversed",
            "transfer.created", "transfer.completed", "transfer.failed",
            "balance.low", "balance.negative", "risk.alert",
            ENDPOINT_DISABLED, WEBHOOK_TEST);

    private EventTypes() {}
}
