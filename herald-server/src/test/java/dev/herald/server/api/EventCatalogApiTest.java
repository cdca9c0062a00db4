package dev.herald.server.api;

import static dev.herald.server.api.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.event.EventTypes;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The event catalog's API: GET for every key, PUT for admins only, audited; same-version changes may only loosen. */
class EventCatalogApiTest {
    private static TestServer server;
    private static String merchantKey;
    private static String publisherKey;

    private static final Map<String, Object> SCHEMA_V1 = Map.of("type", "object",
            "properties", Map.of("amount", Map.of("type", "string", "pattern", "^[0-9]+\\.[0-9]{2}$"), "currency", Map.of("type", "string")),
            "required", List.of("amount", "currency"), "additionalProperties", false);
    private static final Map<String, Object> EXAMPLE = Map.of("amount", "12.50", "currency", "EUR");

    @BeforeAll
    static void start() {
        server = TestServer.start(false);
        assertThat(server.put("/v1/merchants/m1", "{\"name\": \"m1\"}").status()).isEqualTo(201);
        merchantKey = server.postJson("/v1/api-keys", Map.of("name", "m", "merchant_id", "m1", "scopes", List.of("merchant:read"))).json().get("key").asText();
        publisherKey = server.postJson("/v1/api-keys", Map.of("name", "p", "scopes", List.of("events:publish"))).json().get("key").asText();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Response as(String key, String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(java.time.Duration.ofSeconds(30)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(TestServer.toJson(body))).header("Content-Type", "application/json");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return server.send(b.build());
    }

    private static Map<String, Object> type(int version, Object schema, Object example) {
        return Map.of("description", "A card payment was captured.", "version", version, "schema", schema, "example", example);
    }

    @Test
    void everyKeyReadsTheShippedTypesWithTheirSchemasAndExamples() {
        for (String key : new String[] {TestServer.ADMIN_KEY, merchantKey, publisherKey}) {
            Response r = as(key, "GET", "/v1/event-types", null);
            assertThat(r.status()).isEqualTo(200);
            List<String> types = r.json().get("data").findValuesAsText("type");
            assertThat(types).containsAll(EventTypes.SHIPPED);
        }
        assertThat(as(null, "GET", "/v1/event-types", null).status()).isEqualTo(401);
        JsonNode t = as(merchantKey, "GET", "/v1/event-types/transfer.completed", null).json();
        assertThat(t.get("type").asText()).isEqualTo("transfer.completed");
        assertThat(t.get("version").asInt()).isEqualTo(1);
        assertThat(t.get("description").asText()).isNotBlank();
        assertThat(t.get("schema").get("properties").get("amount").get("type").asText()).isEqualTo("integer");
        assertThat(t.get("example").get("amount").asLong()).isPositive();
        assertThat(t.get("operational").asBoolean()).isFalse();
        assertThat(t.get("updated_at").asText()).isNotBlank();
        assertThat(as(publisherKey, "GET", "/v1/event-types/webhook.test", null).json().get("operational").asBoolean()).isTrue();
        assertProblem(as(merchantKey, "GET", "/v1/event-types/no.such", null), 404);
    }

    @Test
    void anAdminAddsATypeAndTheChangeIsAudited() {
        Response created = as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.captured", type(1, SCHEMA_V1, EXAMPLE));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().get("schema").get("required").toString()).contains("amount");
        assertThat(as(merchantKey, "GET", "/v1/event-types/card.captured", null).json().get("example").get("amount").asText()).isEqualTo("12.50");
        JsonNode audit = server.get("/v1/audit?target=card.captured").json().get("data");
        assertThat(audit.findValuesAsText("action")).contains("event_type.create");
        assertProblem(as(merchantKey, "PUT", "/v1/event-types/card.other", type(1, SCHEMA_V1, EXAMPLE)), 403);
        assertProblem(as(publisherKey, "PUT", "/v1/event-types/card.other", type(1, SCHEMA_V1, EXAMPLE)), 403);
        assertProblem(as(null, "PUT", "/v1/event-types/card.other", type(1, SCHEMA_V1, EXAMPLE)), 401);
        assertProblem(as(merchantKey, "GET", "/v1/event-types/card.other", null), 404);
    }

    @Test
    void aSameVersionChangeMayOnlyLoosenTheSchema() {
        assertThat(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.refunded", type(1, SCHEMA_V1, EXAMPLE)).status()).isEqualTo(201);
        Map<String, Object> withNote = Map.of("type", "object",
                "properties", Map.of("amount", Map.of("type", "string", "pattern", "^[0-9]+\\.[0-9]{2}$"), "currency", Map.of("type", "string"),
                        "note", Map.of("type", "string")),
                "required", List.of("amount", "currency"), "additionalProperties", false);
        Response loosened = as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.refunded", type(1, withNote, EXAMPLE));
        assertThat(loosened.status()).as(loosened.body()).isEqualTo(200);
        Map<String, Object> noteRequired = Map.of("type", "object", "properties", withNote.get("properties"),
                "required", List.of("amount", "currency", "note"), "additionalProperties", false);
        Map<String, Object> exampleWithNote = Map.of("amount", "12.50", "currency", "EUR", "note", "n");
        JsonNode refused = assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.refunded", type(1, noteRequired, exampleWithNote)), 409, "schema");
        assertThat(refused.get("detail").asText()).contains("note").contains("version 2");
        Response v2 = as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.refunded", type(2, noteRequired, exampleWithNote));
        assertThat(v2.status()).as(v2.body()).isEqualTo(200);
        assertThat(v2.json().get("version").asInt()).isEqualTo(2);
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.refunded", type(1, noteRequired, exampleWithNote)), 409, "version");
        assertThat(server.get("/v1/audit?target=card.refunded").json().get("data").findValuesAsText("action"))
                .containsExactly("event_type.update", "event_type.update", "event_type.create");
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.bad", type(1, Map.of("type", "nope"), EXAMPLE)), 422, "schema");
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.bad", type(1, Map.of("$ref", "https://example.com/x.json"), EXAMPLE)), 422, "schema");
        JsonNode p = assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.bad", type(1, SCHEMA_V1, Map.of("amount", 12.5, "currency", "EUR"))),
                422, "example");
        assertThat(p.get("detail").asText()).contains("data/amount");
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.bad", type(0, SCHEMA_V1, EXAMPLE)), 422, "version");
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.bad", Map.of("version", 1, "schema", SCHEMA_V1, "example", EXAMPLE)), 422, "description");
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/Card%20Bad", type(1, SCHEMA_V1, EXAMPLE)), 422, "type");
        assertProblem(as(TestServer.ADMIN_KEY, "PUT", "/v1/event-types/card.bad", Map.of("description", "d", "version", 1, "schema", SCHEMA_V1,
                "example", EXAMPLE, "extra", 1)), 400);
        assertProblem(as(merchantKey, "GET", "/v1/event-types/card.bad", null), 404);
    }
}
