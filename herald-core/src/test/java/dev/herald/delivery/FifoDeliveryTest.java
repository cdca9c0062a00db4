package dev.herald.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.endpoint.EndpointDraft;
import dev.herald.event.EventInput;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** FIFO endpoints: one key's deliveries arrive in ingest order even across retries; other keys are not held back. */
class FifoDeliveryTest {

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void failingHeadHoldsBackItsKeyOnlyAndOrderSurvivesRetries(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            receiver.reply("/fifo", Reply.status(500));
            h.endpoint(new EndpointDraft(null, "fifo", null, receiver.url("/fifo").toString(), List.of("*"), null, null, null, 5, null, null, 2, "fifo"));
            String a1 = publish(h, "A", 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/fifo").size() == 1);
            await().until(() -> h.onlyDeliveryOf(a1).attempts() == 1);

            receiver.reply("/fifo", Reply.status(200));
            String a2 = publish(h, "A", 2);
            String b1 = publish(h, "B", 1);
            String a3 = publish(h, "A", 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> h.onlyDeliveryOf(b1).status() == Delivery.Status.DELIVERED);
            h.scan();
            assertThat(sequenceOf(receiver, "A")).as("A waits behind its failing head").containsExactly(1);
            assertThat(h.onlyDeliveryOf(a2).status()).isEqualTo(Delivery.Status.PENDING);

            h.advanceAndScan(Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(10)).until(() -> h.onlyDeliveryOf(a1).status() == Delivery.Status.DELIVERED);
            for (int i = 0; i < 5 && h.onlyDeliveryOf(a3).status() != Delivery.Status.DELIVERED; i++) {
                h.scan();
                await().atMost(Duration.ofSeconds(5)).until(() -> h.herald.dispatcher().backlog() == 0);
            }
            assertThat(h.onlyDeliveryOf(a2).status()).isEqualTo(Delivery.Status.DELIVERED);
            assertThat(h.onlyDeliveryOf(a3).status()).isEqualTo(Delivery.Status.DELIVERED);
            assertThat(sequenceOf(receiver, "A")).containsExactly(1, 1, 2, 3);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void manyEventsOfOneKeyArriveInIngestOrder(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.endpoint(new EndpointDraft(null, "fifo", null, receiver.url("/fifo").toString(), List.of("*"), null, null, null, null, null, null, 2, "fifo"));
            for (int i = 1; i <= 50; i++) {
                publish(h, i % 2 == 0 ? "even" : "odd", i);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/fifo").size() == 50);
            assertThat(sequenceOf(receiver, "odd")).isSorted().hasSize(25);
            assertThat(sequenceOf(receiver, "even")).isSorted().hasSize(25);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void anEndpointThatBecomesFifoOrdersTheDeliveriesAlreadyWaitingForIt(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            receiver.reply("/fifo", Reply.status(500));
            var ep = h.endpoint(new EndpointDraft(null, "later fifo", null, receiver.url("/fifo").toString(), List.of("*"), null, null, null, 5, null,
                    null, 2));
            h.herald.endpoints().disable(dev.herald.testing.EngineHarness.OP, ep.id());
            String a1 = publish(h, "A", 1);
            String a2 = publish(h, "A", 2);
            assertThat(orderingKeys(h, ep.id())).as("a delivery to an endpoint without ordering carries no key").containsOnlyNulls().hasSize(2);

            h.herald.endpoints().update(dev.herald.testing.EngineHarness.OP, ep.id(),
                    new EndpointDraft(null, null, null, null, null, null, null, null, null, null, null, null, "fifo"));
            assertThat(orderingKeys(h, ep.id())).as("becoming FIFO gives the waiting deliveries their event's key").containsOnly("A").hasSize(2);
            h.herald.endpoints().enable(dev.herald.testing.EngineHarness.OP, ep.id());
            h.scan();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.onlyDeliveryOf(a1).attempts() == 1);
            h.scan();
            assertThat(h.onlyDeliveryOf(a2).attempts()).as("the second waits behind its failing head").isZero();
            assertThat(sequenceOf(receiver, "A")).containsExactly(1);
        }
    }

    private static List<String> orderingKeys(EngineHarness h, String endpointId) {
        return h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select ordering_key from deliveries where endpoint_id = ? order by seq",
                ps -> ps.setString(1, endpointId), rs -> rs.getString(1)));
    }

    private static String publish(EngineHarness h, String key, int n) {
        var data = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("n", n);
        return h.publish(new EventInput(null, "transaction.created", null, "acct-" + key, data, null, 0, null, null, key)).id();
    }

    private static List<Integer> sequenceOf(TestReceiver receiver, String key) {
        return receiver.received("/fifo").stream().filter(r -> r.bodyText().contains("\"account_uuid\":\"acct-" + key + "\""))
                .map(r -> Integer.parseInt(r.bodyText().replaceAll(".*\"n\":(\\d+).*", "$1"))).toList();
    }
}
