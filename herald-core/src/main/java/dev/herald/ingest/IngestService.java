package dev.herald.ingest;

import dev.herald.delivery.DeliveryTask;
import dev.herald.delivery.Dispatcher;
import dev.herald.delivery.EventWriter;
import dev.herald.event.EventInput;
import dev.herald.event.StoredEvent;
import dev.herald.metrics.EngineMetrics;
import dev.herald.store.GroupCommitter;
import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Accepts events: validates them up front, then the {@link GroupCommitter} writes the requests that arrived meanwhile
 * in one transaction and hands their fresh deliveries to the dispatcher. A caller is answered only after its events
 * and deliveries are committed; a request is all or nothing, and a request the database refuses (or that conflicts
 * with an earlier one) fails alone.
 */
public final class IngestService implements AutoCloseable {
    public static final int MAX_BATCH = 1000;
    /** Events per group transaction; a single request is never split. */
    private static final int GROUP_EVENTS = 2000;

    /** Result per submitted event, in request order. */
    public record Accepted(String id, boolean duplicate, int deliveries) {}

    private record Committed(List<Accepted> accepted, List<DeliveryTask> fresh) {}

    private final GroupCommitter<List<StoredEvent>, Committed> committer;
    private final Clock clock;

    public IngestService(Jdbc jdbc, EventWriter writer, Dispatcher dispatcher, Clock clock, EngineMetrics metrics) {
        this.clock = clock;
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
        return committer.commit(prepare(batch)).accepted();
    }

    /**
     * Validates {@code batch} now (throwing {@link ValidationException}) and queues it; the future completes once it is
     * committed, or with what refused it.
     */
    public CompletableFuture<List<Accepted>> submit(List<EventInput> batch) {
        return committer.submit(prepare(batch)).thenApply(Committed::accepted);
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

    /** Validates {@code batch} and prepares its events (ids, wire bodies, fingerprints) on the caller's thread. */
    private List<StoredEvent> prepare(List<EventInput> batch) {
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
        batch.forEach(in -> prepared.add(EventWriter.prepare(in, now)));
        return prepared;
    }
}
