package dev.herald.bank.ledger;

import dev.herald.bank.account.Account;
import dev.herald.bank.account.AccountRepository;
import dev.herald.web.Problem;
import dev.herald.bank.support.Clocks;
import dev.herald.bank.support.Events;
import dev.herald.bank.support.Op;
import dev.herald.bank.support.Json;
import dev.herald.outbox.Outbox;
import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Deposits, withdrawals and reversals. Each runs in one transaction that locks the customer account and the
 * currency's cash account (in id order), posts balanced journal entries and writes its events to the outbox; a refused
 * operation (4xx) moves nothing and emits nothing.
 */
public final class LedgerService {
    private static final int MAX_REFERENCE = 200;

    private final Jdbc jdbc;
    private final Clock clock;
    private final long lowBalance;

    public LedgerService(Jdbc jdbc, Clock clock, long lowBalance) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.lowBalance = lowBalance;
    }

    /** Credits {@code amount} (minor units, > 0) to an active account. */
    public Ledger.Posted deposit(Op op, UUID account, long amount, String currency, String reference) {
        return cashPosting(op, account, "deposit", amount, currency, reference);
    }

    /** Debits {@code amount} from an active account; 422 (field amount) when the balance does not cover it. */
    public Ledger.Posted withdraw(Op op, UUID account, long amount, String currency, String reference) {
        return cashPosting(op, account, "withdrawal", amount, currency, reference);
    }

    /**
     * Reverses a posted deposit or withdrawal, once: posts the opposite amount as a {@code reversal} transaction and
     * emits {@code transaction.created} and {@code transaction.reversed}. Reversals and transfer legs cannot be
     * reversed (422); a transaction already reversed is a 409.
     */
    public Ledger.Posted reverse(Op op, UUID transaction, String reason) {
        String why = text(reason, "reason");
        return jdbc.inTransaction(c -> {
            long id = TransactionRepository.lock(c, transaction)
                    .orElseThrow(() -> Problem.notFound("no transaction " + transaction, "transaction_uuid"));
            Transaction original = TransactionRepository.byId(c, id);
            switch (original.type()) {
                case "deposit", "withdrawal" -> { }
                case "reversal" -> throw Problem.invalid("a reversal cannot be reversed", "transaction_uuid");
                default -> throw Problem.invalid("a transfer leg cannot be reversed; make a new transfer instead", "transaction_uuid");
            }
            if (original.reversed()) {
                throw Problem.conflict("transaction " + transaction + " was already reversed", "transaction_uuid");
            }
            long signed = original.type().equals("deposit") ? -original.amount() : original.amount();
            Map<Long, Account> locked = AccountRepository.lock(c, original.accountId(), AccountRepository.cashId(c, original.currency()));
            Account customer = locked.get(original.accountId());
            requireActive(customer);
            if (customer.balance() + signed < 0) {
                throw insufficient(customer, -signed);
            }
            Instant now = Clocks.now(clock);
            Account cash = locked.values().stream().filter(a -> !a.isCustomer()).findFirst().orElseThrow();
            Ledger.Posted p = Ledger.post(c, "reversal", customer, cash, signed, why, null, id, op.traceId(), now, lowBalance);
            TransactionRepository.markReversed(c, id);
            Outbox.append(c, Events.of("transaction.reversed", customer.uuid(), op.traceId(), now, Json.obj()
                    .put("transaction_uuid", original.uuid().toString())
                    .put("reversal_transaction_uuid", p.transaction().uuid().toString())
                    .put("account_uuid", customer.uuid().toString())
                    .put("amount", original.amount())
                    .put("currency", original.currency())
                    .put("balance_after", p.transaction().balanceAfter())
                    .put("reason", why)));
            return op.finish(c, p);
        });
    }

    public Transaction transaction(UUID uuid) {
        return jdbc.read(c -> TransactionRepository.find(c, uuid)
                .orElseThrow(() -> Problem.notFound("no transaction " + uuid, "transaction_uuid")));
    }

    /** The account's transactions, newest first. */
    public List<Transaction> transactions(UUID account, Long beforeId, int limit) {
        return jdbc.read(c -> TransactionRepository.byAccount(c, AccountRepository.get(c, account, "account_uuid").id(), beforeId, limit));
    }

    /** Recomputes the account's hash chain. */
    public ChainVerifier.Result verify(UUID account) {
        return jdbc.read(c -> ChainVerifier.verify(c, AccountRepository.get(c, account, "account_uuid").id()));
    }

    private Ledger.Posted cashPosting(Op op, UUID account, String type, long amount, String currency, String reference) {
        if (amount <= 0) {
            throw Problem.invalid("amount must be a positive integer of minor units", "amount");
        }
        String ref = text(reference, "reference");
        return jdbc.inTransaction(c -> {
            Account found = AccountRepository.get(c, account, "account_uuid");
            Map<Long, Account> locked = AccountRepository.lock(c, found.id(), AccountRepository.cashId(c, found.currency()));
            Account customer = locked.get(found.id());
            Account cash = locked.values().stream().filter(a -> !a.isCustomer()).findFirst().orElseThrow();
            if (currency != null && !currency.equals(customer.currency())) {
                throw Problem.invalid("currency " + currency + " does not match the account's " + customer.currency(), "currency");
            }
            requireActive(customer);
            long signed = type.equals("deposit") ? amount : -amount;
            if (signed > 0 && (customer.balance() > Long.MAX_VALUE - signed || cash.balance() < Long.MIN_VALUE + signed)) {
                throw Problem.invalid("amount would overflow the balance", "amount");
            }
            if (customer.balance() + signed < 0) {
                throw insufficient(customer, amount);
            }
            return op.finish(c, Ledger.post(c, type, customer, cash, signed, ref, null, null, op.traceId(), Clocks.now(clock), lowBalance));
        });
    }

    static void requireActive(Account a) {
        if (!a.status().equals(Account.ACTIVE)) {
            throw Problem.conflict("account " + a.uuid() + " is " + a.status(), "account_uuid");
        }
    }

    private static Problem insufficient(Account a, long amount) {
        return Problem.invalid("insufficient funds: balance " + a.balance() + " " + a.currency() + " does not cover " + amount, "amount");
    }

    private static String text(String s, String field) {
        if (s != null && s.length() > MAX_REFERENCE) {
            throw Problem.invalid(field + " must be at most " + MAX_REFERENCE + " characters", field);
        }
        return s;
    }
}
