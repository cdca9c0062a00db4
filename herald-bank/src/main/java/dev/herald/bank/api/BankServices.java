package dev.herald.bank.api;

import dev.herald.bank.account.AccountService;
import dev.herald.bank.audit.AuditLog;
import dev.herald.bank.ledger.LedgerService;
import dev.herald.bank.reconcile.Reconciler;
import dev.herald.bank.risk.RiskCheck;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bank.transfer.TransferService;
import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;

/** The bank's services over one migrated database ({@code classpath:db/bank}), without HTTP or bus: what {@link BankApi} serves. */
public record BankServices(Jdbc jdbc, AccountService accounts, LedgerService ledger, TransferService transfers, Reconciler reconciler,
                           AuditLog audit) {

    /** The services, their audit log keyed with {@code auditKey} (see {@link AuditLog}), whose key row is made now if missing. */
    public static BankServices create(DataSource dataSource, Clock clock, RiskRules rules, long lowBalanceThreshold, Duration outboxStaleAfter,
                                      byte[] auditKey) {
        Jdbc jdbc = new Jdbc(dataSource);
        AuditLog audit = new AuditLog(auditKey);
        jdbc.inTransaction(c -> {
            audit.ensureKey(c);
            return null;
        });
        return new BankServices(jdbc, new AccountService(jdbc, clock), new LedgerService(jdbc, clock, lowBalanceThreshold),
                new TransferService(jdbc, clock, new RiskCheck(rules), lowBalanceThreshold, audit), new Reconciler(jdbc, clock, outboxStaleAfter, audit),
                audit);
    }
}
