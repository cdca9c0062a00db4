package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine options on the API: FIFO ordering, rate limit, circuit breaker state, ordering keys. */
class EndpointOptionsApiTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aMerchantsInFlightCapIsStoredShownAndClearedWithZero() {
        TestServer.Response created = server.put("/v1/merchants/m-capped", "{\"name\": \"Capped\", \"max_in_flight\": 5}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().get("max_in_flight").asInt()).isEqualTo(5);
        assertThat(server.put("/v1/merchants/m-capped", "{\"name\": \"Capped Co\"}").json().get("max_in_flight").asInt())
                .as("a put without the field keeps it").isEqualTo(5);
        assertThat(server.put("/v1/merchants/m-capped", "{\"max_in_flight\": 0}").json().get("max_in_flight").isNull())
                .as("0 returns to the node's default").isTrue();
        JsonNode got = server.get("/v1/merchants/m-capped").json();
        assertThat(got.get("max_in_flight").isNull()).isTrue();
        assertThat(got.has("secret")).isFalse();
    }

    @Test
    void orderingAndRateLimitAreStoredAndShownWithTheCircuit() {
        JsonNode created = server.createEndpoint(Map.of("url", "https://example.com/hook", "events", List.of("*"), "ordering", "fifo", "rate_limit", 5));
        assertThat(created.get("ordering").asText()).isEqualTo("fifo");
        assertThat(created.get("rate_limit").asInt()).isEqualTo(5);
        String id = created.get("id").asText();

        JsonNode got = server.get("/v1/endpoints/" + id).json();
        assertThat(got.get("circuit").get("state").asText()).isEqualTo("closed");
        assertThat(got.get("circuit").get("consecutive_failures").asInt()).isZero();

        JsonNode patched = server.patchJson("/v1/endpoints/" + id, Map.of("ordering", "none", "rate_limit", 0)).json();
        assertThat(patched.get("ordering").asText()).isEqualTo("none");
        assertThat(patched.get("rate_limit").isNull()).as("0 removes the limit").isTrue();
    }

    @Test
    void badOrderingOrRateLimitIsAFieldError() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("url", "https://example.com/h", "events", List.of("*"), "ordering", "lifo"),
                Map.of("url", "https://example.com/h", "events", List.of("*"), "rate_limit", -1),
                Map.of("url", "https://example.com/h", "events", List.of("*"), "rate_limit", "fast"))) {
            TestServer.Response r = server.postJson("/v1/endpoints", bad);
            assertThat(r.status()).isEqualTo(422);
            assertThat(r.json().get("field").asText()).isIn("ordering", "rate_limit");
        }
    }

    @Test
    void eventsCarryTheirOrderingKey() {
        String id = server.postJson("/v1/events", Map.of("event", "transfer.created", "account_uuid", "acc-1", "ordering_key", "transfer-77"))
                .json().get("id").asText();
        assertThat(server.get("/v1/events/" + id).json().get("ordering_key").asText()).isEqualTo("transfer-77");
        String defaulted = server.postJson("/v1/events", Map.of("event", "transfer.created", "account_uuid", "acc-2")).json().get("id").asText();
        assertThat(server.get("/v1/events/" + defaulted).json().get("ordering_key").asText()).as("defaults to the account").isEqualTo("acc-2");
    }
}
