package dev.herald.server.bus;

import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import dev.herald.bus.Incoming;
import dev.herald.bus.QueueSpec;
import dev.herald.bus.Topology;
import dev.herald.event.EventInput;
import dev.herald.ingest.IngestService;
import dev.herald.server.api.WireEvents;
import dev.herald.support.ValidationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes events from the bus into Herald: consumes {@link Topology#heraldIngest} with a prefetch window, groups the
 * messages that arrive together into one {@link IngestService#ingest} call and acks each message only once that call
 * returned, i.e. once the event and its deliveries are committed. A message delivered again (the broker lost an ack)
 * is a duplicate id for ingest and is simply acked. A message that is not a valid event (bad JSON, failed validation)
 * is dead-lettered alone; the rest of its group is still ingested. When ingest fails otherwise (database down) the
 * group is requeued after a growing backoff, so nothing is lost.
 */
public final class BusIngest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BusIngest.class);
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern TRACEPARENT = Pattern.compile("00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");

    /**
     * {@code prefetch} unacked messages held at once; up to {@code maxGroup} of them per ingest call, waiting at most
     * {@code linger} for a group to fill; after a failed ingest the group is requeued after a backoff that starts at
     * {@code minBackoff} and doubles up to {@code maxBackoff}.
     */
    public record Config(List<String> bindings, int prefetch, int maxGroup, Duration linger, Duration minBackoff, Duration maxBackoff) {
        public Config {
            bindings = List.copyOf(bindings);
            if (bindings.isEmpty()) {
                throw new IllegalArgumentException("at least one binding is required");
            }
            if (prefetch < 1 || maxGroup < 1 || maxGroup > IngestService.MAX_BATCH) {
                throw new IllegalArgumentException("prefetch must be positive and maxGroup 1.." + IngestService.MAX_BATCH);
            }
            Objects.requireNonNull(linger, "linger");
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
        }

        /** Prefetch 512, groups of up to 256 gathered for at most 2 ms, backoff 200 ms to 10 s. */
        public static Config of(List<String> bindings) {
            return new Config(bindings, 512, 256, Duration.ofMillis(2), Duration.ofMillis(200), Duration.ofSeconds(10));
        }
    }

    private record Item(Incoming message, EventInput event) {}

    private final Function<List<EventInput>, List<IngestService.Accepted>> ingest;
    private final Config config;
    private final LinkedBlockingQueue<Item> inbox = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean running = true;
    private volatile Bus.Subscription subscription;
    private Duration backoff;

    private BusIngest(Function<List<EventInput>, List<IngestService.Accepted>> ingest, Config config) {
        this.ingest = ingest;
        this.config = config;
        this.backoff = config.minBackoff();
        this.worker = Thread.ofPlatform().name("herald-bus-ingest").daemon().unstarted(this::work);
    }

    /** Starts consuming {@code herald.ingest} (declared with {@code config.bindings()}) into {@code ingest}. */
    public static BusIngest start(Bus bus, IngestService ingest, Config config) {
        BusIngest b = new BusIngest(ingest::ingest, config);
        b.worker.start();
        b.subscription = bus.consume(Topology.heraldIngest(config.bindings()), config.prefetch(), b::receive);
        return b;
    }

    /** The queue this consumes. */
    public QueueSpec queue() {
        return Topology.heraldIngest(config.bindings());
    }

    private void receive(Incoming in) {
        EventInput event;
        BusMessage m = in.message();
        try {
            String id = m.messageId().isEmpty() ? null : m.messageId();
            event = WireEvents.read(m.body(), id, m.priority(), traceId(m));
        } catch (IllegalArgumentException e) {
            deadLetter(in, e.getMessage());
            return;
        }
        inbox.add(new Item(in, event));
    }

    private static String traceId(BusMessage m) {
        String t = m.headers().get(BusMessage.TRACE_ID);
        if (t != null && TRACE_ID.matcher(t).matches()) {
            return t;
        }
        String tp = m.headers().get(BusMessage.TRACEPARENT);
        if (tp != null) {
            Matcher x = TRACEPARENT.matcher(tp);
            if (x.matches()) {
                return x.group(1);
            }
        }
        return null; // Herald assigns one
    }

    private void work() {
        List<Item> group = new ArrayList<>(config.maxGroup());
        while (running || !inbox.isEmpty()) {
            try {
                Item first = inbox.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                long deadline = System.nanoTime() + config.linger().toNanos();
                while (group.size() < config.maxGroup()) {
                    Item next = inbox.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    group.add(next);
                    inbox.drainTo(group, config.maxGroup() - group.size());
                }
                handle(group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                group.forEach(i -> i.message().requeue());
                return;
            } catch (RuntimeException e) {
                log.error("bus ingest failed unexpectedly; requeueing {} messages", group.size(), e);
                group.forEach(i -> i.message().requeue());
            } finally {
                group.clear();
            }
        }
    }

    private void handle(List<Item> group) throws InterruptedException {
        try {
            ingest.apply(group.stream().map(Item::event).toList());
            group.forEach(i -> i.message().ack());
            backoff = config.minBackoff();
        } catch (ValidationException e) {
            // one event broke a rule checked at ingest: find it by ingesting one at a time
            for (Item i : group) {
                try {
                    ingest.apply(List.of(i.event()));
                    i.message().ack();
                } catch (ValidationException bad) {
                    deadLetter(i.message(), bad.field() == null || bad.field().isEmpty() ? bad.getMessage() : bad.field() + ": " + bad.getMessage());
                } catch (RuntimeException down) {
                    retryLater(List.of(i), down);
                }
            }
        } catch (RuntimeException e) {
            retryLater(group, e);
        }
    }

    /** Holds the messages for the backoff (they stay unacked, so the broker sends no more), then requeues them. */
    private void retryLater(List<Item> items, RuntimeException cause) throws InterruptedException {
        if (!running) {
            items.forEach(i -> i.message().requeue());
            return;
        }
        log.warn("could not store {} events from the bus ({}); requeueing them in {} ms", items.size(), cause.toString(), backoff.toMillis());
        Thread.sleep(backoff.toMillis());
        Duration doubled = backoff.multipliedBy(2);
        backoff = doubled.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : doubled;
        items.forEach(i -> i.message().requeue());
    }

    private static void deadLetter(Incoming in, String reason) {
        String id = in.message().messageId();
        log.warn("bus message {} (routing key {}) is not a valid event and goes to {}: {}",
                ID.matcher(id).matches() ? id : "<invalid id>", in.message().routingKey(), Topology.DEAD_LETTER_QUEUE, reason);
        in.deadLetter();
    }

    /** Stops consuming; events already received are stored (and acked) first, the others go back to the queue. */
    @Override
    public void close() {
        running = false;
        try {
            worker.join(15_000); // stores and acks what was received
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Bus.Subscription s = subscription;
        if (s != null) {
            s.close(); // whatever arrived meanwhile goes back to the queue
        }
    }
}
