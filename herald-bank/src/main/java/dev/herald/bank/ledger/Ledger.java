package dev.herald.bank.ledger;

import dev.herald.bank.account.Account;
import dev.herald.bank.account.AccountRepository;
import dev.herald.bank.support.Events;
import dev.herald.bank.support.Hashing;
import dev.herald.bank.support.Json;
import dev.herald.outbox.Outbox;
import dev.herald.outbox.OutboxEvent;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The double-entry journal. {@link #post} records one transaction on a customer account as journal entries: the
 * customer's entry and, for deposits, withdrawals and their reversals, the opposite entry on the currency's cash
 * account, so every posting nets to zero; a transfer's two legs (one transaction each) net to zero together.
 *
 * <p>Each account's entries form a hash chain: {@code hash = hex(SHA-256(previous_hash || canonical))} where
 * {@code canonical} is {@link #canonical} of the entry and the first entry's {@code previous_hash} is 64 zeros.
 *
 * <p>Callers must hold the row locks of every account posted to (taken with {@link AccountRepository#lock(Connection, long...)})
 * and pass the accounts as read under those locks.
 */
public final class Ledger {

    /** What one posting changed. */
    public record Posted(Transaction transaction, Account account, Account counterpart) {}

    private Ledger() {}

    /**
     * Posts {@code signedAmount} (positive credits the customer) to {@code customer}, balanced against
     * {@code counterpart} (the cash account) unless it is null (a transfer leg), writes {@code transaction.created}
     * and any balance alert to the outbox, and returns the transaction with both accounts as they are now.
     */
    public static Posted post(Connection c, String type, Account customer, Account counterpart, long signedAmount, String reference,
                              Long transferId, Long reversesId, String traceId, Instant at, long lowBalance) throws SQLException {
        long before = customer.balance();
        long after = Math.addExact(before, signedAmount);
        UUID uuid = UUID.randomUUID();
        long txId = TransactionRepository.insert(c, uuid, customer.id(), type, Math.abs(signedAmount), customer.currency(), before, after,
                reference, transferId, reversesId, traceId, at);
        Account updated = entry(c, customer, txId, uuid, signedAmount, at);
        Account counterUpdated = counterpart == null ? null : entry(c, counterpart, txId, uuid, Math.negateExact(signedAmount), at);
        Transaction t = TransactionRepository.byId(c, txId);
        List<OutboxEvent> events = new ArrayList<>();
        events.add(Events.of("transaction.created", customer.uuid(), traceId, at, t.eventData()));
        events.addAll(balanceAlerts(customer.uuid(), customer.currency(), before, after, traceId, at, lowBalance));
        Outbox.append(c, events);
        return new Posted(t, updated, counterUpdated);
    }

    /** {@code balance.low} when a balance falls from at least {@code low} to below it; {@code balance.negative} when it is below 0. */
    static List<OutboxEvent> balanceAlerts(UUID account, String currency, long before, long after, String traceId, Instant at, long low) {
        List<OutboxEvent> out = new ArrayList<>();
        if (before >= low && after < low) {
            out.add(Events.of("balance.low", account, traceId, at, Json.obj().put("account_uuid", account.toString())
                    .put("balance", after).put("currency", currency).put("threshold", low)));
        }
        if (after < 0) {
            out.add(Events.of("balance.negative", account, traceId, at, Json.obj().put("account_uuid", account.toString())
                    .put("balance", after).put("currency", currency).put("threshold", 0)));
        }
        return out;
    }

    private static Account entry(Connection c, Account a, long txId, UUID txUuid, long amount, Instant at) throws SQLException {
        long seq = a.entryCount() + 1;
        long balanceAfter = Math.addExact(a.balance(), amount);
        String hash = Hashing.link(a.lastHash(), canonical(a.uuid(), seq, txUuid, amount, balanceAfter, at));
        Jdbc.update(c, "insert into bank_entries (account_id, seq, transaction_id, amount, balance_after, created_at, previous_hash, hash) "
                + "values (?,?,?,?,?,?,?,?)", ps -> {
                    ps.setLong(1, a.id());
                    ps.setLong(2, seq);
                    ps.setLong(3, txId);
                    ps.setLong(4, amount);
                    ps.setLong(5, balanceAfter);
                    ps.setTimestamp(6, Jdbc.ts(at));
                    ps.setString(7, a.lastHash());
                    ps.setString(8, hash);
                });
        Account moved = a.withBalance(balanceAfter, hash, seq, at);
        AccountRepository.updateHead(c, moved);
        return moved;
    }

    /** The canonical fields of a journal entry, as hashed: account uuid, seq, transaction uuid, amount, balance after, epoch microseconds. */
    public static String canonical(UUID account, long seq, UUID transaction, long amount, long balanceAfter, Instant createdAt) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
        return Hashing.canonical(account, seq, transaction, amount, balanceAfter, micros);
    }
}
