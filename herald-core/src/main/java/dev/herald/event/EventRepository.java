package dev.herald.event;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL for the {@code events} table, including the commit-safe pull cursor. */
public final class EventRepository {
    private static final String COLUMNS = "seq, xid::text as xid, id, type, account_uuid, occurred_at, received_at, payload,"
            + " idempotency_key, priority, trace_id, target_merchant";

    /** Inserts the event unless its id or idempotency key exists already; true when inserted. */
    public boolean insertIfAbsent(Connection c, StoredEvent e) throws SQLException {
        return Jdbc.update(c, "insert into events (id, type, account_uuid, occurred_at, received_at, payload, idempotency_key, priority,"
                + " trace_id, target_merchant) values (?,?,?,?,?,?,?,?,?,?) on conflict do nothing", ps -> {
            ps.setString(1, e.id());
            ps.setString(2, e.type());
            ps.setString(3, e.accountUuid());
            ps.setTimestamp(4, ts(e.occurredAt()));
            ps.setTimestamp(5, ts(e.receivedAt()));
            ps.setBytes(6, e.payload());
            ps.setString(7, e.idempotencyKey());
            ps.setShort(8, (short) e.priority());
            ps.setString(9, e.traceId());
            ps.setString(10, e.targetMerchant());
        }) == 1;
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
                rs.getString("idempotency_key"), rs.getShort("priority"), rs.getString("trace_id"), rs.getString("target_merchant"));
    }

}
