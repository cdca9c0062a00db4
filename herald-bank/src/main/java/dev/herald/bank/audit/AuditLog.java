package dev.herald.bank.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Json;
import dev.herald.store.Jdbc;
import dev.herald.store.chain.HashChain;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log: one row per operation, chained with an HMAC under the bank's audit key ({@link HashChain}, the same
 * chain as Herald's): whoever can rewrite the rows but has not the key cannot make a rewritten log verify; entries
 * written before the chain was keyed keep verifying as they were. Appends take a transaction-scoped advisory lock, so
 * entries are chained in id order; take it last in a transaction (after any account locks) so it is held only until
 * commit.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
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

    private final byte[] key;
    private volatile HashChain chain;

    /** The log keyed with {@code key} ({@link HashChain#KEY_BYTES} bytes, kept by the operator: see {@code BankConfig#withAuditKey}). */
    public AuditLog(byte[] key) {
        this.key = key.clone();
    }

    /**
     * Binds the chain to the key on first use (the entries written so far stay unkeyed, and the first keyed entry covers
     * them); called at start, so a log that has entries always has its key row.
     */
    public void ensureKey(Connection c) throws SQLException {
        Jdbc.query(c, "select pg_advisory_xact_lock(?)", ps -> ps.setLong(1, LOCK), rs -> null);
        chain(c);
    }

    /** Appends {@code r} inside the caller's transaction on {@code c}. Bodies longer than 64 KiB are cut. */
    public void append(Connection c, AuditRecord r, Instant at) throws SQLException {
        AuditRecord rec = new AuditRecord(cut(r.traceId()), cut(r.messageId()), r.type(), r.operation(), r.accountUuid(), r.amount(),
                r.balanceBefore(), r.balanceAfter(), cut(r.clientIp()), cut(r.userAgent()), cut(r.requestBody()), cut(r.responseBody()),
                r.status());
        Instant when = at.truncatedTo(ChronoUnit.MICROS);
        Jdbc.query(c, "select pg_advisory_xact_lock(?)", ps -> ps.setLong(1, LOCK), rs -> null);
        HashChain keyed = chain(c);
        String previous = Jdbc.query(c, "select hash from bank_audit order by id desc limit 1", ps -> {}, rs -> rs.getString(1))
                .stream().findFirst().orElse(HashChain.GENESIS);
        long id = Jdbc.query(c, "select nextval(pg_get_serial_sequence('bank_audit', 'id'))", ps -> {}, rs -> rs.getLong(1)).getFirst();
        String hash = keyed.link(id, previous, canonical(rec, when));
        Jdbc.update(c, "insert into bank_audit (id, trace_id, message_id, type, operation, account_uuid, amount, balance_before, balance_after, "
                + "client_ip, user_agent, request_body, response_body, status, created_at, previous_hash, hash) "
                + "values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", ps -> {
                    ps.setLong(1, id);
                    ps.setString(2, rec.traceId());
                    ps.setString(3, rec.messageId());
                    ps.setString(4, rec.type());
                    ps.setString(5, rec.operation());
                    ps.setObject(6, rec.accountUuid());
                    ps.setObject(7, rec.amount());
                    ps.setObject(8, rec.balanceBefore());
                    ps.setObject(9, rec.balanceAfter());
                    ps.setString(10, rec.clientIp());
                    ps.setString(11, rec.userAgent());
                    ps.setString(12, rec.requestBody());
                    ps.setString(13, rec.responseBody());
                    ps.setString(14, rec.status());
                    ps.setTimestamp(15, Jdbc.ts(when));
                    ps.setString(16, previous);
                    ps.setString(17, hash);
                });
    }

    /** The newest entry as an anchor to keep outside the database, if any. */
    public static Optional<HashChain.Anchor> anchor(Connection c) throws SQLException {
        return Jdbc.query(c, "select id, hash from bank_audit order by id desc limit 1", ps -> {},
                rs -> new HashChain.Anchor(rs.getLong(1), rs.getString(2))).stream().findFirst();
    }

    /** Entries with {@code traceId} (all when null), oldest first. */
    public static List<AuditRecord.Stored> byTrace(Connection c, String traceId, int limit) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from bank_audit where (?::text is null or trace_id = ?) order by id limit ?", ps -> {
            ps.setString(1, traceId);
            ps.setString(2, traceId);
            ps.setInt(3, limit);
        }, AuditLog::map);
    }

    /**
     * Recomputes the whole chain in id order under the key and reports the first entry whose link or fields do not
     * verify; given an {@code anchor} (null: none), also that the entry it names is still there unchanged, so entries
     * removed from the end are found too.
     */
    public Verification verify(Connection c, HashChain.Anchor anchor) throws SQLException {
        HashChain keyed;
        try {
            keyed = storedChain(c);
        } catch (IllegalStateException e) {
            return new Verification(false, 0, null, e.getMessage());
        }
        if (keyed == null) {
            long total = Jdbc.query(c, "select count(*) from bank_audit", ps -> {}, rs -> rs.getLong(1)).getFirst();
            return total == 0 && anchor == null ? new Verification(true, 0, null, null)
                    : new Verification(false, 0, null, "the audit chain has no key row (bank_audit_key was emptied)");
        }
        HashChain.Walk walk = keyed.walk(anchor);
        long n = 0;
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from bank_audit order by id")) {
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n++;
                    AuditRecord.Stored s = map(rs);
                    String problem = walk.next(s.id(), s.previousHash(), canonical(s.record(), s.createdAt()), s.hash());
                    if (problem != null) {
                        return new Verification(false, n, s.id(), problem);
                    }
                }
            }
        }
        String end = walk.end();
        return end == null ? new Verification(true, n, null, null) : new Verification(false, n, anchor.position(), end);
    }

    /** The chain, its key row made on first use with the entries so far as its unkeyed ones; call under the append lock. */
    private HashChain chain(Connection c) throws SQLException {
        HashChain known = chain;
        if (known != null) {
            return known;
        }
        HashChain stored = storedChain(c);
        if (stored == null) {
            long newest = Jdbc.query(c, "select coalesce(max(id), 0) from bank_audit", ps -> {}, rs -> rs.getLong(1)).getFirst();
            stored = new HashChain(key, newest);
            String mac = stored.boundaryMac();
            Jdbc.update(c, "insert into bank_audit_key (legacy_through, boundary_mac) values (?, ?)", ps -> {
                ps.setLong(1, newest);
                ps.setString(2, mac);
            });
            if (newest > 0) {
                log.warn("the bank's audit chain now has a key; its entries up to id {} stay unkeyed and the next entry covers them", newest);
            }
        }
        chain = stored;
        return stored;
    }

    private record KeyRow(long legacyThrough, String boundaryMac) {}

    /** The chain of the key row, or null when there is none; throws when the row was not made with this log's key. */
    private HashChain storedChain(Connection c) throws SQLException {
        List<KeyRow> rows = Jdbc.query(c, "select legacy_through, boundary_mac from bank_audit_key", ps -> {},
                rs -> new KeyRow(rs.getLong(1), rs.getString(2)));
        if (rows.isEmpty()) {
            return null;
        }
        HashChain stored = new HashChain(key, rows.getFirst().legacyThrough());
        if (!stored.boundaryVerifies(rows.getFirst().boundaryMac())) {
            throw new IllegalStateException("the bank's audit key is not the one its audit chain was made with (or the chain's key row was"
                    + " changed); start the bank with its key");
        }
        return stored;
    }

    static String canonical(AuditRecord r, Instant at) {
        return HashChain.canonical(r.traceId(), r.messageId(), r.type(), r.operation(), r.accountUuid(), r.amount(), r.balanceBefore(),
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
        return s == null ? null : HashChain.storable(s.length() <= MAX_BODY ? s : s.substring(0, MAX_BODY));
    }
}
