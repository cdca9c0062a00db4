package dev.herald.server.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import dev.herald.bus.Incoming;
import dev.herald.bus.QueueSpec;
import dev.herald.bus.TestRabbit;
import dev.herald.bus.Topology;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.server.TestServer;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Received;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Herald takes events from the bus: published messages become signed webhooks, redeliveries do not duplicate them,
 * poison messages go to finance.dead alone, and a database outage delays events without losing them. Each case runs
 * on the in-process bus and on RabbitMQ (skipped without a broker, mandatory under CI=true).
 */
class BusIngestTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    private final List<AutoCloseable> closing = new ArrayList<>();
    private String prefix;
    private TestServer server;
    private TestReceiver receiver;
    private DatabaseConfig db;
    private boolean rabbit;


    private void start(String amqpUrl) {
        rabbit = amqpUrl != null;
        if (rabbit) {
            TestRabbit.deleteQueue("herald.ingest"); // bindings of earlier runs would bring in other tests' messages
        }
        prefix = "bt" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        db = TestPostgres.embedded();
        server = TestServer.start(true, Clock.systemUTC(), db, amqpUrl, List.of(prefix + ".#"));
        receiver = TestReceiver.start();
        closing.add(server);
        closing.add(receiver);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (rabbit) {
            TestRabbit.deleteQueue("herald.ingest");
        }
    }

    private Bus bus() {
        return server.server().bus();
    }

    private JsonNode endpoint(String path) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", receiver.url(path).toString());
        body.put("events", List.of(prefix + ".*"));
        return server.createEndpoint(body);
    }

    private BusMessage event(String id, String type, int priority) {
        String body = "{\"id\":\"" + id + "\",\"event\":\"" + type + "\",\"timestamp\":\"2026-01-14T10:30:00Z\",\"account_uuid\":\"acc-1\","
                + "\"data\":{\"amount\":\"12.50\"}}";
        return new BusMessage(id, type, priority, body.getBytes(StandardCharsets.UTF_8), Map.of(BusMessage.TRACE_ID, TRACE_ID));
    }

    private static BusMessage raw(String id, String routingKey, String body) {
        return new BusMessage(id, routingKey, 0, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private List<String> deliveredIds(String path) {
        List<String> ids = new ArrayList<>();
        for (Received r : receiver.received(path)) {
            ids.add(r.header("webhook-id"));
        }
        return ids;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void anEventPublishedOnTheBusReachesTheEndpointSigned(String amqpUrl) throws Exception {
        start(amqpUrl);
        JsonNode ep = endpoint("/bus");
        String id = "evt_" + prefix;

        bus().publish(List.of(event(id, prefix + ".created", 7)));

        await().atMost(WAIT).until(() -> receiver.received("/bus").size() == 1);
        Received got = receiver.received("/bus").getFirst();
        WebhookVerifier.create(ep.get("secret").asText()).verifyClassic(got.header("X-Webhook-Signature"), got.body());
        assertThat(got.header("webhook-id")).isEqualTo(id);
        assertThat(got.header("X-Webhook-Event")).isEqualTo(prefix + ".created");
        assertThat(got.header("traceparent")).startsWith("00-" + TRACE_ID + "-");
        JsonNode body = TestServer.JSON.readTree(got.body());
        assertThat(body.get("data").get("amount").asText()).isEqualTo("12.50");
        JsonNode stored = server.get("/v1/events/" + id).json();
        assertThat(stored.get("priority").asInt()).isEqualTo(7);
        assertThat(stored.get("trace_id").asText()).isEqualTo(TRACE_ID);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void aRedeliveredMessageYieldsOneEventAndOneDelivery(String amqpUrl) {
        start(amqpUrl);
        endpoint("/dup");
        String id = "evt_dup_" + prefix;

        bus().publish(List.of(event(id, prefix + ".updated", 0)));
        bus().publish(List.of(event(id, prefix + ".updated", 0), event(id, prefix + ".updated", 0))); // again, and twice in one group
        await().atMost(WAIT).until(() -> deliveredIds("/dup").contains(id));
        String marker = "evt_marker_" + prefix;
        bus().publish(List.of(event(marker, prefix + ".updated", 0))); // behind the duplicates in the queue

        await().atMost(WAIT).until(() -> deliveredIds("/dup").contains(marker));
        assertThat(deliveredIds("/dup")).containsExactlyInAnyOrder(id, marker);
        assertThat(server.get("/v1/deliveries?event=" + id).json().get("data")).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void aPoisonMessageLandsInFinanceDeadAndTheOthersStillFlow(String amqpUrl) {
        start(amqpUrl);
        endpoint("/poison");
        List<Incoming> dead = new CopyOnWriteArrayList<>();
        // finance.dead is shared: take only this test's messages, leave the others unacked (they return on close)
        Bus.Subscription deadSub = bus().consume(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null), 10_000, dead::add);
        closing.add(deadSub::close);
        String good1 = "evt_good1_" + prefix;
        String good2 = "evt_good2_" + prefix;
        String notJson = "poison_json_" + prefix;
        String notEvent = "poison_event_" + prefix;

        bus().publish(List.of(event(good1, prefix + ".paid", 0),
                raw(notJson, prefix + ".paid", "{not json"),
                raw(notEvent, prefix + ".paid", "{\"id\":\"" + notEvent + "\",\"event\":\"Not A Type\",\"data\":{}}"),
                event(good2, prefix + ".paid", 0)));

        await().atMost(WAIT).until(() -> deliveredIds("/poison").size() == 2);
        assertThat(deliveredIds("/poison")).containsExactlyInAnyOrder(good1, good2);
        await().atMost(WAIT).until(() -> dead.stream().map(i -> i.message().messageId()).toList().containsAll(List.of(notJson, notEvent)));
        dead.stream().filter(i -> i.message().messageId().startsWith("poison_") && i.message().messageId().endsWith(prefix)).forEach(Incoming::ack);
        assertThat(server.get("/v1/events/" + notEvent).status()).isEqualTo(404);
    }

    /**
     * A message that can never be stored — over a limit checked up front, or refused by the database itself — goes to
     * finance.dead at once with its reason, and the innocent message published with it is delivered without waiting.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void aMessageThatCanNeverBeStoredIsDeadLetteredAloneAtOnceWithItsReason(String amqpUrl) throws Exception {
        start(amqpUrl);
        endpoint("/never");
        List<Incoming> dead = new CopyOnWriteArrayList<>();
        Bus.Subscription deadSub = bus().consume(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null), 10_000, dead::add);
        closing.add(deadSub::close);
        String poison = "evt_longkey_" + prefix;
        String refused = "evt_refused_" + prefix;
        String innocent = "evt_innocent_" + prefix;
        String refusedAccount = "refused-" + prefix;
        try (Connection admin = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement st = admin.createStatement()) {
            st.execute("alter table events add constraint test_refuses check (account_uuid is distinct from '" + refusedAccount + "')");
        }
        long started = System.nanoTime();
        bus().publish(List.of(
                raw(poison, prefix + ".paid", "{\"id\":\"" + poison + "\",\"event\":\"" + prefix + ".paid\",\"ordering_key\":\"" + "k".repeat(10_000) + "\"}"),
                raw(refused, prefix + ".paid", "{\"id\":\"" + refused + "\",\"event\":\"" + prefix + ".paid\",\"account_uuid\":\"" + refusedAccount + "\"}"),
                event(innocent, prefix + ".paid", 0)));

        await().atMost(WAIT).until(() -> deliveredIds("/never").contains(innocent));
        await().atMost(WAIT).until(() -> dead.stream().map(i -> i.message().messageId()).toList().containsAll(List.of(poison, refused)));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("dead-lettered at once, not after requeue rounds").isLessThan(Duration.ofSeconds(10));
        Map<String, String> reasons = new LinkedHashMap<>();
        dead.stream().filter(i -> i.message().messageId().endsWith(prefix)).forEach(i -> {
            reasons.put(i.message().messageId(), i.message().headers().get(Incoming.REASON_HEADER));
            i.ack();
        });
        assertThat(reasons.get(poison)).startsWith("ordering_key:");
        assertThat(reasons.get(refused)).contains("refuses");
        assertThat(deliveredIds("/never")).containsExactly(innocent);
        assertThat(server.get("/v1/events/" + poison).status()).isEqualTo(404);
        assertThat(server.get("/v1/events/" + refused).status()).isEqualTo(404);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void aDifferentEventUnderAKnownMessageIdIsDeadLetteredAsAConflict(String amqpUrl) {
        start(amqpUrl);
        endpoint("/conflict");
        List<Incoming> dead = new CopyOnWriteArrayList<>();
        Bus.Subscription deadSub = bus().consume(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null), 10_000, dead::add);
        closing.add(deadSub::close);
        String id = "evt_twice_" + prefix;
        bus().publish(List.of(event(id, prefix + ".paid", 0)));
        await().atMost(WAIT).until(() -> deliveredIds("/conflict").contains(id));
        bus().publish(List.of(raw(id, prefix + ".refunded", "{\"id\":\"" + id + "\",\"event\":\"" + prefix + ".refunded\"}")));

        await().atMost(WAIT).until(() -> dead.stream().anyMatch(i -> i.message().messageId().equals(id)));
        Incoming d = dead.stream().filter(i -> i.message().messageId().equals(id)).findFirst().orElseThrow();
        assertThat(d.message().headers().get(Incoming.REASON_HEADER)).startsWith("id:");
        d.ack();
        assertThat(deliveredIds("/conflict")).containsExactly(id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void eventsWaitWhileTheDatabaseFailsAndFlowOnceItIsBack(String amqpUrl) throws Exception {
        start(amqpUrl);
        endpoint("/outage");
        List<String> ids = List.of("evt_o1_" + prefix, "evt_o2_" + prefix, "evt_o3_" + prefix);
        try (Connection admin = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement st = admin.createStatement()) {
            long rollbacksBefore = rollbacks(st);
            st.execute("alter table events rename to events_away"); // every ingest now fails
            try {
                bus().publish(ids.stream().map(id -> event(id, prefix + ".moved", 0)).toList());
                await().atMost(WAIT).until(() -> rollbacks(st) > rollbacksBefore); // ingest tried, and failed
                assertThat(receiver.received("/outage")).isEmpty();
            } finally {
                st.execute("alter table events_away rename to events");
            }
        }

        await().atMost(WAIT).until(() -> deliveredIds("/outage").size() == 3);
        assertThat(deliveredIds("/outage")).containsExactlyInAnyOrderElementsOf(ids);
    }

    /** Transactions rolled back in this database so far (PostgreSQL's statistics, flushed within about a second). */
    private static long rollbacks(Statement st) throws java.sql.SQLException {
        st.execute("select pg_stat_clear_snapshot()");
        try (var rs = st.executeQuery("select xact_rollback from pg_stat_database where datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
