package dev.herald.bank.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.support.Json;
import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import dev.herald.bus.Incoming;
import dev.herald.bus.Topology;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The risk check as a consumer of {@link Topology#TRANSFER}: each {@code transfer.created} is executed by
 * {@link TransferService#execute} on a virtual thread and acked only after that transaction committed. Other types
 * are acked untouched; a redelivered event of a transfer no longer pending is just acked; an unreadable message or an
 * unknown transfer is dead-lettered; a failure (database down) requeues it after {@code requeueDelay}, so a broken
 * database is not retried in a tight loop.
 */
public final class TransferConsumer implements Bus.MessageHandler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransferConsumer.class);

    private final TransferService transfers;
    private final Duration requeueDelay;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bank-risk-", 0).factory());

    public TransferConsumer(TransferService transfers, Duration requeueDelay) {
        this.transfers = transfers;
        this.requeueDelay = requeueDelay;
    }

    /** Subscribes to {@link Topology#TRANSFER} with at most {@code prefetch} transfers in progress. */
    public Bus.Subscription subscribe(Bus bus, int prefetch) {
        return bus.consume(Topology.TRANSFER, prefetch, this);
    }

    @Override
    public void handle(Incoming in) {
        workers.execute(() -> process(in));
    }

    /** Handles one message on the calling thread. */
    void process(Incoming in) {
        BusMessage m = in.message();
        if (!"transfer.created".equals(m.routingKey())) {
            in.ack();
            return;
        }
        UUID transfer;
        try {
            JsonNode body = Json.MAPPER.readTree(m.body());
            transfer = UUID.fromString(body.path("data").path("transfer_uuid").asText());
        } catch (Exception e) {
            log.warn("dead-lettering unreadable transfer.created {}: {}", m.messageId(), e.getMessage());
            in.deadLetter("not a transfer.created event with data.transfer_uuid");
            return;
        }
        try {
            TransferService.Outcome o = transfers.execute(transfer, m.messageId());
            in.ack();
            if (!o.processed()) {
                log.debug("transfer {} was already {}; acked redelivery {}", transfer, o.transfer().status(), m.messageId());
            }
        } catch (IllegalArgumentException unknown) {
            log.warn("dead-lettering {}: {}", m.messageId(), unknown.getMessage());
            in.deadLetter(unknown.getMessage());
        } catch (RuntimeException e) {
            log.warn("transfer {} not processed, requeued in {} ms: {}", transfer, requeueDelay.toMillis(), e.toString());
            LockSupport.parkNanos(requeueDelay.toNanos()); // a virtual thread of this consumer, not the bus's
            in.requeue();
        }
    }

    /** Stops taking work and waits briefly for transfers in progress; unacked messages return to the queue. */
    @Override
    public void close() {
        workers.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
