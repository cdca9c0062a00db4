package dev.herald.bank.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Json;
import java.time.Instant;
import java.util.UUID;

/**
 * One audited operation. {@code type} is where it came from ({@code api} or {@code bus}); {@code status} is the HTTP
 * status for API calls or the outcome for bus work; amounts and balances are minor units or null when not applicable.
 */
public record AuditRecord(String traceId, String messageId, String type, String operation, UUID accountUuid, Long amount,
                          Long balanceBefore, Long balanceAfter, String clientIp, String userAgent, String requestBody,
                          String responseBody, String status) {

    /** A stored audit entry: the record plus its position and hash-chain link. */
    public record Stored(long id, AuditRecord record, Instant createdAt, String previousHash, String hash) {
        public ObjectNode view() {
            AuditRecord r = record;
            return Json.obj().put("id", id).put("trace_id", r.traceId()).put("message_id", r.messageId()).put("type", r.type())
                    .put("operation", r.operation()).put("account_uuid", r.accountUuid() == null ? null : r.accountUuid().toString())
                    .put("amount", r.amount()).put("balance_before", r.balanceBefore()).put("balance_after", r.balanceAfter())
                    .put("client_ip", r.clientIp()).put("user_agent", r.userAgent()).put("request_body", r.requestBody())
                    .put("response_body", r.responseBody()).put("status", r.status()).put("created_at", Json.time(createdAt))
                    .put("previous_hash", previousHash).put("hash", hash);
        }
    }
}
