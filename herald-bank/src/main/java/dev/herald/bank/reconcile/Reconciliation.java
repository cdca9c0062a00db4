package dev.herald.bank.reconcile;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.audit.AuditLog;
import dev.herald.bank.ledger.ChainVerifier;
import dev.herald.bank.support.Json;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A reconciliation report. {@code ok} is true only when every check holds: each account's balance equals the sum of
 * its journal entries and its last entry's balance, the journal nets to zero, every hash chain verifies, and no
 * committed outbox event has waited longer than the threshold to be published.
 */
public record Reconciliation(Instant at, boolean ok, int accounts, long entries, long journalTotal, List<BalanceDifference> balanceDifferences,
                             List<ChainVerifier.Result> brokenChains, AuditLog.Verification audit, long outboxPending,
                             List<StaleEvent> staleEvents) {

    /** An account whose stored balance disagrees with its journal. */
    public record BalanceDifference(UUID accountUuid, String kind, long balance, long journalSum, Long lastEntryBalance) {}

    /** A committed outbox event not yet published although older than the threshold. */
    public record StaleEvent(String id, String type, Instant createdAt) {}

    public ObjectNode view() {
        ObjectNode n = Json.obj().put("at", Json.time(at)).put("ok", ok).put("accounts", accounts).put("entries", entries)
                .put("journal_total", journalTotal).put("journal_balanced", journalTotal == 0);
        ArrayNode diffs = n.putArray("balance_differences");
        for (BalanceDifference d : balanceDifferences) {
            diffs.addObject().put("account_uuid", d.accountUuid().toString()).put("kind", d.kind()).put("balance", d.balance())
                    .put("journal_sum", d.journalSum()).put("last_entry_balance", d.lastEntryBalance())
                    .put("difference", d.balance() - d.journalSum());
        }
        ArrayNode chains = n.putArray("broken_chains");
        brokenChains.forEach(r -> chains.add(r.view()));
        n.set("audit_chain", audit.view());
        ObjectNode outbox = n.putObject("outbox");
        outbox.put("pending", outboxPending);
        ArrayNode stale = outbox.putArray("stale");
        staleEvents.forEach(s -> stale.addObject().put("id", s.id()).put("type", s.type()).put("created_at", Json.time(s.createdAt())));
        return n;
    }
}
