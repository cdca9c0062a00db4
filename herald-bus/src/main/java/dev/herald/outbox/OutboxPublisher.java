package dev.herald.outbox;

import java.util.List;

/**
 * Where an {@link OutboxRelay} sends committed events: the finance bus, or Herald's ingest API. {@link #publish}
 * returns only once the destination has durably accepted every event (publisher confirm, HTTP 2xx after commit), and
 * throws otherwise; the relay then tries again later, so destinations must dedupe by event id.
 */
@FunctionalInterface
public interface OutboxPublisher {
    void publish(List<OutboxEvent> events) throws Exception;
}
