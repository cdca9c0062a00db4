package dev.herald.bank.ledger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Json;
import java.time.Instant;
import java.util.UUID;

/**
 * A posted transaction on one customer account: {@code amount} is positive, its direction follows from
 * {@code balanceBefore}/{@code balanceAfter}; {@code previousHash}/{@code hash} are those of the account's journal
 * entry for it.
 */
public record Transaction(long id, UUID uuid, long accountId, UUID accountUuid, String type, long amount, String currency,
                          long balanceBefore, long balanceAfter, String reference, UUID transferUuid, UUID reversesUuid,
                          boolean reversed, String previousHash, String hash, Instant createdAt) {

    /** The {@code data} of {@code transaction.created}. */
    public ObjectNode eventData() {
        return Json.obj()
                .put("transaction_uuid", uuid.toString())
                .put("account_uuid", accountUuid.toString())
                .put("type", type)
                .put("amount", amount)
                .put("currency", currency)
                .put("balance_before", balanceBefore)
                .put("balance_after", balanceAfter)
                .put("reference", reference)
                .put("transfer_uuid", transferUuid == null ? null : transferUuid.toString())
                .put("previous_hash", previousHash)
                .put("hash", hash)
                .put("created_at", Json.time(createdAt));
    }

    /** The API view: the event data plus whether it was reversed and what it reverses. */
    public ObjectNode view() {
        return eventData().put("reversed", reversed).put("reverses_transaction_uuid", reversesUuid == null ? null : reversesUuid.toString());
    }
}
