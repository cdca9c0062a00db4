package dev.herald.bank.transfer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Json;
import java.time.Instant;
import java.util.UUID;

/** A transfer between two customer accounts: {@code pending} until the risk consumer completes or fails it. */
public record Transfer(long id, UUID uuid, String clientTransferId, long fromAccountId, UUID fromAccountUuid, long toAccountId,
                       UUID toAccountUuid, long amount, String currency, String description, String status, String failureReason,
                       String failureRule, UUID debitTransactionUuid, UUID creditTransactionUuid, String traceId, Instant createdAt,
                       Instant completedAt) {
    public static final String PENDING = "pending";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    /** The {@code data} of {@code transfer.*} events: the common fields plus those of its status. */
    public ObjectNode eventData() {
        ObjectNode n = Json.obj()
                .put("transfer_uuid", uuid.toString())
                .put("client_transfer_id", clientTransferId)
                .put("from_account_uuid", fromAccountUuid.toString())
                .put("to_account_uuid", toAccountUuid.toString())
                .put("amount", amount)
                .put("currency", currency)
                .put("description", description)
                .put("status", status);
        if (status.equals(COMPLETED)) {
            n.put("debit_transaction_uuid", debitTransactionUuid.toString())
                    .put("credit_transaction_uuid", creditTransactionUuid.toString())
                    .put("completed_at", Json.time(completedAt));
        } else if (status.equals(FAILED)) {
            n.put("reason", failureReason).put("rule", failureRule);
        }
        return n;
    }

    /** The API view: every field, those not applicable as null. */
    public ObjectNode view() {
        return eventData()
                .put("reason", failureReason)
                .put("rule", failureRule)
                .put("debit_transaction_uuid", debitTransactionUuid == null ? null : debitTransactionUuid.toString())
                .put("credit_transaction_uuid", creditTransactionUuid == null ? null : creditTransactionUuid.toString())
                .put("created_at", Json.time(createdAt))
                .put("completed_at", Json.time(completedAt));
    }

    /** True when {@code other} asks for the same movement (what a replayed client transfer id must match). */
    boolean sameRequest(UUID from, UUID to, long amount, String currency, String description) {
        return fromAccountUuid.equals(from) && toAccountUuid.equals(to) && this.amount == amount && this.currency.equals(currency)
                && java.util.Objects.equals(this.description, description);
    }
}
