package dev.herald.bank.transfer;

import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** SQL for {@code bank_transfers}. */
final class TransferRepository {
    private static final String SELECT = """
            select t.*, f.uuid as from_uuid, o.uuid as to_uuid, d.uuid as debit_uuid, k.uuid as credit_uuid
            from bank_transfers t
            join bank_accounts f on f.id = t.from_account_id
            join bank_accounts o on o.id = t.to_account_id
            left join bank_transactions d on d.id = t.debit_transaction_id
            left join bank_transactions k on k.id = t.credit_transaction_id
            """;

    private TransferRepository() {}

    /** Inserts a pending transfer unless {@code clientId} exists; returns its id, or empty when the client id was taken. */
    static Optional<Long> insertIfAbsent(Connection c, UUID uuid, String clientId, long from, long to, long amount, String currency,
                                         String description, String traceId, Instant at) throws SQLException {
        return Jdbc.query(c, "insert into bank_transfers (uuid, client_transfer_id, from_account_id, to_account_id, amount, currency, "
                + "description, status, trace_id, created_at) values (?,?,?,?,?,?,?,'pending',?,?) "
                + "on conflict (client_transfer_id) do nothing returning id", ps -> {
                    ps.setObject(1, uuid);
                    ps.setString(2, clientId);
                    ps.setLong(3, from);
                    ps.setLong(4, to);
                    ps.setLong(5, amount);
                    ps.setString(6, currency);
                    ps.setString(7, description);
                    ps.setString(8, traceId);
                    ps.setTimestamp(9, Jdbc.ts(at));
                }, rs -> rs.getLong(1)).stream().findFirst();
    }

    static Optional<Transfer> byClientId(Connection c, String clientId) throws SQLException {
        return Jdbc.query(c, SELECT + " where t.client_transfer_id = ?", ps -> ps.setString(1, clientId), TransferRepository::map)
                .stream().findFirst();
    }

    static Optional<Transfer> find(Connection c, UUID uuid) throws SQLException {
        return Jdbc.query(c, SELECT + " where t.uuid = ?", ps -> ps.setObject(1, uuid), TransferRepository::map).stream().findFirst();
    }

    static Transfer byId(Connection c, long id) throws SQLException {
        return Jdbc.query(c, SELECT + " where t.id = ?", ps -> ps.setLong(1, id), TransferRepository::map).getFirst();
    }

    /** Locks the transfer row; empty if there is none. */
    static Optional<Long> lock(Connection c, UUID uuid) throws SQLException {
        return Jdbc.query(c, "select id from bank_transfers where uuid = ? for no key update", ps -> ps.setObject(1, uuid), rs -> rs.getLong(1))
                .stream().findFirst();
    }

    static void complete(Connection c, long id, long debitTx, long creditTx, Instant at) throws SQLException {
        Jdbc.update(c, "update bank_transfers set status = 'completed', debit_transaction_id = ?, credit_transaction_id = ?, completed_at = ? "
                + "where id = ?", ps -> {
                    ps.setLong(1, debitTx);
                    ps.setLong(2, creditTx);
                    ps.setTimestamp(3, Jdbc.ts(at));
                    ps.setLong(4, id);
                });
    }

    static void fail(Connection c, long id, String reason, String rule, Instant at) throws SQLException {
        Jdbc.update(c, "update bank_transfers set status = 'failed', failure_reason = ?, failure_rule = ?, completed_at = ? where id = ?", ps -> {
            ps.setString(1, reason);
            ps.setString(2, rule);
            ps.setTimestamp(3, Jdbc.ts(at));
            ps.setLong(4, id);
        });
    }

    private static Transfer map(ResultSet rs) throws SQLException {
        return new Transfer(rs.getLong("id"), rs.getObject("uuid", UUID.class), rs.getString("client_transfer_id"), rs.getLong("from_account_id"),
                rs.getObject("from_uuid", UUID.class), rs.getLong("to_account_id"), rs.getObject("to_uuid", UUID.class), rs.getLong("amount"),
                rs.getString("currency"), rs.getString("description"), rs.getString("status"), rs.getString("failure_reason"),
                rs.getString("failure_rule"), rs.getObject("debit_uuid", UUID.class), rs.getObject("credit_uuid", UUID.class),
                rs.getString("trace_id"), Jdbc.instant(rs, "created_at"), Jdbc.instant(rs, "completed_at"));
    }
}
