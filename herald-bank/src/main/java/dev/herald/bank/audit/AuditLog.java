package dev.herald.bank.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Hashing;
import dev.herald.bank.support.Json;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * The audit log: one hash-chained row per operation. Appends take a transaction-scoped advisory lock, so entries are
 * chained in id order; take it last in a transaction (after any account locks) so it is held only until commit.
 */
public final class AuditLog {
    /** The advisory lock key that serialises audit appends. */
    private static final long LOCK = 0x6865_7261_6c64_4175L;
    private static final int MAX_BODY = 64 * 1024;
    private static final String COLUMNS = "id, trace_id, message_id, type, operation, account_uuid, amount, balance_before, balance_after, "
            + "client_ip, user_agent, request_body, response_body, status, created_at, previous_hash, hash";

    /** The verdict of {@link #verify}: ok, or the id of the first entry that does not verify and why. */
    public record Verification(boolean ok, long entries, Long firstBadId, String problem) {
        public ObjectNode view() {
            return Json.obj().put("ok", ok).put("entries", entries).put("first_bad_id", firstBadId).put("problem", problem);
        }
    }

    private AuditLog() {}

    /** Appends {@code r} inside the caller's transaction on {@code c}. Bodies longer than 64 KiB are cut. */
    public static void append(Connection c, AuditRecord r, Instant at) throws SQLException {
        AuditRecord rec = new AuditRecord(cut(r.traceId()), cut(r.messageId()), r.type(), r.operation(), r.accountUuid(), r.amount(),
                r.balanceBefore(), r.balanceAfter(), cut(r.clientIp()), cut(r.userAgent()), cut(r.requestBody()), cut(r.responseBody()),
                r.status());
        Instant when = at.truncatedTo(ChronoUnit.MICROS);
        Jdbc.query(c, "select pg_advisory_xact_lock(?)", ps -> ps.setLong(1, LOCK), rs -> null);
        String previous = Jdbc.query(c, "select hash from bank_audit order by id desc limit 1", ps -> {}, rs -> rs.getString(1))
                .stream().findFirst().orElse(Hashing.GENESIS);
        String hash = Hashing.link(previous, canonical(rec, when));
        Jdbc.update(c, "insert into bank_audit (trace_id, message_id, type, operation, account_uuid, amount, balance_before, balance_after, "
                + "client_ip, user_agent, request_body, response_body, status, created_at, previous_hash, hash) "
                + "values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", ps -> {
                    ps.setString(1, rec.traceId());
                    ps.setString(2, rec.messageId());
                    ps.setString(3, rec.type());
                    ps.setString(4, rec.operation());
                    ps.setObject(5, rec.accountUuid());
                    ps.setObject(6, rec.amount());
                    ps.setObject(7, rec.balanceBefore());
                    ps.setObject(8, rec.balanceAfter());
                    ps.setString(9, rec.clientIp());
                    ps.setString(10, rec.userAgent());
                    ps.setString(11, rec.requestBody());
                    ps.setString(12, rec.responseBody());
                    ps.setString(13, rec.status());
                    ps.setTimestamp(14, Jdbc.ts(when));
                    ps.setString(15, previous);
                    ps.setString(16, hash);
                });
    }

    /** Entries with {@code traceId} (all when null), oldest first. */
    public static List<AuditRecord.Stored> byTrace(Connection c, String traceId, int limit) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from bank_audit where (?::text is null or trace_id = ?) order by id limit ?", ps -> {
            ps.setString(1, traceId);
            ps.setString(2, traceId);
            ps.setInt(3, limit);
        }, AuditLog::map);
    }

    /** Recomputes the whole chain in id order and reports the first entry whose link or fields do not verify. */
    public static Verification verify(Connection c) throws SQLException {
        String previous = Hashing.GENESIS;
        long n = 0;
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from bank_audit order by id")) {
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n++;
                    AuditRecord.Stored s = map(rs);
                    if (!s.previousHash().equals(previous)) {
                        return new Verification(false, n, s.id(), "previous_hash does not match the entry before (an entry was removed or inserted)");
                    }
                    if (!Hashing.link(previous, canonical(s.record(), s.createdAt())).equals(s.hash())) {
                        return new Verification(false, n, s.id(), "hash does not match the entry's fields (the entry was altered)");
                    }
                    previous = s.hash();
                }
            }
        }
        return new Verification(true, n, null, null);
    }

    static String canonical(AuditRecord r, Instant at) {
        return Hashing.canonical(r.traceId(), r.messageId(), r.type(), r.operation(), r.accountUuid(), r.amount(), r.balanceBefore(),
                r.balanceAfter(), r.clientIp(), r.userAgent(), r.requestBody(), r.responseBody(), r.status(),
                ChronoUnit.MICROS.between(Instant.EPOCH, at));
    }

    private static AuditRecord.Stored map(ResultSet rs) throws SQLException {
        AuditRecord r = new AuditRecord(rs.getString("trace_id"), rs.getString("message_id"), rs.getString("type"), rs.getString("operation"),
                rs.getObject("account_uuid", UUID.class), (Long) rs.getObject("amount"), (Long) rs.getObject("balance_before"),
                (Long) rs.getObject("balance_after"), rs.getString("client_ip"), rs.getString("user_agent"), rs.getString("request_body"),
                rs.getString("response_body"), rs.getString("status"));
        return new AuditRecord.Stored(rs.getLong("id"), r, Jdbc.instant(rs, "created_at"), rs.getString("previous_hash"), rs.getString("hash"));
    }

    /** {@code s} cut to 64 KiB, with NUL and unpaired surrogates (which PostgreSQL cannot store as given) replaced by U+FFFD. */
    static String cut(String s) {
        if (s == null) {
            return null;
        }
        String t = s.length() <= MAX_BODY ? s : s.substring(0, MAX_BODY);
        StringBuilder sb = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char ch = t.charAt(i);
            if (Character.isHighSurrogate(ch) && i + 1 < t.length() && Character.isLowSurrogate(t.charAt(i + 1))) {
                sb.append(ch).append(t.charAt(++i));
            } else {
                sb.append(ch == 0 || Character.isSurrogate(ch) ? '\uFFFD' : ch);
            }
        }
        return sb.toString();
    }
}
