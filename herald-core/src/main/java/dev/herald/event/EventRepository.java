package dev.herald.event;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQL for the {@code events} table, including the commit-safe pull cursor. Events live in day partitions (V21); an event's
 * id and idempotency key are unique per scope through {@code event_keys}, which also finds an event by id in one
 * partition (its {@code part_day}) instead of every partition.
 */
public final class EventRepository {
    private static final String COLUMNS = "e.seq, e.xid::text as xid_text, e.id, e.type, e.account_uuid, e.occurred_at, e.received_at, e.payload,"
            + " e.idempotency_key, e.priority, e.trace_id, e.target_merchant, e.ordering_key, e.fingerprint, e.traceparent";
    /** With a merchant bound (3 parameters): the events (alias e) that targeted it or fanned out to one of its endpoints. */
    private static final String VISIBLE_TO = " and (?::text is null or e.target_merchant = ? or exists (select 1 from deliveries d"
            + " join endpoints ep on ep.id = d.endpoint_id where d.event_seq = e.seq and d.part_day = e.part_day and ep.merchant_id = ?))";

    /** An event's identity: its scope and id. */
    public record Key(String scope, String id) {}

    /**
     * Inserts the events in order, skipping any whose id or idempotency key exists in its scope (in the table or earlier
     * in the list); returns the sequence number of each event actually inserted. The keys are claimed first
     * ({@code event_keys}, whose unique indexes decide), then the events that got theirs are written in their day's
     * partition (the UTC day of {@code received_at}).
     */
    public Map<Key, Long> insertAllIfAbsent(Connection c, List<StoredEvent> rows) throws SQLException {
        return insertAll(c, rows).seqs();
    }

    /**
     * What {@link #insertAll} inserted: the sequence number of each event actually inserted, and the endpoint change
     * counter (V8) as the insert's own snapshot saw it, or -1 when nothing was inserted.
     */
    public record Inserted(Map<Key, Long> seqs, long endpointChanges) {}

    /**
     * As {@link #insertAllIfAbsent}, also reading the endpoint change counter in the same statement, so the ingest
     * transaction learns whether its endpoint registry is behind without a round trip of its own.
     */
    public Inserted insertAll(Connection c, List<StoredEvent> rows) throws SQLException {
        int n = rows.size();
        String[] ids = new String[n], types = new String[n], accounts = new String[n], keys = new String[n], traces = new String[n],
                targets = new String[n], orderingKeys = new String[n], traceparents = new String[n];
        Timestamp[] occurred = new Timestamp[n], received = new Timestamp[n];
        byte[][] payloads = new byte[n][], fingerprints = new byte[n][];
        Short[] priorities = new Short[n];
        for (int i = 0; i < n; i++) {
            StoredEvent e = rows.get(i);
            ids[i] = e.id();
            types[i] = e.type();
            accounts[i] = e.accountUuid();
            occurred[i] = ts(e.occurredAt());
            received[i] = ts(e.receivedAt());
            payloads[i] = e.payload();
            keys[i] = e.idempotencyKey();
            priorities[i] = (short) e.priority();
            traces[i] = e.traceId();
            targets[i] = e.targetMerchant();
            orderingKeys[i] = e.orderingKey();
            fingerprints[i] = e.fingerprint();
            traceparents[i] = e.traceparent();
        }
        Map<Key, Long> inserted = new HashMap<>();
        long[] changes = {-1};
        // each candidate draws its sequence number up front (in list order), so the keys that win name their own row,
        // also when the list holds the same key twice
        Jdbc.query(c, "with u as (select * from unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::bytea[],"
                + " ?::text[], ?::int2[], ?::text[], ?::text[], ?::text[], ?::bytea[], ?::text[]) with ordinality as u(id, type, account_uuid,"
                + " occurred_at, received_at, payload, idempotency_key, priority, trace_id, target_merchant, ordering_key, fingerprint,"
                + " traceparent, ord) order by ord),"
                + " v as materialized (select u.*, nextval('events_seq_seq') as seq from u),"
                + " k as (insert into event_keys (id, scope, idempotency_key, event_seq, part_day)"
                + " select id, coalesce(target_merchant, ''), idempotency_key, seq, (received_at at time zone 'UTC')::date"
                + " from v order by ord on conflict do nothing returning event_seq, part_day)"
                + " insert into events (seq, part_day, id, type, account_uuid, occurred_at, received_at, payload, idempotency_key, priority, trace_id,"
                + " target_merchant, ordering_key, fingerprint, traceparent) select k.event_seq, k.part_day, v.id, v.type, v.account_uuid,"
                + " v.occurred_at, v.received_at, v.payload, v.idempotency_key, v.priority, v.trace_id, v.target_merchant, v.ordering_key,"
                + " v.fingerprint, v.traceparent from v join k on k.event_seq = v.seq"
                + " order by k.event_seq returning scope, id, seq, (select version from endpoint_changes)", ps -> {
            ps.setArray(1, c.createArrayOf("text", ids));
            ps.setArray(2, c.createArrayOf("text", types));
            ps.setArray(3, c.createArrayOf("text", accounts));
            ps.setArray(4, c.createArrayOf("timestamptz", occurred));
            ps.setArray(5, c.createArrayOf("timestamptz", received));
            ps.setArray(6, c.createArrayOf("bytea", payloads));
            ps.setArray(7, c.createArrayOf("text", keys));
            ps.setArray(8, c.createArrayOf("int2", priorities));
            ps.setArray(9, c.createArrayOf("text", traces));
            ps.setArray(10, c.createArrayOf("text", targets));
            ps.setArray(11, c.createArrayOf("text", orderingKeys));
            ps.setArray(12, c.createArrayOf("bytea", fingerprints));
            ps.setArray(13, c.createArrayOf("text", traceparents));
        }, rs -> {
            changes[0] = rs.getLong(4);
            return inserted.put(new Key(rs.getString(1), rs.getString(2)), rs.getLong(3));
        });
        return new Inserted(inserted, changes[0]);
    }

