package dev.herald.stats;

import dev.herald.store.Jdbc;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The {@code stats_minutes} table: each node's per-minute, per-merchant totals (migration V23). */
public final class StatsRepository {
    /** One minute's totals summed over every node. */
    public record Minute(Instant minute, long attempts, long acknowledged, long[] attemptMillis, long[] receiveMillis) {}

    /** Writes {@code nodeId}'s totals, replacing what it wrote earlier for the same minutes and merchants. */
    public void write(Connection c, String nodeId, List<MinuteStats.Totals> totals) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into stats_minutes"
                + " (minute, merchant_id, node_id, attempts, acknowledged, attempt_ms, receive_ms) values (?, ?, ?, ?, ?, ?, ?)"
                + " on conflict (merchant_id, minute, node_id) do update set attempts = excluded.attempts, acknowledged = excluded.acknowledged,"
                + " attempt_ms = excluded.attempt_ms, receive_ms = excluded.receive_ms")) {
            for (MinuteStats.Totals t : totals) {
                ps.setTimestamp(1, Jdbc.ts(t.minute()));
                ps.setString(2, t.merchantId());
                ps.setString(3, nodeId);
                ps.setLong(4, t.attempts());
                ps.setLong(5, t.acknowledged());
                ps.setArray(6, c.createArrayOf("bigint", boxed(t.attemptMillis())));
                ps.setArray(7, c.createArrayOf("bigint", boxed(t.receiveMillis())));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Deletes the rows of minutes before {@code before}; returns how many. */
    public int deleteBefore(Connection c, Instant before) throws SQLException {
        return Jdbc.update(c, "delete from stats_minutes where minute < ?", ps -> ps.setTimestamp(1, Jdbc.ts(before)));
    }

    /**
     * The minutes from {@code from} on, summed over nodes, for one merchant ({@link MinuteStats#ALL}: everyone),
     * oldest first; minutes without tries are absent.
     */
    public List<Minute> read(Connection c, Instant from, String merchantId) throws SQLException {
        Map<Instant, Minute> byMinute = new TreeMap<>();
        Jdbc.query(c, "select minute, attempts, acknowledged, attempt_ms, receive_ms from stats_minutes where minute >= ? and merchant_id = ?", ps -> {
            ps.setTimestamp(1, Jdbc.ts(from));
            ps.setString(2, merchantId);
        }, rs -> {
            Minute row = new Minute(Jdbc.instant(rs, "minute"), rs.getLong("attempts"), rs.getLong("acknowledged"), counts(rs, "attempt_ms"),
                    counts(rs, "receive_ms"));
            byMinute.merge(row.minute(), row, StatsRepository::sum);
            return null;
        });
        return List.copyOf(byMinute.values());
    }

    private static Minute sum(Minute a, Minute b) {
        return new Minute(a.minute(), a.attempts() + b.attempts(), a.acknowledged() + b.acknowledged(), add(a.attemptMillis(), b.attemptMillis()),
                add(a.receiveMillis(), b.receiveMillis()));
    }

    private static long[] add(long[] a, long[] b) {
        long[] out = new long[Math.max(a.length, b.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (i < a.length ? a[i] : 0) + (i < b.length ? b[i] : 0);
        }
        return out;
    }

    private static long[] counts(ResultSet rs, String column) throws SQLException {
        Array a = rs.getArray(column);
        Object[] values = (Object[]) a.getArray();
        long[] out = new long[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values[i]).longValue();
        }
        return out;
    }

    private static Long[] boxed(long[] values) {
        Long[] out = new Long[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
