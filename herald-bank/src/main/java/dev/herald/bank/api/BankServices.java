package dev.herald.bank.api;

import dev.herald.bank.account.AccountService;
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
public record BankServices(Jdbc jdbc, AccountService accounts, LedgerService ledger, TransferService transfers, Reconciler reconciler) {

    public static BankServices create(DataSource dataSource, Clock clock, RiskRules rules, long lowBalanceThreshold, Duration outboxStaleAfter) {
        Jdbc jdbc = new Jdbc(dataSource);
        return new BankServices(jdbc, new AccountService(jdbc, clock), new LedgerService(jdbc, clock, lowBalanceThreshold),
                new TransferService(jdbc, clock, new RiskCheck(rules), lowBalanceThreshold), new Reconciler(jdbc, clock, outboxStaleAfter));
    }
}
