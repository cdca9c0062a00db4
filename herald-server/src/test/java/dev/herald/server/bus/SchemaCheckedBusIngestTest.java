package dev.herald.server.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import dev.herald.bus.Incoming;
import dev.herald.bus.QueueSpec;
import dev.herald.bus.Topology;
import dev.herald.catalog.ValidationMode;
import dev.herald.server.TestServer;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Bus ingest applies the node's schema mode: under enforce, an event that breaks its schema is dead-lettered with the reason. */
class SchemaCheckedBusIngestTest {
    private static BusMessage message(String id, String type, String data) {
        String body = "{\"id\":\"" + id + "\",\"event\":\"" + type + "\",\"data\":" + data + "}";
        return new BusMessage(id, type, 0, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Test
    void underEnforceABadEventIsDeadLetteredNamingThePointerAndRuleAndTheGoodOnesFlow() {
        try (TestServer server = TestServer.start(true, TestPostgres.embedded(), null, c -> c.withSchemaValidation(ValidationMode.ENFORCE));
             TestReceiver receiver = TestReceiver.start()) {
            Map<String, Object> type = Map.of("description", "Paid.", "version", 1, "schema",
                    Map.of("type", "object", "properties", Map.of("amount", Map.of("type", "string")), "required", List.of("amount")),
                    "example", Map.of("amount", "12.50"));
            assertThat(server.put("/v1/event-types/shop.paid", TestServer.toJson(type)).status()).isEqualTo(201);
            server.createEndpoint(Map.of("url", receiver.url("/paid").toString(), "events", List.of("shop.*")));
            Bus bus = server.server().bus();
            List<Incoming> dead = new CopyOnWriteArrayList<>();
            Bus.Subscription deadSub = bus.consume(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null), 10_000, dead::add);
            try {
                bus.publish(List.of(message("evt_bad_amount", "shop.paid", "{\"amount\":12.5}"), message("evt_unknown", "shop.refunded", "{}"),
                        message("evt_good", "shop.paid", "{\"amount\":\"12.50\"}")));
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/paid").stream().anyMatch(r -> "evt_good".equals(r.header("webhook-id"))));
                await().atMost(Duration.ofSeconds(30)).until(() -> dead.size() >= 2);
                Map<String, String> reasons = new java.util.HashMap<>();
                dead.forEach(i -> {
                    reasons.put(i.message().messageId(), i.message().headers().get(Incoming.REASON_HEADER));
                    i.ack();
                });
                assertThat(reasons.get("evt_bad_amount")).contains("data/amount").contains("rule type");
                assertThat(reasons.get("evt_unknown")).contains("shop.refunded").contains("rule unknown_type");
                assertThat(server.get("/v1/events/evt_bad_amount").status()).isEqualTo(404);
                assertThat(receiver.received("/paid")).hasSize(1);
            } finally {
                deadSub.close();
            }
        }
    }
}
