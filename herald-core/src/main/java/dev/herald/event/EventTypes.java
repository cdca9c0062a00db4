package dev.herald.event;

import java.util.List;

/** The registered event types: the twelve seed types of the finance domain plus Herald's operational ones. */
public final class EventTypes {
    /** A registered type with a one-line description. */
    public record EventType(String name, String description, boolean operational) {}

    public static final String ENDPOINT_DISABLED = "endpoint.disabled";
    public static final String WEBHOOK_TEST = "webhook.test";

    public static final List<EventType> ALL = List.of(
            new EventType("account.created", "An account was opened.", false),
            new EventType("account.updated", "An account's details changed.", false),
            new EventType("account.frozen", "An account was frozen; it can neither send nor receive.", false),
            new EventType("account.unfrozen", "A frozen account was released.", false),
            new EventType("account.closed", "An account was closed.", false),
            new EventType("transaction.created", "A deposit, withdrawal or transfer leg was posted.", false),
            new EventType("transaction.reversed", "A posted transaction was reversed.", false),
            new EventType("transfer.created", "A transfer was initiated and awaits the risk check.", false),
            new EventType("transfer.completed", "A transfer was executed; money moved.", false),
            new EventType("transfer.failed", "A transfer was rejected or could not be executed.", false),
            new EventType("balance.low", "A balance dropped below the low-balance threshold.", false),
            new EventType("balance.negative", "A balance went below zero.", false),
            new EventType(ENDPOINT_DISABLED, "Herald disabled an endpoint (too many consecutive failures or 410 Gone).", true),
            new EventType(WEBHOOK_TEST, "A test event sent on request to one endpoint.", true));

    private EventTypes() {}
}
