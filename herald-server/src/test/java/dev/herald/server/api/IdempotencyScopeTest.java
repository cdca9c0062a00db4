package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.TestReceiver;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Idempotency keys and client-supplied ids are scoped per merchant, and honest: a retry of the same request is a
 * duplicate, a different request under a known key or id is a 409 naming it — never silently dropped.
 */
class IdempotencyScopeTest {
    private static TestServer server;
    private static TestReceiver receiver;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        receiver = TestReceiver.start();
        for (String m : List.of("m1", "m2")) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}").status()).isEqualTo(201);
            server.createEndpoint(Map.of("url", receiver.url("/" + m).toString(), "events", List.of("payment.*"), "merchant_id", m));
        }
    }

    @AfterAll
    static void stop() {
        receiver.close();
        server.close();
    }

    @Test
    void twoMerchantsUsingTheSameIdempotencyKeyEachGetTheirOwnEvent() {
        Response m1 = server.postJson("/v1/events", payment("payment.succeeded", "m1", 1001), "Idempotency-Key", "order-1001");
        Response m2 = server.postJson("/v1/events", payment("payment.succeeded", "m2", 1001), "Idempotency-Key", "order-1001");
        assertThat(m1.status()).as(m1.body()).isEqualTo(202);
        assertThat(m2.status()).as(m2.body()).isEqualTo(202);
        assertThat(m2.json().get("duplicate").asBoolean()).as("m2's callback is not a duplicate of m1's").isFalse();
        assertThat(m2.json().get("id").asText()).isNotEqualTo(m1.json().get("id").asText());
        await().atMost(Duration.ofSeconds(20)).until(() -> received("/m1", "order-1001") == 1 && received("/m2", "order-1001") == 1);
    }

    @Test
    void twoMerchantsUsingTheSameIdempotencyKeyForNotificationsEachGetTheirCallback() {
        for (String m : List.of("m1", "m2")) {
            Map<String, Object> body = Map.of("merchant_id", m, "notify_url", receiver.url("/notify-" + m).toString(),
                    "event", "payment.succeeded", "payload", Map.of("order", "n-77"));
            Response r = server.postJson("/v1/notifications", body, "Idempotency-Key", "notify-77");
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            assertThat(r.json().get("duplicate").asBoolean()).isFalse();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/notify-m1").size() == 1 && receiver.received("/notify-m2").size() == 1);
    }

    @Test
    void aDifferentRequestUnderAKnownKeyIsAConflictNamingTheKeyAndIsNeitherStoredNorSent() {
        Response payment = server.postJson("/v1/events", payment("payment.succeeded", "m1", 2002), "Idempotency-Key", "order-2002");
        assertThat(payment.status()).isEqualTo(202);
        Response refund = server.postJson("/v1/events", payment("payment.refunded", "m1", 2002), "Idempotency-Key", "order-2002");
        assertThat(refund.status()).as(refund.body()).isEqualTo(409);
        assertThat(refund.contentType()).isEqualTo("application/problem+json");
        assertThat(refund.json().get("field").asText()).isEqualTo("Idempotency-Key");

        Map<String, Object> inBody = new LinkedHashMap<>(payment("payment.succeeded", "m1", 9999));
        inBody.put("idempotency_key", "order-2002");
        Response other = server.postJson("/v1/events", inBody);
        assertThat(other.status()).as(other.body()).isEqualTo(409);
        assertThat(other.json().get("field").asText()).isEqualTo("idempotency_key");

        await().atMost(Duration.ofSeconds(20)).until(() -> received("/m1", "order-2002") == 1);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> received("/m1", "order-2002") == 1);
        assertThat(receiver.received("/m1")).noneMatch(r -> r.bodyText().contains("payment.refunded") && r.bodyText().contains("2002"));
    }

    @Test
    void aRetryOfTheSameRequestIsADuplicateWhateverItsKeyOrderAndTrace() {
        String first = "{\"event\": \"payment.succeeded\", \"merchant_id\": \"m1\", \"data\": {\"order\": \"order-3003\", \"amount\": 5}}";
        String retry = "{\"data\": {\"amount\": 5, \"order\": \"order-3003\"}, \"merchant_id\": \"m1\", \"event\": \"payment.succeeded\"}";
        Response a = server.post("/v1/events", first, "Idempotency-Key", "order-3003",
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        Response b = server.post("/v1/events", retry, "Idempotency-Key", "order-3003",
                "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(a.status()).as(a.body()).isEqualTo(202);
        assertThat(b.status()).as(b.body()).isEqualTo(202);
        assertThat(b.json().get("duplicate").asBoolean()).isTrue();
        assertThat(b.json().get("id").asText()).isEqualTo(a.json().get("id").asText());
    }

    @Test
    void aClientIdIsUniquePerMerchantAndAnotherEventUnderItIsAConflictNamingId() {
        Map<String, Object> m1 = new LinkedHashMap<>(payment("payment.succeeded", "m1", 4004));
        m1.put("id", "pay-4004");
        Map<String, Object> m2 = new LinkedHashMap<>(payment("payment.succeeded", "m2", 4004));
        m2.put("id", "pay-4004");
        assertThat(server.postJson("/v1/events", m1).status()).isEqualTo(202);
        Response other = server.postJson("/v1/events", m2);
        assertThat(other.status()).as("the same id in another merchant's scope is its own event").isEqualTo(202);
        assertThat(other.json().get("duplicate").asBoolean()).isFalse();

        Map<String, Object> changed = new LinkedHashMap<>(m1);
        changed.put("event", "payment.refunded");
        Response conflict = server.postJson("/v1/events", changed);
        assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
        assertThat(conflict.json().get("field").asText()).isEqualTo("id");

        Response ambiguous = server.get("/v1/events/pay-4004");
        assertThat(ambiguous.status()).as(ambiguous.body()).isEqualTo(409);
        assertThat(ambiguous.json().get("field").asText()).isEqualTo("merchant_id");
        JsonNode ofM2 = server.get("/v1/events/pay-4004?merchant_id=m2").json();
        assertThat(ofM2.get("merchant_id").asText()).isEqualTo("m2");
        assertThat(server.get("/v1/events/pay-4004?merchant_id=m3").status()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(20)).until(() -> received("/m1", "4004") == 1 && received("/m2", "4004") == 1);
    }

    private static Map<String, Object> payment(String type, String merchant, int order) {
        return Map.of("event", type, "merchant_id", merchant, "data", Map.of("order", "order-" + order));
    }

    private static long received(String path, String marker) {
        return receiver.received(path).stream().filter(r -> r.bodyText().contains(marker)).count();
    }
}
