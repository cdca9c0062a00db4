package dev.herald.event;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.sql.Timestamp;
import java.util.Optional;

/** SQL for the {@code events} table, including the commit-safe pull cursor. */
public final class EventRepository {
    private static final String COLUMNS = "seq, xid::text as xid, id, type, account_uuid, occurred_at, received_at, payload,"
            + " idempotency_key, priority, trace_id, target_merchant, ordering_key";

    /**
     * Inserts the events in order, skipping any whose id or idempotency key exists (in the table or earlier in the
     * list); returns the ids actually inserted.
     */
    public Set<String> insertAllIfAbsent(Connection c, List<StoredEvent> rows) throws SQLException {
        int n = rows.size();
        String[] ids = new String[n], types = new String[n], accounts = new String[n], keys = new String[n], traces = new String[n],
                targets = new String[n], orderingKeys = new String[n];
        Timestamp[] occurred = new Timestamp[n], received = new Timestamp[n];
        byte[][] payloads = new byte[n][];
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
        }
        Set<String> inserted = new HashSet<>();
        Jdbc.query(c, "insert into events (id, type, account_uuid, occurred_at, received_at, payload, idempotency_key, priority, trace_id,"
                + " target_merchant, ordering_key) select id, type, account_uuid, occurred_at, received_at, payload, idempotency_key, priority,"
                + " trace_id, target_merchant, ordering_key"
                + " from unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::bytea[],"
                + " ?::text[], ?::int2[], ?::text[], ?::text[], ?::text[]) with ordinality as v(id, type, account_uuid, occurred_at, received_at,"
                + " payload, idempotency_key, priority, trace_id, target_merchant, ordering_key, ord) order by ord on conflict do nothing returning id", ps -> {
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
        }, rs -> inserted.add(rs.getString(1)));
        return inserted;
    }

    /** The stored event that has {@code id} or {@code idempotencyKey}. */
    public Optional<StoredEvent> findByIdOrKey(Connection c, String id, String idempotencyKey) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from events where id=? or (?::text is not null and idempotency_key=?) limit 1", ps -> {
            ps.setString(1, id);
            ps.setString(2, idempotencyKey);
            ps.setString(3, idempotencyKey);
        }, EventRepository::map).stream().findFirst();
    }

    public Optional<StoredEvent> find(Connection c, String id) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from events where id=?", ps -> ps.setString(1, id), EventRepository::map)
                .stream().findFirst();
    }

    /**
     * Events after {@code cursor} in commit-safe order. Only events whose transaction is older than every
     * transaction still running are returned, so an event committed later can never sort before a cursor
     * already handed out.
     */
    public List<StoredEvent> pull(Connection c, String cursor, String type, int limit) throws SQLException {
        long[] after = parseCursor(cursor);
        return Jdbc.query(c, "select " + COLUMNS + " from events where (xid, seq) > (?::text::xid8, ?)"
                + " and xid < pg_snapshot_xmin(pg_current_snapshot()) and (?::text is null or type=?) order by xid, seq limit ?", ps -> {
            ps.setString(1, Long.toUnsignedString(after[0]));
            ps.setLong(2, after[1]);
            ps.setString(3, type);
            ps.setString(4, type);
            ps.setInt(5, limit);
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
        return new StoredEvent(seq, rs.getString("xid") + "-" + seq, rs.getString("id"), rs.getString("type"),
                rs.getString("account_uuid"), instant(rs, "occurred_at"), instant(rs, "received_at"), rs.getBytes("payload"),
                rs.getString("idempotency_key"), rs.getShort("priority"), rs.getString("trace_id"), rs.getString("target_merchant"),
                rs.getString("ordering_key"));
    }

}
