package dev.herald.bank.transfer;

import dev.herald.bank.account.Account;
import dev.herald.bank.account.AccountRepository;
import dev.herald.bank.account.AccountService;
import dev.herald.bank.audit.AuditLog;
import dev.herald.bank.audit.AuditRecord;
import dev.herald.bank.ledger.Ledger;
import dev.herald.bank.risk.RiskCheck;
import dev.herald.web.Problem;
import dev.herald.bank.support.Clocks;
import dev.herald.bank.support.Events;
import dev.herald.bank.support.Op;
import dev.herald.bank.support.Json;
import dev.herald.outbox.Outbox;
import dev.herald.outbox.OutboxEvent;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Transfers: {@link #create} records a pending transfer and {@code transfer.created} in one transaction (idempotent
 * on the client transfer id); {@link #execute}, called by the bus consumer, decides and moves the money in another.
 */
public final class TransferService {
    private static final int MAX_CLIENT_ID = 100;
    private static final int MAX_DESCRIPTION = 500;

    private final Jdbc jdbc;
    private final Clock clock;
    private final RiskCheck risk;
    private final long lowBalance;
    private final AuditLog audit;

    /** A transfer request as the client sent it. */
    public record Request(String clientTransferId, UUID fromAccountUuid, UUID toAccountUuid, Long amount, String currency, String description) {}

    /** The transfer and whether this call created it ({@code false}: a replay of the same client transfer id). */
    public record Created(Transfer transfer, boolean created) {}

    /** What {@link #execute} did: {@code processed} false when the transfer was no longer pending (a redelivery). */
    public record Outcome(Transfer transfer, boolean processed) {}

    public TransferService(Jdbc jdbc, Clock clock, RiskCheck risk, long lowBalance, AuditLog audit) {
        this.audit = audit;
        this.jdbc = jdbc;
        this.clock = clock;
        this.risk = risk;
        this.lowBalance = lowBalance;
    }

    /**
     * Creates the pending transfer and its {@code transfer.created} event, or returns the existing transfer of the same
     * client transfer id if it asks for the same movement (409 if it does not). Money moves later, once.
     */
    public Created create(Op op, Request r) {
        String clientId = r.clientTransferId();
        if (clientId == null || clientId.isBlank()) {
            throw Problem.invalid("client_transfer_id is required", "client_transfer_id");
        }
        if (clientId.length() > MAX_CLIENT_ID) {
            throw Problem.invalid("client_transfer_id must be at most " + MAX_CLIENT_ID + " characters", "client_transfer_id");
        }
        if (r.fromAccountUuid() == null) {
            throw Problem.invalid("from_account_uuid is required", "from_account_uuid");
        }
        if (r.toAccountUuid() == null) {
            throw Problem.invalid("to_account_uuid is required", "to_account_uuid");
        }
        if (r.fromAccountUuid().equals(r.toAccountUuid())) {
            throw Problem.invalid("to_account_uuid must differ from from_account_uuid", "to_account_uuid");
        }
        if (r.amount() == null || r.amount() <= 0) {
            throw Problem.invalid("amount must be a positive integer of minor units", "amount");
        }
        String currency = AccountService.currency(r.currency(), "currency");
        if (r.description() != null && r.description().length() > MAX_DESCRIPTION) {
            throw Problem.invalid("description must be at most " + MAX_DESCRIPTION + " characters", "description");
        }
        return jdbc.inTransaction(c -> {
            Optional<Transfer> existing = TransferRepository.byClientId(c, clientId);
            if (existing.isPresent()) {
                return op.finish(c, replay(existing.get(), r, currency));
            }
            Account from = AccountRepository.find(c, r.fromAccountUuid())
                    .orElseThrow(() -> Problem.invalid("no account " + r.fromAccountUuid(), "from_account_uuid"));
            Account to = AccountRepository.find(c, r.toAccountUuid())
                    .orElseThrow(() -> Problem.invalid("no account " + r.toAccountUuid(), "to_account_uuid"));
            AccountRepository.lock(c, from.id()); // the event's ordering key: the relay's order is commit order only under this lock
            Instant now = Clocks.now(clock);
            Optional<Long> id = TransferRepository.insertIfAbsent(c, UUID.randomUUID(), clientId, from.id(), to.id(), r.amount(), currency,
                    r.description(), op.traceId(), now);
            if (id.isEmpty()) { // a concurrent request with this client id committed first
                return op.finish(c, replay(TransferRepository.byClientId(c, clientId).orElseThrow(), r, currency));
            }
            Transfer t = TransferRepository.byId(c, id.get());
            Outbox.append(c, Events.of("transfer.created", from.uuid(), op.traceId(), now, t.eventData()));
            return op.finish(c, new Created(t, true));
        });
    }

    private static Created replay(Transfer existing, Request r, String currency) {
        if (!existing.sameRequest(r.fromAccountUuid(), r.toAccountUuid(), r.amount(), currency, r.description())) {
            throw Problem.conflict("client_transfer_id " + r.clientTransferId() + " was already used for a different transfer",
                    "client_transfer_id");
        }
        return new Created(existing, false);
    }

    public Transfer get(UUID uuid) {
        return jdbc.read(c -> TransferRepository.find(c, uuid)
                .orElseThrow(() -> Problem.notFound("no transfer " + uuid, "transfer_uuid")));
    }

    /**
     * Decides and executes a pending transfer in one transaction: locks the transfer, then both accounts in id order;
     * fails it on a closed or frozen account, a currency mismatch, a risk rule ({@code risk.alert} too) or insufficient
     * funds; otherwise posts the debit and credit legs. Writes {@code transfer.completed} or {@code transfer.failed}
     * and an audit entry. A transfer that is no longer pending is left alone ({@code processed} false).
     */
    public Outcome execute(UUID transferUuid, String messageId) {
        return jdbc.inTransaction(c -> {
            Optional<Long> id = TransferRepository.lock(c, transferUuid);
            if (id.isEmpty()) {
                throw new IllegalArgumentException("no transfer " + transferUuid);
            }
            Transfer t = TransferRepository.byId(c, id.get());
            if (!t.status().equals(Transfer.PENDING)) {
                return new Outcome(t, false);
            }
            Map<Long, Account> locked = AccountRepository.lock(c, t.fromAccountId(), t.toAccountId());
            Account from = locked.get(t.fromAccountId());
            Account to = locked.get(t.toAccountId());
            Instant now = Clocks.now(clock);
            List<OutboxEvent> events = new ArrayList<>();
            Optional<RiskCheck.Rejection> rejection = risk.evaluate(c, from, to, t.amount(), now);
            String reason = null;
            String rule = null;
            if (rejection.isPresent()) {
                RiskCheck.Rejection rj = rejection.get();
                reason = rj.failureReason();
                rule = rj.rule();
                events.add(Events.of("risk.alert", rj.subject().uuid(), t.traceId(), now, Json.obj()
                        .put("transfer_uuid", t.uuid().toString())
                        .put("account_uuid", rj.subject().uuid().toString())
                        .put("rule", rj.rule())
                        .put("reason", rj.reason())
                        .put("amount", t.amount())
                        .put("currency", t.currency())
                        .put("severity", rj.severity())));
            } else if (!from.currency().equals(t.currency()) || !to.currency().equals(t.currency())) {
                reason = "currency_mismatch";
                rule = "currency";
            } else if (from.balance() < t.amount()) {
                reason = "insufficient_funds";
                rule = "funds";
            }
            Transfer done;
            if (reason != null) {
                TransferRepository.fail(c, t.id(), reason, rule, now);
                done = TransferRepository.byId(c, t.id());
                Outbox.append(c, events);
                Outbox.append(c, Events.of("transfer.failed", from.uuid(), t.traceId(), now, done.eventData()));
                audit(c, done, from, messageId, from.balance(), from.balance(), "failed:" + reason, now);
            } else {
                Ledger.Posted debit = Ledger.post(c, "transfer_debit", from, null, -t.amount(), t.description(), t.id(), null,
                        t.traceId(), now, lowBalance);
                Ledger.Posted credit = Ledger.post(c, "transfer_credit", to, null, t.amount(), t.description(), t.id(), null,
                        t.traceId(), now, lowBalance);
                TransferRepository.complete(c, t.id(), debit.transaction().id(), credit.transaction().id(), now);
                done = TransferRepository.byId(c, t.id());
                Outbox.append(c, Events.of("transfer.completed", from.uuid(), t.traceId(), now, done.eventData()));
                audit(c, done, from, messageId, from.balance(), debit.account().balance(), "completed", now);
            }
            return new Outcome(done, true);
        });
    }

    private void audit(Connection c, Transfer t, Account from, String messageId, long before, long after, String status, Instant now)
            throws SQLException {
        audit.append(c, new AuditRecord(t.traceId(), messageId, "bus", "transfer.execute", from.uuid(), t.amount(), before, after,
                null, null, Json.write(Json.obj().put("transfer_uuid", t.uuid().toString())), Json.write(t.view()), status), now);
    }
}
