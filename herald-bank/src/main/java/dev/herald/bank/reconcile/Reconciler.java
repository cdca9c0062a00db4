package dev.herald.bank.reconcile;

import dev.herald.bank.audit.AuditLog;
import dev.herald.bank.ledger.ChainVerifier;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Proves the books: compares every balance with its journal, sums the journal, verifies every hash chain (journal
 * and audit) and finds outbox events committed more than {@code staleAfter} ago and still unpublished. Runs in one
 * repeatable-read transaction, so all checks see the same snapshot.
 */
public final class Reconciler {
    private static final int MAX_LISTED = 100;

    private final Jdbc jdbc;
    private final Clock clock;
    private final Duration staleAfter;
    private final AuditLog audit;

    public Reconciler(Jdbc jdbc, Clock clock, Duration staleAfter, AuditLog audit) {
        this.audit = audit;
        this.jdbc = jdbc;
        this.clock = clock;
        this.staleAfter = staleAfter;
    }

    public Reconciliation run() {
        return jdbc.inTransaction(c -> {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ); // the pool resets it when the connection returns
            return reconcile(c);
        });
    }

    private Reconciliation reconcile(Connection c) throws SQLException {
        Instant now = clock.instant();
        List<Reconciliation.BalanceDifference> diffs = Jdbc.query(c, """
                select a.uuid, a.kind, a.balance, coalesce(s.total, 0) as journal_sum, l.balance_after as last_balance
                from bank_accounts a
                left join (select account_id, sum(amount) as total from bank_entries group by account_id) s on s.account_id = a.id
                left join bank_entries l on l.account_id = a.id and l.seq = a.entry_count
                where a.balance <> coalesce(s.total, 0) or a.balance <> coalesce(l.balance_after, 0)
                order by a.id""", ps -> {}, rs -> new Reconciliation.BalanceDifference(rs.getObject("uuid", UUID.class), rs.getString("kind"),
                rs.getLong("balance"), rs.getLong("journal_sum"), (Long) rs.getObject("last_balance")));
        long[] totals = Jdbc.query(c, "select (select count(*) from bank_accounts), count(*), coalesce(sum(amount), 0) from bank_entries",
                ps -> {}, rs -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)}).getFirst();
        List<ChainVerifier.Result> broken = ChainVerifier.verifyAll(c).stream().filter(r -> !r.ok()).toList();
        AuditLog.Verification auditCheck = audit.verify(c, null);
        long pending = Jdbc.query(c, "select count(*) from herald_outbox where sent_at is null", ps -> {}, rs -> rs.getLong(1)).getFirst();
        List<Reconciliation.StaleEvent> stale = Jdbc.query(c, "select id, type, created_at from herald_outbox where sent_at is null "
                + "and created_at < now() - make_interval(secs => ?) order by seq limit ?", ps -> { // the outbox stamps rows with the database clock
                    ps.setDouble(1, staleAfter.toMillis() / 1000.0);
                    ps.setInt(2, MAX_LISTED);
                }, rs -> new Reconciliation.StaleEvent(rs.getString("id"), rs.getString("type"), Jdbc.instant(rs, "created_at")));
        boolean ok = diffs.isEmpty() && totals[2] == 0 && broken.isEmpty() && auditCheck.ok() && stale.isEmpty();
        return new Reconciliation(now, ok, (int) totals[0], totals[1], totals[2], diffs, broken, auditCheck, pending, stale);
    }
}
