package dev.herald.server.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.outbox.BusPublisher;
import dev.herald.outbox.HeraldHttpPublisher;
import dev.herald.outbox.Outbox;
import dev.herald.outbox.OutboxEvent;
import dev.herald.outbox.OutboxRelay;
import dev.herald.server.TestServer;
import dev.herald.store.Database;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import java.net.URI;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A service's outbox reaches Herald's merchants, over Herald's HTTP API or over the bus. */
class OutboxToHeraldTest {
    private static TestServer server;
    private static TestReceiver receiver;
    private static Database serviceDb;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(true);
        receiver = TestReceiver.start();
        serviceDb = Database.open(TestPostgres.embedded(), "classpath:db/none");
        try (Connection c = serviceDb.dataSource().getConnection()) {
            Outbox.createTable(c);
        }
        server.createEndpoint(Map.of("url", receiver.url("/merchant").toString(), "events", List.of("ledger.*")));
    }

    @AfterAll
    static void stop() {
        serviceDb.close();
        receiver.close();
        server.close();
    }

    private static void commit(DataSource ds, OutboxEvent... events) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Outbox.append(c, List.of(events));
            c.commit();
        }
    }

    private static OutboxEvent event(String id, String type) {
        return new OutboxEvent(id, type, "acc-9", 0, null,
                "{\"id\":\"" + id + "\",\"event\":\"" + type + "\",\"account_uuid\":\"acc-9\",\"data\":{\"n\":1}}");
    }

    private static boolean delivered(String id) {
        return receiver.received("/merchant").stream().anyMatch(r -> id.equals(r.header("webhook-id")));
    }

    @Test
    void theHttpPublisherPostsTheBatchAndHeraldAcceptsItOnlyWithAValidKey() throws Exception {
        HeraldHttpPublisher wrongKey = new HeraldHttpPublisher(URI.create("http://127.0.0.1:" + server.port()), "not-the-key-0123456789", Duration.ofSeconds(5));
        assertThatThrownBy(() -> wrongKey.publish(List.of(event("evt_http_0", "ledger.posted")))).hasMessageContaining("401");
        assertThat(wrongKey.toString()).doesNotContain("not-the-key");

        HeraldHttpPublisher publisher = new HeraldHttpPublisher(URI.create("http://127.0.0.1:" + server.port() + "/"), TestServer.ADMIN_KEY, Duration.ofSeconds(5));
        try (OutboxRelay relay = new OutboxRelay(serviceDb.dataSource(), publisher, OutboxRelay.Config.defaults(), Clock.systemUTC()).start()) {
            commit(serviceDb.dataSource(), event("evt_http_1", "ledger.posted"), event("evt_http_2", "ledger.reversed"));
            await().atMost(Duration.ofSeconds(30)).until(() -> delivered("evt_http_1") && delivered("evt_http_2"));
        }
        publisher.publish(List.of(event("evt_http_1", "ledger.posted"))); // published again: Herald dedupes, 202 all the same
        assertThat(server.get("/v1/deliveries?event=evt_http_1").json().get("data")).hasSize(1);
    }

    @Test
    void theBusPublisherReachesHeraldThroughItsInProcessBus() throws Exception {
        try (OutboxRelay relay = new OutboxRelay(serviceDb.dataSource(), new BusPublisher(server.server().bus()),
                OutboxRelay.Config.defaults(), Clock.systemUTC()).start()) {
            commit(serviceDb.dataSource(), event("evt_bus_1", "ledger.posted"));
            await().atMost(Duration.ofSeconds(30)).until(() -> delivered("evt_bus_1"));
        }
    }
}
