package dev.herald.server.api;

import static dev.herald.server.api.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.catalog.ValidationMode;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ingest checks events against the catalog: two nodes on one database, {@code strict} in {@code enforce} and
 * {@code lenient} in the default {@code warn}; merchants override the node's mode both ways.
 */
class SchemaValidationIngestTest {
    private static TestServer strict;
    private static TestServer lenient;
    private static TestReceiver receiver;
    private static final String GOOD = "{\"event\": \"transfer.created\", \"data\": {\"transfer_uuid\": \"0f0e0d0c-0b0a-4908-8706-050403020100\","
            + " \"client_transfer_id\": \"o-1\", \"from_account_uuid\": \"11111111-2222-4333-8444-555555555555\","
            + " \"to_account_uuid\": \"bbbbbbbb-cccc-4ddd-8eee-ffffffffffff\", \"amount\": 1050, \"currency\": \"EUR\", \"description\": null,"
            + " \"status\": \"pending\"}MERCHANT}";
    /** The amount as a string: the schema wants integer minor units. */
    private static final String BAD = GOOD.replace("\"amount\": 1050", "\"amount\": \"10.50\"");

    @BeforeAll
    static void start() {
        DatabaseConfig db = TestPostgres.embedded();
        strict = TestServer.start(true, db, null, c -> c.withSchemaValidation(ValidationMode.ENFORCE));
        lenient = TestServer.start(true, db, null, c -> c);
        receiver = TestReceiver.start();
        for (String m : List.of("lax", "quiet", "tight", "shop")) {
            assertThat(strict.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}").status()).isEqualTo(201);
        }
        assertThat(strict.put("/v1/merchants/lax", "{\"schema_validation\": \"warn\"}").json().get("schema_validation").asText()).isEqualTo("warn");
        assertThat(strict.put("/v1/merchants/quiet", "{\"schema_validation\": \"off\"}").status()).isEqualTo(200);
        assertThat(strict.put("/v1/merchants/tight", "{\"schema_validation\": \"enforce\"}").status()).isEqualTo(200);
        strict.createEndpoint(Map.of("url", receiver.url("/shop").toString(), "events", List.of("transfer.*"), "merchant_id", "shop"));
    }

    @AfterAll
    static void stop() {
        receiver.close();
        lenient.close();
        strict.close();
    }

    private static String event(String template, String merchant) {
        return template.replace("MERCHANT", merchant == null ? "" : ", \"merchant_id\": \"" + merchant + "\"");
    }

    @Test
    void enforceRefusesABadEventNamingThePointerAndRule() {
        JsonNode p = assertProblem(strict.post("/v1/events", event(BAD, null)), 422, "data/amount");
        assertThat(p.get("rule").asText()).isEqualTo("type");
        assertThat(p.get("errors").get(0).get("field").asText()).isEqualTo("data/amount");
        JsonNode unknown = assertProblem(strict.post("/v1/events", "{\"event\": \"transfer.complete\", \"data\": {}}"), 422, "event");
        assertThat(unknown.get("rule").asText()).isEqualTo("unknown_type");
        JsonNode missing = assertProblem(strict.post("/v1/events", event(GOOD.replace(", \"currency\": \"EUR\"", ""), null)), 422, "data/currency");
        assertThat(missing.get("rule").asText()).isEqualTo("required");
        Response ok = strict.post("/v1/events", event(GOOD, null));
        assertThat(ok.status()).as(ok.body()).isEqualTo(202);
        assertThat(ok.json().get("warnings")).isEmpty();
    }

    @Test
    void anEnforcedBatchRefusesOnlyItsOffendingEvents() {
        Response r = strict.post("/v1/events", "[" + event(GOOD, null) + ", " + event(BAD, null) + ", " + event(GOOD, null) + "]",
                "Idempotency-Key", "batch-enforce-1");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode data = r.json().get("data");
        assertThat(data).hasSize(3);
        assertThat(data.get(0).get("id").asText()).isNotBlank();
        assertThat(data.get(1).get("error").get("field").asText()).isEqualTo("[1].data/amount");
        assertThat(data.get(1).get("error").get("rule").asText()).isEqualTo("type");
        assertThat(data.get(1).get("error").get("status").asInt()).isEqualTo(422);
        assertThat(data.get(2).get("id").asText()).isNotBlank().isNotEqualTo(data.get(0).get("id").asText());
        assertThat(r.json().get("refused").asInt()).isEqualTo(1);
        assertThat(strict.get("/v1/events/" + data.get(2).get("id").asText()).status()).isEqualTo(200);
        JsonNode all = assertProblem(strict.post("/v1/events", "[" + event(BAD, null) + ", {\"event\": \"no.such\", \"data\": {}}]"), 422, "[0].data/amount");
        assertThat(all.get("errors").findValuesAsText("field")).containsExactly("[0].data/amount", "[1].event");
    }

