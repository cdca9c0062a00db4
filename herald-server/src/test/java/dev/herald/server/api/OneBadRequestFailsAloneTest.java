package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Single-event POSTs share group transactions; one request that can never be stored must fail alone with a 422 — never
 * turn the good requests committed with it into 503s that invite retries — and its values never reach the log.
 */
class OneBadRequestFailsAloneTest {
    private static final String POISON = "poison-" + "x".repeat(100);
    private static TestServer server;
    private static TestReceiver receiver;
    private static ExecutorService clients;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        receiver = TestReceiver.start();
        clients = Executors.newVirtualThreadPerTaskExecutor();
        server.createEndpoint(Map.of("url", receiver.url("/alone").toString(), "events", List.of("alone.*")));
    }

    @AfterAll
    static void stop() {
        clients.shutdownNow();
        receiver.close();
        server.close();
    }

    @Test
    void anOverLongOrderingKeyIsRefusedUpFrontWhileTwentyGoodPostsAreAccepted() throws Exception {
        for (int round = 0; round < 5; round++) {
            List<Future<Response>> good = postGood("alone.key", round);
            Response bad = server.postJson("/v1/events", Map.of("event", "alone.key", "ordering_key", "k".repeat(10_000)));
            assertThat(bad.status()).as(bad.body()).isEqualTo(422);
            assertThat(bad.json().get("field").asText()).isEqualTo("ordering_key");
            for (Future<Response> f : good) {
                assertThat(f.get().status()).as(f.get().body()).isEqualTo(202);
            }
        }
    }

    /**
     * A value the database itself refuses (a check constraint here; in the field, an index row over PostgreSQL's limit)
     * gets past validation: the group committer isolates it, so its group's other members commit.
     */
    @Test
    void aRequestTheDatabaseRefusesFailsAloneWith422AndNothingOfItReachesTheLog() throws Exception {
        Jdbc jdbc = server.jdbc();
        jdbc.inTransaction(c -> Jdbc.update(c, "alter table events add constraint test_refuses_poison check (account_uuid is distinct from '"
                + POISON + "')", ps -> {}));
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        try {
            for (int round = 0; round < 5; round++) {
                List<Future<Response>> good = postGood("alone.db", round);
                List<Future<Response>> bad = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    bad.add(clients.submit(() -> server.postJson("/v1/events", Map.of("event", "alone.db", "account_uuid", POISON))));
                }
                for (Future<Response> f : good) {
                    assertThat(f.get().status()).as(f.get().body()).isEqualTo(202);
                }
                for (Future<Response> f : bad) {
                    assertThat(f.get().status()).as(f.get().body()).isEqualTo(422);
                    assertThat(f.get().contentType()).isEqualTo("application/problem+json");
                }
            }
        } finally {
            root.detachAppender(log);
            jdbc.inTransaction(c -> Jdbc.update(c, "alter table events drop constraint test_refuses_poison", ps -> {}));
        }
        long stored = jdbc.read(c -> Jdbc.query(c, "select count(*) from events where type = 'alone.db'", ps -> {}, rs -> rs.getLong(1))).getFirst();
        assertThat(stored).isEqualTo(100);
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/alone").stream().filter(r -> r.bodyText().contains("alone.db")).count() == 100);
        assertThat(log.list).isNotEmpty().allSatisfy(e -> {
            assertThat(e.getFormattedMessage()).doesNotContain("xxxxxxxxxx");
            if (e.getThrowableProxy() != null) {
                assertThat(e.getThrowableProxy().getMessage()).doesNotContain("xxxxxxxxxx");
            }
        });
    }

    private static List<Future<Response>> postGood(String type, int round) {
        List<Future<Response>> out = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            out.add(clients.submit(() -> server.postJson("/v1/events", Map.of("event", type, "account_uuid", "acc-" + round + "-" + n))));
        }
        return out;
    }
}