    /** The stored event of {@code scope} that has {@code id} or {@code idempotencyKey}. */
    public Optional<StoredEvent> findByIdOrKey(Connection c, String scope, String id, String idempotencyKey) throws SQLException {
        List<Located> keys = Jdbc.query(c, "select event_seq, part_day from event_keys where scope = ? and (id = ? or (?::text is not null and idempotency_key = ?))"
                + " order by (id = ?) desc limit 1", ps -> {
            ps.setString(1, scope);
            ps.setString(2, id);
            ps.setString(3, idempotencyKey);
            ps.setString(4, idempotencyKey);
            ps.setString(5, id);
        }, EventRepository::located);
        return keys.isEmpty() ? Optional.empty() : read(c, keys.getFirst(), null).stream().findFirst();
    }

    /**
     * The events with {@code id}, in every scope or in {@code scope} only when it is not null, and only those
     * {@code merchant} sees when it is not null (that targeted it or fanned out to its endpoints); operator scope first.
     * A merchant's lookup reads only the keys of the scopes it may see (its own and the operator's), so another
     * merchant's event runs the same statement, reading no row, as a missing one: no timing tells them apart.
     */
    public List<StoredEvent> find(Connection c, String id, String scope, String merchant) throws SQLException {
        String[] scopes = merchant != null
                ? java.util.stream.Stream.of(merchant, "").filter(s -> scope == null || s.equals(scope)).toArray(String[]::new)
                : scope != null ? new String[] {scope} : null;
        List<Located> keys = Jdbc.query(c, "select event_seq, part_day from event_keys where id = ?"
                + " and (?::text[] is null or scope = any(?::text[])) order by scope limit 10", ps -> {
            ps.setString(1, id);
            ps.setArray(2, scopes == null ? null : c.createArrayOf("text", scopes));
            ps.setArray(3, scopes == null ? null : c.createArrayOf("text", scopes));
        }, EventRepository::located);
        List<StoredEvent> out = new java.util.ArrayList<>(keys.size());
        for (Located k : keys) {
            out.addAll(read(c, k, merchant));
        }
        return out;
    }

    /** Where a key row says its event lives: its sequence number and day partition. */
    private record Located(long seq, java.time.LocalDate partDay) {}

