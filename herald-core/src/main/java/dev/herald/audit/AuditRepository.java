package dev.herald.audit;

import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** The SQL of the audit log: {@code audit_log} (the entries) and {@code audit_chain} (the one-row head: newest seq and hash). */
final class AuditRepository {
    private static final String COLUMNS = "seq, at, actor_key_id, actor_name, actor_merchant, action, target_type, target_id, target_merchant,"
            + " before, after, client_address, trace_id, prev_hash, hash";

    /** The head of the chain: the newest entry's number and hash (0 and {@code HashChain.GENESIS} when empty). */
    record Head(long seq, String hash) {}

    /** The head, locked until the end of the transaction: appends are numbered in commit order. */
    Head lockHead(Connection c) throws SQLException {
        return Jdbc.query(c, "select seq, hash from audit_chain for update", ps -> {}, rs -> new Head(rs.getLong(1), rs.getString(2))).getFirst();
    }

    /** The chain's key (sealed by the master key) and the boundary of the unkeyed entries, with the MAC that binds them. */
    record Key(long legacyThrough, String sealedKey, String boundaryMac) {}

    /** The stored key, or null when the chain has none yet. */
    Key key(Connection c) throws SQLException {
        return Jdbc.query(c, "select legacy_through, sealed_key, boundary_mac from audit_chain_key", ps -> {},
                rs -> new Key(rs.getLong(1), rs.getString(2), rs.getString(3))).stream().findFirst().orElse(null);
    }

    void insertKey(Connection c, long legacyThrough, String sealedKey, String boundaryMac) throws SQLException {
        Jdbc.update(c, "insert into audit_chain_key (legacy_through, sealed_key, boundary_mac) values (?, ?, ?)", ps -> {
            ps.setLong(1, legacyThrough);
            ps.setString(2, sealedKey);
            ps.setString(3, boundaryMac);
        });
    }

    Head head(Connection c) throws SQLException {
        return Jdbc.query(c, "select seq, hash from audit_chain", ps -> {}, rs -> new Head(rs.getLong(1), rs.getString(2))).getFirst();
    }

    /** Inserts {@code e} and moves the head onto it. */
    void append(Connection c, AuditEntry e) throws SQLException {
        Jdbc.update(c, "insert into audit_log (" + COLUMNS + ") values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", ps -> {
            ps.setLong(1, e.seq());
            ps.setTimestamp(2, Jdbc.ts(e.at()));
            ps.setString(3, e.actor().keyId());
            ps.setString(4, e.actor().keyName());
            ps.setString(5, e.actor().merchantId());
            ps.setString(6, e.action());
            ps.setString(7, e.target().type());
            ps.setString(8, e.target().id());
            ps.setString(9, e.target().merchantId());
            ps.setString(10, e.before());
            ps.setString(11, e.after());
            ps.setString(12, e.clientAddress());
            ps.setString(13, e.traceId());
            ps.setString(14, e.prevHash());
            ps.setString(15, e.hash());
        });
        Jdbc.update(c, "update audit_chain set seq = ?, hash = ?", ps -> {
            ps.setLong(1, e.seq());
            ps.setString(2, e.hash());
        });
    }

    /** Entries newest first matching {@code q}; at most {@code q.limit()}. */
    List<AuditEntry> page(Connection c, AuditLog.Query q) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from audit_log where (?::text is null or target_merchant = ?)"
                + " and (?::text is null or target_id = ?) and (?::text is null or actor_key_id = ? or actor_name = ?)"
                + " and (?::text is null or action = ?) and (?::timestamptz is null or at >= ?) and (?::bigint is null or seq < ?)"
                + " order by seq desc limit ?", ps -> {
            ps.setString(1, q.merchantId());
            ps.setString(2, q.merchantId());
            ps.setString(3, q.target());
            ps.setString(4, q.target());
            ps.setString(5, q.actor());
            ps.setString(6, q.actor());
            ps.setString(7, q.actor());
            ps.setString(8, q.action());
            ps.setString(9, q.action());
            ps.setTimestamp(10, Jdbc.ts(q.since()));
            ps.setTimestamp(11, Jdbc.ts(q.since()));
            ps.setObject(12, q.beforeSeq(), java.sql.Types.BIGINT);
            ps.setObject(13, q.beforeSeq(), java.sql.Types.BIGINT);
            ps.setInt(14, q.limit());
        }, AuditRepository::map);
    }

    /** Walks every entry oldest first, stopping when {@code visitor} returns false; streams inside a transaction. */
    void each(Connection c, Visitor visitor) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from audit_log order by seq")) {
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && visitor.visit(map(rs))) {
                    // visiting
                }
            }
        }
    }

    /** Sees one entry; false stops the walk. */
    interface Visitor {
        boolean visit(AuditEntry e);
    }

    private static AuditEntry map(ResultSet rs) throws SQLException {
        Instant at = Jdbc.instant(rs, "at");
        return new AuditEntry(rs.getLong("seq"), at, new Actor(rs.getString("actor_key_id"), rs.getString("actor_name"), rs.getString("actor_merchant")),
                rs.getString("action"), new Target(rs.getString("target_type"), rs.getString("target_id"), rs.getString("target_merchant")),
                rs.getString("before"), rs.getString("after"), rs.getString("client_address"), rs.getString("trace_id"), rs.getString("prev_hash"),
                rs.getString("hash"));
    }
}
