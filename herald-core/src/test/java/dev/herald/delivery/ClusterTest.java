package dev.herald.delivery;

import static dev.herald.testing.EngineHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.endpoint.EndpointDraft;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Several Herald nodes on one database: claims are exclusive, and a node that stops heartbeating loses its work to the others. */
class ClusterTest {
    private static final String TARGETS = "dev.herald.testing.TestPostgres#allTargets";

    @ParameterizedTest
    @MethodSource(TARGETS)
    void twoNodesScanningTogetherNeverSendTheSameDelivery(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness a = EngineHarness.open(db)) {
            String endpoint = a.endpoint(receiver.url("/ok").toString(), List.of("*")).id();
            a.herald.endpoints().disable(OP, endpoint); // deliveries wait in the database, claimed by nobody
            try (EngineHarness b = a.restart(db)) {
                for (int i = 0; i < 200; i++) {
                    (i % 2 == 0 ? a : b).publish("transfer.completed");
                }
                a.herald.endpoints().enable(OP, endpoint);
                b.herald.endpoints().enable(OP, endpoint);
                for (int round = 0; round < 5; round++) {
                    Thread.ofVirtual().start(a::scan);
                    b.scan();
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/ok").size() >= 200);
                Set<String> sent = new HashSet<>();
                receiver.received("/ok").forEach(r -> assertThat(sent.add(r.header("x-webhook-delivery"))).as("sent twice").isTrue());
                assertThat(sent).hasSize(200);
            }
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void anEndpointChangedThroughOneNodeGovernsTheNextEventAcceptedByAnother(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness a = EngineHarness.open(db); EngineHarness b = a.restart(db)) {
            b.publish("transfer.completed"); // b has loaded its registry before the endpoint exists
            String endpoint = a.endpoint(receiver.url("/new").toString(), List.of("transfer.*")).id();
            String afterCreate = b.publish("transfer.completed").id();
            assertThat(b.deliveriesOf(afterCreate)).as("accepted by b right after a created the endpoint")
                    .extracting(Delivery::endpointId).containsExactly(endpoint);
            // a leases every partition (b took none yet); its clock started before b's, by however long b took to start,
            // so it steps a second at a time until b's delivery is due on a's clock too
            await().until(() -> {
                a.advanceAndScan(Duration.ofSeconds(1));
                return receiver.received("/new").size() == 1;
            });

            a.herald.endpoints().delete(OP, endpoint);
            assertThat(b.deliveriesOf(b.publish("transfer.completed").id())).as("accepted by b right after a deleted it").isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aSilentNodesDeliveriesAreTakenOverOnlyAfterItIsPresumedDead(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.reply("/slow", Reply.hang());
            EngineHarness silent = EngineHarness.open(db);
            silent.endpoint(new EndpointDraft(null, "slow", null, receiver.url("/slow").toString(), List.of("*"), null, null, null, null, null, null, 1));
            String id = silent.publish("transfer.created").id();
            await().until(() -> receiver.received("/slow").size() == 1);
            receiver.reply("/slow", Reply.status(200));

            try (EngineHarness survivor = silent.restart(db)) {
                assertThat(survivor.advanceAndScan(Duration.ofSeconds(5))).as("5 s of silence: still presumed alive").isZero();
                survivor.advanceAndScan(Duration.ofSeconds(6));
                await().atMost(Duration.ofSeconds(10)).until(() -> survivor.onlyDeliveryOf(id).status() == Delivery.Status.DELIVERED);
                silent.close(); // its late timeout result must not undo the survivor's success
                assertThat(survivor.onlyDeliveryOf(id).status()).isEqualTo(Delivery.Status.DELIVERED);
                assertThat(receiver.received("/slow")).extracting(r -> r.header("webhook-id")).containsOnly(id);
            }
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void nodesShareThePartitionsEvenlyAndTheSurvivorTakesAllBack(DatabaseConfig db) {
        try (EngineHarness a = EngineHarness.open(db)) {
            assertThat(owners(a)).containsExactly(java.util.Map.entry(nodeOf(a), 64L));
            try (EngineHarness b = a.restart(db)) {
                a.advanceAndScan(Duration.ofSeconds(3)); // a sees two nodes and gives up half
                b.advanceAndScan(Duration.ofSeconds(3)); // b takes the free half
                assertThat(owners(a).values()).containsExactlyInAnyOrder(32L, 32L);
            }
            a.advanceAndScan(Duration.ofSeconds(3)); // b left gracefully: its partitions are free at once
            assertThat(owners(a)).containsExactly(java.util.Map.entry(nodeOf(a), 64L));
        }
    }

    private static java.util.Map<String, Long> owners(EngineHarness h) {
        return h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select owner, count(*) from partitions where owner is not null group by owner",
                ps -> {}, rs -> java.util.Map.entry(rs.getString(1), rs.getLong(2)))).stream()
                .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey, java.util.Map.Entry::getValue));
    }

    private static String nodeOf(EngineHarness h) {
        return h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select id from nodes order by started_at desc limit 1",
                ps -> {}, rs -> rs.getString(1))).getFirst();
    }
}
