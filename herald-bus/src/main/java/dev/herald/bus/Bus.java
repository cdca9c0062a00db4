package dev.herald.bus;

import java.util.List;

/**
 * The finance event bus: a durable topic exchange ({@link Topology#EXCHANGE}) with queues bound by routing pattern.
 * Two implementations with the same semantics: {@code RabbitBus} (RabbitMQ, persistent messages, publisher confirms,
 * manual acks, reconnects) and {@code InProcessBus} (one JVM, nothing survives a restart). Thread-safe.
 */
public interface Bus extends AutoCloseable {

    /**
     * Publishes {@code messages} to the exchange and returns only once the broker has confirmed every one of them
     * (publisher confirms), so a caller may then mark them sent. Throws {@link BusException} if any message was not
     * confirmed in time or the connection is down; the caller then publishes again (the receivers dedupe by id).
     */
    void publish(List<BusMessage> messages);

    /**
     * Declares {@code queue} (idempotently: durable, bound to the exchange with its patterns, its dead-letter exchange
     * set) and consumes it with manual acks and at most {@code prefetch} unacknowledged messages. {@code handler} is
     * called once per message on a bus thread; the message stays unacknowledged until the handler, or any thread it
     * hands the {@link Incoming} to, settles it ({@code ack()}, {@code requeue()} or {@code deadLetter(reason)}). Messages
     * not settled when the consumer or its connection closes are redelivered (with {@link Incoming#redelivered()} true).
     */
    Subscription consume(QueueSpec queue, int prefetch, MessageHandler handler);

    /** Declares {@code queue} without consuming it, so messages published from now on are kept for a later consumer. */
    void declare(QueueSpec queue);

    /**
     * How many messages of {@code queue} wait for a consumer (ready, not yet delivered), asked of the broker now; empty
     * where the bus cannot tell. A consumer's lag for metrics; call it periodically, not per scrape.
     */
    default java.util.OptionalLong ready(String queue) {
        return java.util.OptionalLong.empty();
    }

    /** Closes the bus; unacknowledged messages go back to their queues. */
    @Override
    void close();

    /** Receives messages of a subscription. */
    @FunctionalInterface
    interface MessageHandler {
        void handle(Incoming message);
    }

    /** A running consumer; closing it stops deliveries and returns unacknowledged messages to the queue. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
