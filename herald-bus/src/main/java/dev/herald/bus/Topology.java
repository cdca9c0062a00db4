package dev.herald.bus;

import java.time.Duration;
import java.util.List;

/** The finance bus topology that payment teams already run; every {@link Bus} declares it on start. */
public final class Topology {
    /** Durable topic exchange; the routing key is the event type. */
    public static final String EXCHANGE = "finance.exchange";
    /** Fanout exchange that receives rejected and expired messages. */
    public static final String DEAD_LETTER_EXCHANGE = "finance.dlx";
    /** Queue bound to the dead-letter exchange, where poison messages wait for an operator. */
    public static final String DEAD_LETTER_QUEUE = "finance.dead";

    /** Transfers: {@code transfer.*}, priorities 0–10, messages expire after 24 h. */
    public static final QueueSpec TRANSFER = new QueueSpec("finance.transfer", List.of("transfer.*"), 10, Duration.ofHours(24));
    /** Risk alerts: {@code risk.*}. */
    public static final QueueSpec RISK = new QueueSpec("finance.risk", List.of("risk.*"), 10, Duration.ofHours(24));

    /** Herald's own ingest queue, bound to the event types Herald is configured to take ({@code #} = all). */
    public static QueueSpec heraldIngest(List<String> bindings) {
        return new QueueSpec("herald.ingest", bindings, 10, null);
    }

    private Topology() {}
}
