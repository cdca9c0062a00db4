package dev.herald.event;

import dev.herald.store.Jdbc;
import dev.herald.support.ConflictException;
import dev.herald.support.NotFoundException;
import java.util.List;

/** Reads accepted events: one by id, and everything after a cursor (the pull API). */
public final class EventService {
    private final Jdbc jdbc;
    private final EventRepository events;

    public EventService(Jdbc jdbc, EventRepository events) {
        this.jdbc = jdbc;
        this.events = events;
    }

    /**
     * Events after {@code cursor} (null: from the start), of {@code type} if given, in commit-safe cursor order; with a
     * {@code merchant}, only the events that targeted it or fanned out to its endpoints.
     */
    public List<StoredEvent> pull(String cursor, String type, int limit, String merchant) {
        return pull(cursor, type, null, limit, merchant);
    }

    /** As {@link #pull(String, String, int, String)}, of the events received at or after {@code since} (null: all); {@code type} may be a {@link TypeFilter} pattern. */
    public List<StoredEvent> pull(String cursor, String type, java.time.Instant since, int limit, String merchant) {
        return jdbc.read(c -> events.pull(c, cursor, type, since, limit, merchant));
    }

    /**
     * The event with {@code id} in {@code scope} (a merchant id, "" for events to every subscriber), or — with a null
     * scope — the one event with that id: the operator's if it has one, else a merchant's if exactly one merchant uses
     * the id; several merchants using it is a conflict naming {@code merchant_id}. With a {@code merchant} (a merchant's
     * key), only an event it sees counts: one of another merchant is not found, as a missing one.
     */
    public StoredEvent get(String id, String scope, String merchant) {
        List<StoredEvent> found = jdbc.read(c -> events.find(c, id, scope, merchant));
        if (found.isEmpty()) {
            throw new NotFoundException("no event " + id);
        }
        if (scope == null && found.size() > 1 && !found.getFirst().scope().isEmpty()) {
            throw new ConflictException("merchant_id", "several merchants have an event " + id + "; name one with ?merchant_id=");
        }
        return found.getFirst();
    }

    /** True when an event with {@code id} exists in any scope ({@code merchant} sees, when not null). */
    public boolean exists(String id, String merchant) {
        return !jdbc.read(c -> events.find(c, id, null, merchant)).isEmpty();
    }
}
