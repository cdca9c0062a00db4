package dev.herald.bench;

import java.util.Map;

/**
 * What a bus phase measures: something that takes the events published to the finance bus from its queue and delivers
 * them to the fleet (Herald's {@code --amqp-url} ingest, or the hand-written consumer). It exists with its queue
 * declared before any event is published, so events published before {@link #start} wait in the queue; it consumes
 * from {@link #start} until {@link #close}.
 */
interface BusConsumer extends AutoCloseable {
    /** What runs, for the log. */
    String describe();

    /** The queue it consumes. */
    String queue();

    /** Starts consuming. */
    void start() throws Exception;

    /** Its own figures, after the drain, while it still runs. */
    default void running(Map<String, Object> m) {}

    /** Stops consuming (unacknowledged messages go back to the queue); idempotent. */
    @Override
    void close();

    /** Its figures once closed (what its database holds). */
    Map<String, Object> closed() throws Exception;
}
