package dev.herald.bank.account;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.web.Problem;
import dev.herald.bank.support.Clocks;
import dev.herald.bank.support.Events;
import dev.herald.bank.support.Op;
import dev.herald.outbox.Outbox;
import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Instant;
import java.util.Currency;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Opening, renaming, freezing, unfreezing and closing customer accounts. Each change and its {@code account.*} event
 * commit in one transaction, with the account row locked.
 */
public final class AccountService {
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final int MAX_NAME = 200;

    private final Jdbc jdbc;
    private final Clock clock;

    public AccountService(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Opens an active account with balance 0 and emits {@code account.created}. */
    public Account open(Op op, String name, UUID userUuid, String currency) {
        String n = name(name);
        if (userUuid == null) {
            throw Problem.invalid("user_uuid is required", "user_uuid");
        }
        String cur = currency(currency, "currency");
        return jdbc.inTransaction(c -> {
            Instant now = Clocks.now(clock);
            AccountRepository.ensureCash(c, cur, now);
            UUID uuid = UUID.randomUUID();
            AccountRepository.insert(c, uuid, "customer", userUuid, n, cur, now);
            Account a = AccountRepository.get(c, uuid, "account_uuid");
            Outbox.append(c, Events.of("account.created", uuid, op.traceId(), now, a.eventData()));
            return op.finish(c, a);
        });
    }

    public Account get(UUID uuid) {
        return jdbc.read(c -> AccountRepository.get(c, uuid, "account_uuid"));
    }

    /** Renames the account; emits {@code account.updated} with {@code changes} only when the name changed. */
    public Account rename(Op op, UUID uuid, String name) {
        String n = name(name);
        return jdbc.inTransaction(c -> {
            Account a = AccountRepository.lock(c, uuid, "account_uuid");
            if (a.status().equals(Account.CLOSED)) {
                throw Problem.conflict("account " + uuid + " is closed", "account_uuid");
            }
            if (a.name().equals(n)) {
                return op.finish(c, a);
            }
            Instant now = Clocks.now(clock);
            AccountRepository.updateProfile(c, a.id(), n, a.status(), now);
            Account updated = AccountRepository.get(c, uuid, "account_uuid");
            ObjectNode data = updated.eventData();
            data.putObject("changes").putObject("name").put("from", a.name()).put("to", n);
            Outbox.append(c, Events.of("account.updated", uuid, op.traceId(), now, data));
            return op.finish(c, updated);
        });
    }

    /** Freezes an active account (409 otherwise): transfers and postings on it are refused until it is unfrozen. */
    public Account freeze(Op op, UUID uuid, String reason) {
        return setStatus(op, uuid, Account.ACTIVE, Account.FROZEN, "account.frozen", reason);
    }

    /** Unfreezes a frozen account (409 otherwise). */
    public Account unfreeze(Op op, UUID uuid, String reason) {
        return setStatus(op, uuid, Account.FROZEN, Account.ACTIVE, "account.unfrozen", reason);
    }

    /** Closes an active or frozen account whose balance is exactly 0 (409 otherwise); a closed account never reopens. */
    public Account close(Op op, UUID uuid) {
        return jdbc.inTransaction(c -> {
            Account a = AccountRepository.lock(c, uuid, "account_uuid");
            if (a.status().equals(Account.CLOSED)) {
                throw Problem.conflict("account " + uuid + " is already closed", "account_uuid");
            }
            if (a.balance() != 0) {
                throw Problem.conflict("only an account with balance 0 can be closed; the balance is " + a.balance(), "account_uuid");
            }
            Instant now = Clocks.now(clock);
            AccountRepository.updateProfile(c, a.id(), a.name(), Account.CLOSED, now);
            Account closed = AccountRepository.get(c, uuid, "account_uuid");
            Outbox.append(c, Events.of("account.closed", uuid, op.traceId(), now, closed.eventData().put("final_balance", a.balance())));
            return op.finish(c, closed);
        });
    }

    private Account setStatus(Op op, UUID uuid, String from, String to, String type, String reason) {
        String why = reason == null ? null : text(reason, "reason", 500);
        return jdbc.inTransaction(c -> {
            Account a = AccountRepository.lock(c, uuid, "account_uuid");
            if (!a.status().equals(from)) {
                throw Problem.conflict("account " + uuid + " is " + a.status() + ", not " + from, "account_uuid");
            }
            Instant now = Clocks.now(clock);
            AccountRepository.updateProfile(c, a.id(), a.name(), to, now);
            Account changed = AccountRepository.get(c, uuid, "account_uuid");
            Outbox.append(c, Events.of(type, uuid, op.traceId(), now, changed.eventData().put("reason", why)));
            return op.finish(c, changed);
        });
    }

    private static String name(String name) {
        if (name == null || name.isBlank()) {
            throw Problem.invalid("name is required", "name");
        }
        return text(name, "name", MAX_NAME);
    }

    private static String text(String s, String field, int max) {
        if (s.length() > max) {
            throw Problem.invalid(field + " must be at most " + max + " characters", field);
        }
        return s;
    }

    /** An ISO 4217 code in upper case, e.g. EUR, or a 422 naming {@code field}. */
    public static String currency(String currency, String field) {
        if (currency == null) {
            throw Problem.invalid(field + " is required (ISO 4217, e.g. EUR)", field);
        }
        if (CURRENCY.matcher(currency).matches()) {
            try {
                Currency.getInstance(currency);
                return currency;
            } catch (IllegalArgumentException unknown) {
                // answered below
            }
        }
        throw Problem.invalid(field + " must be an ISO 4217 currency code such as EUR", field);
    }
}
