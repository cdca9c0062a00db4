package dev.herald.bank;

import static dev.herald.bank.BankHarness.OP;
import static dev.herald.bank.BankHarness.TRACE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.account.Account;
import dev.herald.bank.ledger.Ledger;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bank.transfer.Transfer;
import dev.herald.bank.transfer.TransferService;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every event type carries exactly the documented fields, in Herald's wire format, ordered by account. */
class EventPayloadTest {
    private static final List<String> ACCOUNT = List.of("account_uuid", "user_uuid", "name", "currency", "balance", "status");
    private static final List<String> TRANSFER = List.of("transfer_uuid", "client_transfer_id", "from_account_uuid", "to_account_uuid", "amount",
            "currency", "description", "status");
    private static final Map<String, List<String>> DATA = Map.ofEntries(
            Map.entry("account.created", ACCOUNT),
            Map.entry("account.updated", plus(ACCOUNT, "changes")),
            Map.entry("account.frozen", plus(ACCOUNT, "reason")),
            Map.entry("account.unfrozen", plus(ACCOUNT, "reason")),
            Map.entry("account.closed", plus(ACCOUNT, "final_balance")),
            Map.entry("transaction.created", List.of("transaction_uuid", "account_uuid", "type", "amount", "currency", "balance_before",
                    "balance_after", "reference", "transfer_uuid", "previous_hash", "hash", "created_at")),
            Map.entry("transaction.reversed", List.of("transaction_uuid", "reversal_transaction_uuid", "account_uuid", "amount", "currency",
                    "balance_after", "reason")),
            Map.entry("transfer.created", TRANSFER),
            Map.entry("transfer.completed", plus(TRANSFER, "debit_transaction_uuid", "credit_transaction_uuid", "completed_at")),
            Map.entry("transfer.failed", plus(TRANSFER, "reason", "rule")),
            Map.entry("balance.low", List.of("account_uuid", "balance", "currency", "threshold")),
            Map.entry("risk.alert", List.of("transfer_uuid", "account_uuid", "rule", "reason", "amount", "currency", "severity")));

    private static List<String> plus(List<String> base, String... more) {
        List<String> out = new ArrayList<>(base);
        out.addAll(List.of(more));
        return out;
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void everyEventTypeHasExactlyItsDocumentedPayload(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, new RiskRules(5_000, 1_000_000, 100, Set.of()))) {
            Account a = h.open("EUR");
            Account b = h.open("EUR");
            h.bank.accounts().rename(OP, a.uuid(), "Alice Smith");
            h.bank.accounts().freeze(OP, b.uuid(), "kyc");
            h.bank.accounts().unfreeze(OP, b.uuid(), "kyc done");
            Ledger.Posted d = h.bank.ledger().deposit(OP, a.uuid(), 3_000, "EUR", "cash in");
            h.bank.ledger().deposit(OP, a.uuid(), 100, "EUR", null);
            h.bank.ledger().reverse(OP, d.transaction().uuid(), "mistake"); // 3,100 -> 100: balance.low
            h.bank.ledger().deposit(OP, a.uuid(), 10_000, "EUR", null);
            Transfer ok = h.bank.transfers().create(OP, new TransferService.Request("c-1", a.uuid(), b.uuid(), 700L, "EUR", "lunch")).transfer();
            h.bank.transfers().execute(ok.uuid(), "m1");
            Transfer big = h.bank.transfers().create(OP, new TransferService.Request("c-2", a.uuid(), b.uuid(), 5_001L, "EUR", null)).transfer();
            h.bank.transfers().execute(big.uuid(), "m2");
            h.bank.ledger().withdraw(OP, b.uuid(), 700, "EUR", null);
            h.bank.accounts().close(OP, b.uuid());

            List<JsonNode> all = h.outbox(null);
            assertThat(all.stream().map(e -> e.get("event").asText()).distinct()).containsExactlyInAnyOrderElementsOf(DATA.keySet());
            for (JsonNode e : all) {
                String type = e.get("event").asText();
                assertThat(fields(e)).as(type).containsExactly("account_uuid", "data", "event", "id", "timestamp");
                assertThat(e.get("id").asText()).startsWith("evt_");
                assertThat(e.get("timestamp").asText()).isEqualTo("2025-01-14T10:30:00Z");
                assertThat(fields(e.get("data"))).as("data of %s", type).containsExactlyElementsOf(new TreeSet<>(DATA.get(type)));
            }
            JsonNode updated = h.outbox("account.updated").getFirst().get("data");
            assertThat(updated.get("changes").toString()).isEqualTo("{\"name\":{\"from\":\"Alice\",\"to\":\"Alice Smith\"}}");
            JsonNode completed = h.outbox("transfer.completed").getFirst();
            assertThat(completed.get("account_uuid").asText()).isEqualTo(a.uuid().toString());
            assertThat(completed.get("data").get("amount").isIntegralNumber()).isTrue();
            assertThat(h.outbox("transfer.failed").getFirst().get("data").get("rule").asText()).isEqualTo("transfer_limit");
            assertThat(h.outbox("account.closed").getFirst().get("data").get("final_balance").asLong()).isZero();

            List<String> keys = h.jdbc().read(c -> Jdbc.query(c, "select distinct coalesce(trace_id, '-') || ' ' || (ordering_key = (body::json->>'account_uuid')) "
                    + "from herald_outbox", ps -> {}, rs -> rs.getString(1)));
            assertThat(keys).containsExactly(TRACE + " true");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void eventsCommitInTheSameTransactionAsTheirChange(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 5_000);
            Account b = h.open("EUR");
            h.bank.transfers().create(OP, new TransferService.Request("same-tx", a.uuid(), b.uuid(), 10L, "EUR", null));
            // The outbox row's transaction id is the transaction that wrote the business row (xmin), for each kind of change.
            List<Boolean> same = h.jdbc().read(c -> Jdbc.query(c, """
                    select bool_and(o.txid::text::bigint % 4294967296 = x.xmin::text::bigint)
                    from herald_outbox o
                    join (select uuid::text as k, xmin from bank_transactions
                          union all select uuid::text, xmin from bank_transfers) x
                      on x.k = coalesce(o.body::json->'data'->>'transaction_uuid', o.body::json->'data'->>'transfer_uuid')
                    where o.type in ('transaction.created', 'transfer.created')""", ps -> {}, rs -> rs.getBoolean(1)));
            assertThat(same).containsExactly(true);
        }
    }

    private static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        out.sort(null);
        return out;
    }
}
