package dev.herald.bank.ledger;

import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL for {@code bank_transactions} (and the journal entry each one's account got). */
public final class TransactionRepository {
    private static final String SELECT = """
            select t.id, t.uuid, t.account_id, a.uuid as account_uuid, t.type, t.amount, t.currency, t.balance_before,
                   t.balance_after, t.reference, tr.uuid as transfer_uuid, o.uuid as reverses_uuid, t.reversed,
                   e.previous_hash, e.hash, t.created_at
            from bank_transactions t
            join bank_accounts a on a.id = t.account_id
            left join bank_transfers tr on tr.id = t.transfer_id
            left join bank_transactions o on o.id = t.reverses_id
            left join bank_entries e on e.transaction_id = t.id and e.account_id = t.account_id
            """;

    private TransactionRepository() {}

    static long insert(Connection c, UUID uuid, long accountId, String type, long amount, String currency, long before, long after,
                       String reference, Long transferId, Long reversesId, String traceId, Instant at) throws SQLException {
        return Jdbc.query(c, "insert into bank_transactions (uuid, account_id, type, amount, currency, balance_before, balance_after, "
                + "reference, transfer_id, reverses_id, trace_id, created_at) values (?,?,?,?,?,?,?,?,?,?,?,?) returning id", ps -> {
                    ps.setObject(1, uuid);
                    ps.setLong(2, accountId);
                    ps.setString(3, type);
                    ps.setLong(4, amount);
                    ps.setString(5, currency);
                    ps.setLong(6, before);
                    ps.setLong(7, after);
                    ps.setString(8, reference);
                    ps.setObject(9, transferId);
                    ps.setObject(10, reversesId);
                    ps.setString(11, traceId);
                    ps.setTimestamp(12, Jdbc.ts(at));
                }, rs -> rs.getLong(1)).getFirst();
    }

    public static Optional<Transaction> find(Connection c, UUID uuid) throws SQLException {
        return Jdbc.query(c, SELECT + " where t.uuid = ?", ps -> ps.setObject(1, uuid), TransactionRepository::map).stream().findFirst();
    }

    public static Transaction byId(Connection c, long id) throws SQLException {
        return Jdbc.query(c, SELECT + " where t.id = ?", ps -> ps.setLong(1, id), TransactionRepository::map).getFirst();
    }

    /** Locks the transaction row {@code uuid} (so it is reversed at most once); empty if there is none. */
    static Optional<Long> lock(Connection c, UUID uuid) throws SQLException {
        return Jdbc.query(c, "select id from bank_transactions where uuid = ? for no key update", ps -> ps.setObject(1, uuid), rs -> rs.getLong(1))
                .stream().findFirst();
    }

    static void markReversed(Connection c, long id) throws SQLException {
        Jdbc.update(c, "update bank_transactions set reversed = true where id = ?", ps -> ps.setLong(1, id));
    }

    /** The account's transactions, newest first, with ids below {@code beforeId} when given. */
    public static List<Transaction> byAccount(Connection c, long accountId, Long beforeId, int limit) throws SQLException {
        return Jdbc.query(c, SELECT + " where t.account_id = ? and (?::bigint is null or t.id < ?) order by t.id desc limit ?", ps -> {
            ps.setLong(1, accountId);
            ps.setObject(2, beforeId);
            ps.setObject(3, beforeId);
            ps.setInt(4, limit);
        }, TransactionRepository::map);
    }

    static Transaction map(ResultSet rs) throws SQLException {
        return new Transaction(rs.getLong("id"), rs.getObject("uuid", UUID.class), rs.getLong("account_id"),
                rs.getObject("account_uuid", UUID.class), rs.getString("type"), rs.getLong("amount"), rs.getString("currency"),
                rs.getLong("balance_before"), rs.getLong("balance_after"), rs.getString("reference"),
                rs.getObject("transfer_uuid", UUID.class), rs.getObject("reverses_uuid", UUID.class), rs.getBoolean("reversed"),
                rs.getString("previous_hash"), rs.getString("hash"), Jdbc.instant(rs, "created_at"));
    }
}
