package dev.herald.bank.risk;

import dev.herald.bank.account.Account;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Evaluates {@link RiskRules} for one transfer. Callers hold the row locks of both accounts, so the daily and
 * velocity counts cannot change underneath the decision.
 */
public final class RiskCheck {

    /**
     * Why a transfer is refused. {@code failureReason} is what the transfer records ({@code risk_rejected},
     * {@code account_frozen}, {@code account_closed}); {@code rule} names the rule; {@code severity} low|medium|high.
     */
    public record Rejection(String failureReason, String rule, String reason, String severity, Account subject) {}

    private final RiskRules rules;

    public RiskCheck(RiskRules rules) {
        this.rules = rules;
    }

    /** The first rule {@code amount} from {@code from} to {@code to} breaks at {@code now}, if any. */
    public Optional<Rejection> evaluate(Connection c, Account from, Account to, long amount, Instant now) throws SQLException {
        for (Account a : new Account[] {from, to}) {
            if (a.status().equals(Account.CLOSED)) {
                return reject("account_closed", "account_closed", "account " + a.uuid() + " is closed", "medium", a);
            }
        }
        for (Account a : new Account[] {from, to}) {
            if (a.status().equals(Account.FROZEN)) {
                return reject("account_frozen", "account_frozen", "account " + a.uuid() + " is frozen", "medium", a);
            }
        }
        for (Account a : new Account[] {from, to}) {
            if (rules.blockedAccounts().contains(a.uuid())) {
                return reject("risk_rejected", "blocked_account", "account " + a.uuid() + " is on the blocked list", "high", a);
            }
        }
        if (amount > rules.maxTransferAmount()) {
            return reject("risk_rejected", "transfer_limit", "amount " + amount + " exceeds the per-transfer limit of "
                    + rules.maxTransferAmount(), "medium", from);
        }
        Instant dayStart = now.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
        long sentToday = Jdbc.query(c, "select coalesce(sum(amount), 0) from bank_transfers where from_account_id = ? and status = 'completed' "
                + "and completed_at >= ?", ps -> {
                    ps.setLong(1, from.id());
                    ps.setTimestamp(2, Jdbc.ts(dayStart));
                }, rs -> rs.getLong(1)).getFirst();
        if (sentToday + amount > rules.dailyLimit()) {
            return reject("risk_rejected", "daily_limit", "sent today " + sentToday + " plus " + amount + " exceeds the daily limit of "
                    + rules.dailyLimit(), "medium", from);
        }
        long lastMinute = Jdbc.query(c, "select count(*) from bank_transfers where from_account_id = ? and status = 'completed' "
                + "and completed_at > ?", ps -> {
                    ps.setLong(1, from.id());
                    ps.setTimestamp(2, Jdbc.ts(now.minus(Duration.ofMinutes(1))));
                }, rs -> rs.getLong(1)).getFirst();
        if (lastMinute + 1 > rules.velocityPerMinute()) {
            return reject("risk_rejected", "velocity", lastMinute + " transfers in the last minute; at most "
                    + rules.velocityPerMinute() + " are allowed", "high", from);
        }
        return Optional.empty();
    }

    private static Optional<Rejection> reject(String failure, String rule, String reason, String severity, Account subject) {
        return Optional.of(new Rejection(failure, rule, reason, severity, subject));
    }
}