    @Test
    void warnAcceptsAndNamesThePointerAndRuleAndCountsIt() {
        Response single = lenient.post("/v1/events", event(BAD, null));
        assertThat(single.status()).as(single.body()).isEqualTo(202);
        JsonNode w = single.json().get("warnings").get(0);
        assertThat(w.get("field").asText()).isEqualTo("data/amount");
        assertThat(w.get("rule").asText()).isEqualTo("type");
        assertThat(w.get("detail").asText()).contains("data/amount");
        Response batch = lenient.post("/v1/events", "[" + event(GOOD, null) + ", " + event(BAD, null) + ", {\"event\": \"no.such\", \"data\": {}}]");
        assertThat(batch.status()).isEqualTo(202);
        assertThat(batch.json().get("data").findValuesAsText("id")).hasSize(3);
        assertThat(batch.json().get("warnings").findValuesAsText("field")).containsExactly("[1].data/amount", "[2].event");
        assertThat(batch.json().get("warnings").findValuesAsText("rule")).containsExactly("type", "unknown_type");
        String metrics = lenient.get("/metrics").body();
        assertThat(metrics).containsPattern("herald_schema_warnings_total\\{[^}]*rule=\"type\"[^}]*\\} [1-9]");
        assertThat(metrics).containsPattern("herald_schema_warnings_total\\{[^}]*rule=\"unknown_type\"[^}]*\\} [1-9]");
        assertThat(strict.get("/metrics").body()).containsPattern("herald_schema_refused_total\\{[^}]*rule=\"type\"[^}]*\\} [1-9]");
    }

    @Test
    void aMerchantsOwnModeOverridesTheNodes() {
        Response lax = strict.post("/v1/events", event(BAD, "lax"));
        assertThat(lax.status()).as("warn for lax on an enforcing node").isEqualTo(202);
        assertThat(lax.json().get("warnings").findValuesAsText("rule")).contains("type");
        Response quiet = strict.post("/v1/events", event(BAD, "quiet"));
        assertThat(quiet.status()).isEqualTo(202);
        assertThat(quiet.json().get("warnings")).as("off: not checked").isEmpty();
        assertProblem(lenient.post("/v1/events", event(BAD, "tight")), 422, "data/amount");
        Response mixed = strict.post("/v1/events", "[" + event(BAD, "lax") + ", " + event(BAD, "tight") + "]");
        assertThat(mixed.status()).isEqualTo(202);
        assertThat(mixed.json().get("data").get(1).get("error").get("field").asText()).isEqualTo("[1].data/amount");
        assertThat(mixed.json().get("warnings").findValuesAsText("field")).containsExactly("[0].data/amount");
        // back to the node's mode
        assertThat(strict.put("/v1/merchants/lax", "{\"schema_validation\": null}").json().get("schema_validation").isNull()).isTrue();
        assertProblem(strict.post("/v1/events", event(BAD, "lax")), 422, "data/amount");
        assertThat(strict.put("/v1/merchants/lax", "{\"schema_validation\": \"warn\"}").status()).isEqualTo(200);
        assertProblem(strict.put("/v1/merchants/lax", "{\"schema_validation\": \"loud\"}"), 422, "schema_validation");
    }

    @Test
    void theCheckDoesNotChangeTheBytesStoredAndSent() {
        String spelled = "{\"event\": \"transfer.created\", \"merchant_id\": \"shop\", \"data\":   {\"status\":\"pending\",  \"amount\" : 1050,"
                + "\"currency\":\"EUR\", \"description\": \"caf\\u00e9 \\/ 42\", \"client_transfer_id\": null,"
                + " \"transfer_uuid\": \"0f0e0d0c-0b0a-4908-8706-050403020100\", \"from_account_uuid\": \"11111111-2222-4333-8444-555555555555\","
                + " \"to_account_uuid\": \"bbbbbbbb-cccc-4ddd-8eee-ffffffffffff\"  }}";
        String data = spelled.substring(spelled.indexOf("{\"status\""), spelled.lastIndexOf('}'));
        Response r = strict.post("/v1/events", spelled);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("warnings")).isEmpty();
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received("/shop").isEmpty());
        String body = new String(receiver.received("/shop").getFirst().body(), StandardCharsets.UTF_8);
        assertThat(body).contains("\"data\":" + data + "}");
    }

    @Test
    void aChangedTypeAppliesOnEveryNodeWithinASecond() {
        String body = "{\"event\": \"loyalty.earned\", \"data\": {\"points\": \"ten\"}}";
        assertProblem(strict.post("/v1/events", body), 422, "event");
        assertThat(lenient.post("/v1/events", body).json().get("warnings").findValuesAsText("rule")).containsExactly("unknown_type");
        Map<String, Object> v1 = Map.of("description", "Points were earned.", "version", 1, "schema", Map.of("type", "object"), "example", Map.of("points", 10));
        assertThat(lenient.put("/v1/event-types/loyalty.earned", TestServer.toJson(v1)).status()).isEqualTo(201);
        assertThat(lenient.post("/v1/events", body).json().get("warnings")).as("at once on the node that changed it").isEmpty();
        await().atMost(Duration.ofMillis(2500)).pollInterval(Duration.ofMillis(100)).until(() -> strict.post("/v1/events", body).status() == 202);
        Map<String, Object> v2 = Map.of("description", "Points were earned.", "version", 2,
                "schema", Map.of("type", "object", "properties", Map.of("points", Map.of("type", "integer")), "required", List.of("points")),
                "example", Map.of("points", 10));
        assertThat(strict.put("/v1/event-types/loyalty.earned", TestServer.toJson(v2)).status()).isEqualTo(200);
        assertProblem(strict.post("/v1/events", body), 422, "data/points");
        await().atMost(Duration.ofMillis(2500)).pollInterval(Duration.ofMillis(100))
                .until(() -> lenient.post("/v1/events", body).json().get("warnings").findValuesAsText("field").contains("data/points"));
    }
}