    private static Located located(ResultSet rs) throws SQLException {
        return new Located(rs.getLong(1), rs.getObject(2, java.time.LocalDate.class));
    }

    /** The event a key row points to, read from its one partition (if {@code merchant}, not null, sees it). */
    private static List<StoredEvent> read(Connection c, Located k, String merchant) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from events e where e.seq = ? and e.part_day = ?" + VISIBLE_TO, ps -> {
            ps.setLong(1, k.seq());
            ps.setObject(2, k.partDay());
            ps.setString(3, merchant);
            ps.setString(4, merchant);
            ps.setString(5, merchant);
        }, EventRepository::map);
    }

    /**
     * Events after {@code cursor} in commit-safe order: by transaction id, then sequence number. Only events whose
     * transaction is older than every transaction still running are returned, so an event committed later can never
     * sort before a cursor already handed out; of those {@code merchant} sees when it is not null. (The transaction id is compared as {@code xid8}, a number; its text
     * form would sort "3841" before "917".) Rows never move between partitions and a dropped partition takes whole events
     * with it, so a cursor into a dropped range goes on with the next event kept: nothing kept is ever skipped.
     */
    public List<StoredEvent> pull(Connection c, String cursor, String type, int limit, String merchant) throws SQLException {
        return pull(c, cursor, type, null, limit, merchant);
    }

    /**
     * As {@link #pull(Connection, String, String, int, String)}, of the events received at or after {@code since} (null:
     * all), whose type {@code type} names or matches (a {@link TypeFilter}).
     */
    public List<StoredEvent> pull(Connection c, String cursor, String type, Instant since, int limit, String merchant) throws SQLException {
        long[] after = parseCursor(cursor);
        TypeFilter t = TypeFilter.of(type);
        return Jdbc.query(c, "select " + COLUMNS + " from events e where (e.xid, e.seq) > (?::text::xid8, ?)"
                + " and e.xid < pg_snapshot_xmin(pg_current_snapshot()) and (?::text is null or e.type = ?)"
                + " and (?::text is null or starts_with(e.type, ?))"
                + " and (?::timestamptz is null or (e.part_day >= (?::timestamptz at time zone 'UTC')::date and e.received_at >= ?))" + VISIBLE_TO
                + " order by e.xid, e.seq limit ?", ps -> {
            ps.setString(1, Long.toUnsignedString(after[0]));
            ps.setLong(2, after[1]);
            ps.setString(3, t.exact());
            ps.setString(4, t.exact());
            ps.setString(5, t.prefix());
            ps.setString(6, t.prefix());
            ps.setTimestamp(7, ts(since));
            ps.setTimestamp(8, ts(since));
            ps.setTimestamp(9, ts(since));
            ps.setString(10, merchant);
            ps.setString(11, merchant);
            ps.setString(12, merchant);
            ps.setInt(13, limit);
        }, EventRepository::map);
    }

    static long[] parseCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return new long[] {0, 0};
        }
        int dash = cursor.indexOf('-');
        try {
            if (dash < 1) {
                throw new NumberFormatException();
            }
            long xid = Long.parseUnsignedLong(cursor.substring(0, dash));
            long seq = Long.parseLong(cursor.substring(dash + 1));
            if (seq < 0) {
                throw new NumberFormatException();
            }
            return new long[] {xid, seq};
        } catch (NumberFormatException ex) {
            throw new ValidationException("after", "'after' must be a cursor returned by a previous call");
        }
    }

    private static StoredEvent map(ResultSet rs) throws SQLException {
        long seq = rs.getLong("seq");
        return new StoredEvent(seq, rs.getString("xid_text") + "-" + seq, rs.getString("id"), rs.getString("type"),
                rs.getString("account_uuid"), instant(rs, "occurred_at"), instant(rs, "received_at"), rs.getBytes("payload"),
                rs.getString("idempotency_key"), rs.getShort("priority"), rs.getString("trace_id"), rs.getString("target_merchant"),
                rs.getString("ordering_key"), rs.getBytes("fingerprint"), rs.getString("traceparent"));
    }
}
