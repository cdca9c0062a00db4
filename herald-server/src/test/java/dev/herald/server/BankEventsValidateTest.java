package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.Bank;
import dev.herald.bank.BankConfig;
import dev.herald.catalog.Finding;
import dev.herald.catalog.SchemaRules;
import dev.herald.catalog.ValidationMode;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The reference bank's real events pass the shipped catalog: a node in {@code enforce} (which dead-letters whatever breaks
 * its type's schema) delivers every event the bank committed, and each one's data validates against its type's schema
 * as {@code GET /v1/event-types/{type}} serves it.
 */
class BankEventsValidateTest {
    private static final String BANK_KEY = "bk_test_" + UUID.randomUUID().toString().replace("-", "");
    private static final String HOOK = "/bank-events";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void everyEventTheBankEmitsValidatesInEnforceMode() throws Exception {
        DatabaseConfig bankDb = TestPostgres.embedded();
        try (TestServer herald = TestServer.start(true, TestPostgres.embedded(), null, c -> c.withSchemaValidation(ValidationMode.ENFORCE));
             TestReceiver receiver = TestReceiver.start()) {
            herald.createEndpoint(Map.of("url", receiver.url(HOOK).toString(),
                    "events", List.of("account.*", "transaction.*", "transfer.*", "balance.*", "risk.*")));
            try (Bank bank = Bank.start(BankConfig.defaults(bankDb, herald.server().bus()).withPort(0).withApiKey(BANK_KEY)
                    .withAuditKey(new byte[32]))) {
                String api = "http://127.0.0.1:" + bank.port() + "/bank/v1";
                String alice = call("POST", api + "/accounts", account("Alice")).path("account_uuid").asText();
                String bob = call("POST", api + "/accounts", account("Bob")).path("account_uuid").asText();
                String carol = call("POST", api + "/accounts", account("Carol")).path("account_uuid").asText();
                call("PATCH", api + "/accounts/" + alice, TestServer.JSON.createObjectNode().put("name", "Alice Main"));
                call("POST", api + "/accounts/" + bob + "/freeze", TestServer.JSON.createObjectNode().put("reason", "check"));
                call("POST", api + "/accounts/" + bob + "/unfreeze", TestServer.JSON.createObjectNode());
                call("POST", api + "/accounts/" + alice + "/deposits", TestServer.JSON.createObjectNode().put("amount", 100_000).put("reference", "salary"));
                String mistake = call("POST", api + "/accounts/" + alice + "/deposits", TestServer.JSON.createObjectNode().put("amount", 2_500))
                        .path("transaction_uuid").asText();
                call("POST", api + "/transactions/" + mistake + "/reversals", TestServer.JSON.createObjectNode().put("reason", "twice"));
                String ok = call("POST", api + "/transfers", transfer("t-1", alice, bob, 99_500)).path("transfer_uuid").asText();
                String risky = call("POST", api + "/transfers", transfer("t-2", bob, alice, 20_000_000)).path("transfer_uuid").asText();
                await().atMost(Duration.ofSeconds(30)).until(() -> !call("GET", api + "/transfers/" + ok, null).path("status").asText().equals("pending")
                        && !call("GET", api + "/transfers/" + risky, null).path("status").asText().equals("pending"));
                call("POST", api + "/accounts/" + carol + "/close", null);

                Map<String, String[]> outbox = new LinkedHashMap<>();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    outbox.clear();
                    outbox.putAll(outbox(bankDb));
                    Set<String> got = new HashSet<>();
                    receiver.received(HOOK).forEach(r -> got.add(r.header("webhook-id")));
                    return !outbox.isEmpty() && got.containsAll(outbox.keySet());
                });
                Set<String> types = new HashSet<>();
                for (String[] row : outbox.values()) {
                    types.add(row[0]);
                    JsonNode schema = herald.get("/v1/event-types/" + row[0]).json().get("schema");
                    List<Finding> found = SchemaRules.check(SchemaRules.compile(schema), TestServer.JSON.readTree(row[1]).get("data"));
                    assertThat(found).as(row[0] + " " + row[1]).isEmpty();
                }
                // every type the bank emits but balance.negative ("should never happen")
                assertThat(types).containsExactlyInAnyOrder("account.created", "account.updated", "account.frozen", "account.unfrozen",
                        "account.closed", "transaction.created", "transaction.reversed", "transfer.created", "transfer.completed",
                        "transfer.failed", "balance.low", "risk.alert");
            }
        }
    }

    private static Map<String, String[]> outbox(DatabaseConfig db) throws Exception {
        Map<String, String[]> rows = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             ResultSet rs = c.createStatement().executeQuery("select id, type, body from herald_outbox order by seq")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
            }
        }
        return rows;
    }

    private static ObjectNode account(String name) {
        return TestServer.JSON.createObjectNode().put("name", name).put("user_uuid", UUID.randomUUID().toString()).put("currency", "EUR");
    }

    private static ObjectNode transfer(String clientId, String from, String to, long amount) {
        return TestServer.JSON.createObjectNode().put("client_transfer_id", clientId).put("from_account_uuid", from).put("to_account_uuid", to)
                .put("amount", amount).put("currency", "EUR");
    }

    private JsonNode call(String method, String url, JsonNode body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + BANK_KEY);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return TestServer.JSON.readTree(r.body());
    }
}
