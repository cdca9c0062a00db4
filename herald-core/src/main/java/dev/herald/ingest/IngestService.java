package dev.herald.ingest;

import dev.herald.delivery.DeliveryTask;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.EventPatterns;
import dev.herald.event.EventInput;
import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Accepts events: validates them, then a single committer thread writes the requests that arrived meanwhile in one
 * transaction (group commit) and hands their fresh deliveries to the dispatcher. A caller is answered only after its
 * events and deliveries are committed; a request is all or nothing.
 */
public final class IngestService implements AutoCloseable {
    public static final int MAX_BATCH = 1000;
    /** Events per group transaction; a single request is never split. */
    private static final int GROUP_EVENTS = 2000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

    private final Jdbc jdbc;
    private final EventWriter writer;
    private final Dispatcher dispatcher;
    private final Clock clock;
    private final BlockingQueue<Request> queue = new ArrayBlockingQueue<>(4096);
    private final Thread committer;
    private volatile boolean running = true;

    public IngestService(Jdbc jdbc, EventWriter writer, Dispatcher dispatcher, Clock clock) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.dispatcher = dispatcher;
        this.clock = clock;
        this.committer = Thread.ofPlatform().name("herald-ingest-committer").daemon().start(this::commitLoop);
    }

    /** Result per submitted event, in request order. */
    public record Accepted(String id, boolean duplicate, int deliveries) {}

    private record Request(List<EventInput> events, CompletableFuture<List<Accepted>> done) {}

    /** Validates and durably stores {@code batch}; returns once committed. */
    public List<Accepted> ingest(List<EventInput> batch) {
        if (batch.isEmpty()) {
            throw new ValidationException("", "at least one event is required");
        }
        if (batch.size() > MAX_BATCH) {
            throw new ValidationException("", "at most " + MAX_BATCH + " events per request");
        }
        for (int i = 0; i < batch.size(); i++) {
            validate(batch.get(i), batch.size() == 1 ? "" : "[" + i + "].");
        }
        if (!running) {
            throw new IllegalStateException("ingest is shut down");
        }
        Request r = new Request(List.copyOf(batch), new CompletableFuture<>());
        try {
            queue.put(r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted before the events were stored", e);
        }
        try {
            return r.done().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    private void commitLoop() {
        List<Request> group = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Request first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                int events = first.events().size();
                Request next;
                while (events < GROUP_EVENTS && (next = queue.peek()) != null && events + next.events().size() <= GROUP_EVENTS) {
                    group.add(queue.poll());
                    events += next.events().size();
                }
                commit(group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                group.clear();
            }
        }
    }

    private void commit(List<Request> group) {
        List<EventInput> all = new ArrayList<>();
        group.forEach(r -> all.addAll(r.events()));
        List<EventWriter.Written> written;
        try {
            Instant now = clock.instant();
            written = jdbc.inTransaction(c -> writer.writeAll(c, all, now, null));
        } catch (RuntimeException e) {
            group.forEach(r -> r.done().completeExceptionally(e));
            return;
        }
        List<DeliveryTask> fresh = new ArrayList<>();
        written.forEach(w -> fresh.addAll(w.tasks()));
        int at = 0;
        for (Request r : group) {
            List<Accepted> accepted = new ArrayList<>(r.events().size());
            for (int i = 0; i < r.events().size(); i++, at++) {
                EventWriter.Written w = written.get(at);
                accepted.add(new Accepted(w.event().id(), w.duplicate(), w.deliveryCount()));
            }
            r.done().complete(accepted);
        }
        dispatcher.submit(fresh);
    }

    /** Commits what is queued, then stops accepting. */
    @Override
    public void close() {
        running = false;
        try {
            committer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void validate(EventInput in, String prefix) {
        if (in.type() == null) {
            throw new ValidationException(prefix + "event", "event is required (the event type, e.g. account.created)");
        }
        if (in.type().length() > 200 || !EventPatterns.EVENT_TYPE.matcher(in.type()).matches()) {
            throw new ValidationException(prefix + "event", "event must be a dotted lower-case type such as account.created");
        }
        if (in.id() != null && !ID.matcher(in.id()).matches()) {
            throw new ValidationException(prefix + "id", "id must be 1-128 characters of letters, digits and _-:.");
        }
        if (in.idempotencyKey() != null && (in.idempotencyKey().isEmpty() || in.idempotencyKey().length() > 255)) {
            throw new ValidationException(prefix + "idempotency_key", "idempotency key must be 1-255 characters");
        }
        if (in.priority() < 0 || in.priority() > 9) {
            throw new ValidationException(prefix + "priority", "priority must be between 0 and 9");
        }
        if (in.accountUuid() != null && in.accountUuid().length() > 128) {
            throw new ValidationException(prefix + "account_uuid", "account_uuid must be at most 128 characters");
        }
        if (in.traceId() != null && !TRACE_ID.matcher(in.traceId()).matches()) {
            throw new ValidationException(prefix + "trace_id", "trace_id must be 32 lower-case hex digits");
        }
        if (in.targetMerchant() != null && (in.targetMerchant().isEmpty() || in.targetMerchant().length() > 128)) {
            throw new ValidationException(prefix + "merchant_id", "merchant_id must be 1-128 characters");
        }
    }
}
