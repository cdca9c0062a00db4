package dev.herald.ingest;

import dev.herald.delivery.DeliveryTask;
import dev.herald.delivery.Dispatcher;
import dev.herald.delivery.EventWriter;
import dev.herald.endpoint.EndpointRegistry;
import dev.herald.event.EventInput;
import dev.herald.event.StoredEvent;
import dev.herald.metrics.EngineMetrics;
import dev.herald.store.GroupCommitter;
import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import dev.herald.tracing.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Accepts events: validates them up front, then the {@link GroupCommitter} writes the requests that arrived meanwhile
 * in one transaction and hands their fresh deliveries to the dispatcher. A caller is answered only after its events
 * and deliveries are committed; a request is all or nothing, and a request the database refuses (or that conflicts
 * with an earlier one) fails alone.
 *
 * <p>With tracing on, each event gets a {@code herald.ingest} span (child of the producer's {@code traceparent}, see
 * {@link Tracing#ingest}) from validation to commit; the event stores the span's trace id and {@code traceparent}, so
 * its deliveries, on any node, continue the trace.
 */
public final class IngestService implements AutoCloseable {
    public static final int MAX_BATCH = 1000;
    /** Events per group transaction; a single request is never split. */
    private static final int GROUP_EVENTS = 2000;

    /** Result per submitted event, in request order. */
    public record Accepted(String id, boolean duplicate, int deliveries) {}

    private record Committed(List<Accepted> accepted, List<DeliveryTask> fresh) {}

    private final GroupCommitter<List<StoredEvent>, Committed> committer;
    private static final AttributeKey<Boolean> DUPLICATE = AttributeKey.booleanKey("herald.duplicate");
    private static final AttributeKey<Long> DELIVERIES = AttributeKey.longKey("herald.deliveries");

    private final Clock clock;
    private final Tracing tracing;
    private final EndpointRegistry registry;

    /** {@code registry} tells which merchants exist ({@link #unknownMerchants}). */
    public IngestService(Jdbc jdbc, EventWriter writer, EndpointRegistry registry, Dispatcher dispatcher, Clock clock, EngineMetrics metrics,
                         Tracing tracing) {
        this.registry = registry;
        this.clock = clock;
        this.tracing = tracing;
        this.committer = new GroupCommitter<>(jdbc, GroupCommitter.Config.failFast("ingest", GROUP_EVENTS), List::size,
                new GroupCommitter.Work<>() {
                    @Override
                    public List<Committed> commit(Connection c, List<List<StoredEvent>> requests) throws SQLException {
                        List<StoredEvent> all = new ArrayList<>();
                        requests.forEach(all::addAll);
                        List<EventWriter.Written> written = writer.writeAll(c, all, clock.instant(), null);
                        List<Committed> out = new ArrayList<>(requests.size());
                        int at = 0;
                        for (List<StoredEvent> r : requests) {
                            List<Accepted> accepted = new ArrayList<>(r.size());
                            List<DeliveryTask> fresh = new ArrayList<>();
                            for (int i = 0; i < r.size(); i++, at++) {
                                EventWriter.Written w = written.get(at);
                                accepted.add(new Accepted(w.event().id(), w.duplicate(), w.deliveryCount()));
                                fresh.addAll(w.tasks());
                            }
                            out.add(new Committed(accepted, fresh));
                        }
                        return out;
                    }

                    @Override
                    public void committed(List<List<StoredEvent>> requests, List<Committed> results) {
                        List<DeliveryTask> fresh = new ArrayList<>();
                        int events = 0;
                        int stored = 0;
                        for (Committed r : results) {
                            fresh.addAll(r.fresh());
                            for (Accepted a : r.accepted()) {
                                events++;
                                stored += a.duplicate() ? 0 : 1;
                            }
                        }
                        metrics.ingestGroup(events, stored);
                        dispatcher.submit(fresh);
                    }
                });
    }

    /** Starts the committer. */
    public void start() {
        committer.start();
    }

    /** Validates and durably stores {@code batch}; returns once committed. */
    public List<Accepted> ingest(List<EventInput> batch) {
        return ingest(batch, null);
    }

    /** As {@link #ingest(List)}, for a producer whose request carried the W3C {@code traceparent} (null: none). */
    public List<Accepted> ingest(List<EventInput> batch, String traceparent) {
        List<Span> spans = new ArrayList<>();
        List<StoredEvent> events = prepare(batch, traceparent, spans);
        try {
            List<Accepted> accepted = committer.commit(events).accepted();
            end(spans, accepted, null);
            return accepted;
        } catch (RuntimeException e) {
            end(spans, null, e);
            throw e;
        }
    }

    /**
     * Validates {@code batch} now (throwing {@link ValidationException}) and queues it; the future completes once it is
     * committed, or with what refused it.
     */
    public CompletableFuture<List<Accepted>> submit(List<EventInput> batch) {
        return submit(batch, null);
    }

    /** As {@link #submit(List)}, for a producer whose request carried the W3C {@code traceparent} (null: none). */
    public CompletableFuture<List<Accepted>> submit(List<EventInput> batch, String traceparent) {
        List<Span> spans = new ArrayList<>();
        List<StoredEvent> events = prepare(batch, traceparent, spans);
        CompletableFuture<List<Accepted>> accepted;
        try {
            accepted = committer.submit(events).thenApply(Committed::accepted);
        } catch (RuntimeException e) {
            end(spans, null, e);
            throw e;
        }
        return spans.isEmpty() ? accepted : accepted.whenComplete((a, e) -> end(spans, a, e));
    }

    /** Ends the ingest spans of a request with what became of each event. */
    private static void end(List<Span> spans, List<Accepted> accepted, Throwable failure) {
        for (int i = 0; i < spans.size(); i++) {
            Span s = spans.get(i);
            if (accepted != null) {
                s.setAttribute(DUPLICATE, accepted.get(i).duplicate());
                s.setAttribute(DELIVERIES, accepted.get(i).deliveries());
            } else {
                s.setStatus(StatusCode.ERROR, failure == null ? "not stored" : failure.getClass().getSimpleName());
            }
            s.end();
        }
    }

    /**
     * The index in {@code batch} of each event whose {@code merchant_id} has no merchant record, in order. Such an event is
     * stored and reaches only endpoints of that merchant id, so the id is most likely misspelled: the answer says so. The
     * merchants come from the endpoint registry's snapshot; only an id it lacks is looked up, once per batch.
     */
    public List<Integer> unknownMerchants(List<EventInput> batch) {
        Map<String, Boolean> exists = new HashMap<>();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            String m = batch.get(i).targetMerchant();
            if (m != null && !exists.computeIfAbsent(m, registry::merchantExists)) {
                out.add(i);
            }
        }
        return out;
    }

    /** The committer's counters. */
    public GroupCommitter.Stats stats() {
        return committer.stats();
    }

    /** Commits what is queued, then stops accepting. */
    @Override
    public void close() {
        committer.close();
    }

    /**
     * Validates {@code batch} and prepares its events (ids, wire bodies, fingerprints) on the caller's thread, starting
     * their ingest spans into {@code spans} when tracing is on.
     */
    private List<StoredEvent> prepare(List<EventInput> batch, String traceparent, List<Span> spans) {
        if (batch.isEmpty()) {
            throw new ValidationException("", "at least one event is required");
        }
        if (batch.size() > MAX_BATCH) {
            throw new ValidationException("", "at most " + MAX_BATCH + " events per request");
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).validate(batch.size() == 1 ? "" : "[" + i + "].");
        }
        Instant now = clock.instant();
        List<StoredEvent> prepared = new ArrayList<>(batch.size());
        for (EventInput in : batch) {
            StoredEvent e = EventWriter.prepare(in, now);
            if (tracing.on()) {
                Span span = tracing.ingest(in.traceId(), traceparent);
                span.setAttribute(Tracing.EVENT_ID, e.id());
                span.setAttribute(Tracing.EVENT_TYPE, e.type());
                spans.add(span);
                if (span.getSpanContext().isValid()) {
                    e = e.withTrace(span.getSpanContext().getTraceId(), Tracing.traceparent(span));
                }
            }
            prepared.add(e);
        }
        return prepared;
    }
}
