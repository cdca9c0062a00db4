package dev.herald.server.bus;

import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import dev.herald.bus.Incoming;
import dev.herald.bus.QueueSpec;
import dev.herald.bus.Topology;
import dev.herald.event.EventInput;
import dev.herald.catalog.EventCatalog;
import dev.herald.ingest.IngestService;
import dev.herald.server.api.WireEvents;
import dev.herald.store.GroupCommitter;
import dev.herald.support.ConflictException;
import dev.herald.support.ValidationException;
import dev.herald.web.Traceparent;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes events from the bus into Herald: consumes {@link Topology#heraldIngest} with a prefetch window and submits each
 * message to ingest's group committer, which stores the messages that arrive together in one transaction; a message is
 * acked only once its event and deliveries are committed. A message delivered again (the broker lost an ack) is a
 * duplicate id for ingest and is simply acked.
 *
 * <p>A message that can never be stored — bad JSON, a failed rule, a value the database refuses, a different event
 * under an id already used — is dead-lettered alone and at once, with the reason in {@link Incoming#REASON_HEADER}; the
 * group committer makes sure it fails alone. Only a database outage requeues, after a back-off that grows while the
 * outage lasts; the wait holds no thread, so other messages go on meanwhile.
 *
 * <p>Events are checked against the event catalog as the API checks them ({@link EventCatalog#check}): under
 * {@code enforce} an event that breaks its type's schema (or has a type the catalog lacks) can never be stored and is
 * dead-lettered like any other such message, the reason naming the JSON pointer and rule; under {@code warn} it is
 * stored and only counted ({@code herald_schema_warnings_total}), as there is no answer to carry a warning.
 */
public final class BusIngest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BusIngest.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");
    /** The largest message body taken: an event's wire body, far above any real payload. */
    static final int MAX_BODY = 1024 * 1024;

    /**
     * {@code prefetch} unacked messages held at once; after an outage a message is requeued after a back-off that
     * starts at {@code minBackoff} and doubles, while the outage lasts, up to {@code maxBackoff}.
     */
    public record Config(List<String> bindings, int prefetch, Duration minBackoff, Duration maxBackoff) {
        public Config {
            bindings = List.copyOf(bindings);
            if (bindings.isEmpty()) {
                throw new IllegalArgumentException("at least one binding is required");
            }
            if (prefetch < 1) {
                throw new IllegalArgumentException("prefetch must be positive");
            }
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
        }

        /** Prefetch 512, back-off 200 ms to 10 s. */
        public static Config of(List<String> bindings) {
            return new Config(bindings, 512, Duration.ofMillis(200), Duration.ofSeconds(10));
        }
    }

    private final IngestService ingest;
    private final Config config;
    private final ExecutorService settler = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("herald-bus-settle").daemon().factory());
    private final ScheduledExecutorService requeuer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("herald-bus-requeue").daemon().factory());
    private final AtomicInteger outageStreak = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean running = true;
    private volatile Bus.Subscription subscription;

    private final EventCatalog catalog;

    private BusIngest(IngestService ingest, EventCatalog catalog, Config config) {
        this.ingest = ingest;
        this.catalog = catalog;
        this.config = config;
    }

    /**
     * Starts consuming {@code herald.ingest} (declared with {@code config.bindings()}) into {@code ingest}, checking each
     * event against {@code catalog}.
     */
    public static BusIngest start(Bus bus, IngestService ingest, EventCatalog catalog, Config config) {
        BusIngest b = new BusIngest(ingest, catalog, config);
        b.subscription = bus.consume(Topology.heraldIngest(config.bindings()), config.prefetch(), b::receive);
        return b;
    }

    /** The queue this consumes. */
    public QueueSpec queue() {
        return Topology.heraldIngest(config.bindings());
    }

    private void receive(Incoming in) {
        BusMessage m = in.message();
        if (!running) {
            in.requeue();
            return;
        }
        if (m.body().length > MAX_BODY) {
            deadLetter(in, "body: larger than " + MAX_BODY + " bytes");
            return;
        }
        CompletableFuture<List<IngestService.Accepted>> stored;
        try {
            String id = m.messageId().isEmpty() ? null : m.messageId();
            EventInput event = WireEvents.read(m.body(), id, m.priority(), traceId(m));
            EventCatalog.Verdict verdict = catalog.check(List.of(event)).getFirst();
            if (verdict.refused()) {
                deadLetter(in, "schema check (enforce): " + String.join("; ",
                        verdict.findings().stream().map(f -> f.detail() + " (rule " + f.rule() + ")").toList()));
                return;
            }
            stored = ingest.submit(List.of(event), traceId(m) == null ? null : m.headers().get(BusMessage.TRACEPARENT));
        } catch (IllegalArgumentException e) {
            deadLetter(in, e.getMessage());
            return;
        } catch (ValidationException e) {
            deadLetter(in, reason(e));
            return;
        }
        pending.incrementAndGet();
        stored.whenCompleteAsync((ok, failure) -> {
            try {
                settle(in, failure);
            } finally {
                pending.decrementAndGet();
            }
        }, settler);
    }

    private void settle(Incoming in, Throwable failure) {
        Throwable cause = failure instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : failure;
        if (cause == null) {
            outageStreak.set(0);
            in.ack();
        } else if (cause instanceof IllegalStateException || GroupCommitter.isOutage(cause)) {
            requeueLater(in, cause); // the database is down, or Herald is stopping: it can be stored later
        } else {
            deadLetter(in, reason(cause)); // failed alone: this message can never be stored
        }
    }

    /** Requeues after the back-off (the message stays unacked meanwhile, so the broker does not hand it to us again). */
    private void requeueLater(Incoming in, Throwable cause) {
        int streak = outageStreak.incrementAndGet();
        long delay = Math.min(config.maxBackoff().toMillis(), config.minBackoff().toMillis() << Math.min(20, streak - 1));
        if (!running) {
            in.requeue();
            return;
        }
        if (streak == 1 || streak % 100 == 0) {
            log.warn("could not store an event from the bus ({}); requeueing in {} ms while the database is not answering", cause.toString(), delay);
        }
        try {
            requeuer.schedule(in::requeue, delay, TimeUnit.MILLISECONDS);
        } catch (RuntimeException shutDown) {
            in.requeue();
        }
    }

    private static String reason(Throwable e) {
        return switch (e) {
            case ValidationException v -> v.field() == null || v.field().isEmpty() ? v.getMessage() : v.field() + ": " + v.getMessage();
            case ConflictException c -> (c.field() == null ? "" : c.field() + ": ") + c.getMessage();
            default -> "the database refuses a value of this event (" + e.getMessage() + ")";
        };
    }

    private static String traceId(BusMessage m) {
        String t = m.headers().get(BusMessage.TRACE_ID);
        if (Traceparent.isTraceId(t)) {
            return t;
        }
        return Traceparent.traceId(m.headers().get(BusMessage.TRACEPARENT)).orElse(null); // else Herald assigns one
    }

    private static void deadLetter(Incoming in, String reason) {
        String id = in.message().messageId();
        log.warn("bus message {} (routing key {}) can never be stored and goes to {}: {}",
                ID.matcher(id).matches() ? id : "<invalid id>", Incoming.headerValue(in.message().routingKey()),
                Topology.DEAD_LETTER_QUEUE, Incoming.headerValue(reason));
        in.deadLetter(reason);
    }

    /** Stops consuming; events already submitted are stored and acked first (up to 15 s), the others go back to the queue. */
    @Override
    public void close() {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        requeuer.shutdownNow(); // their messages return with the subscription
        Bus.Subscription s = subscription;
        if (s != null) {
            s.close(); // whatever is unacked goes back to the queue
        }
        settler.shutdown();
    }
}
