package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.bus.TestRabbit;
import dev.herald.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written consumer is an honest reference: a message is acknowledged only once its POST answered 2xx and its
 * row committed, anything else brings it back, and every try leaves a row. Against the broker at 127.0.0.1:5672
 * (skipped when it does not answer, except under CI=true) and embedded PostgreSQL.
 */
class HandConsumerTest {

    @Test
    void aPostAnsweredWithAnErrorIsRecordedAndTheMessageComesBackUntilItIsDelivered(@TempDir Path out) throws Exception {
        RabbitBroker broker = RabbitBroker.of(TestRabbit.uriOrSkip(), false);
        Settings s = BenchMain.settings("baseline", "--endpoints", "4", "--events", "200", "--duration", "30", "--warmup", "0",
                "--producers", "2", "--batch", "20", "--fleet", "100%flaky:0.3", "--quiet-wait", "0", "--drain-timeout", "60", "--out", out.toString());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, new PrintStream(console, true, StandardCharsets.UTF_8));
             RabbitBroker.Vhost vhost = broker.vhost("herald_bench_test_" + UUID.randomUUID().toString().replace("-", ""))) {
            Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
            HandConsumer.Shape shape = HandConsumer.Shape.design().withRetryDelay(Duration.ZERO);

            Bench.Phase p = bench.bus("design", fleet, BusScenarios.plan(s, Bench.Publish.STEADY, s.events()), vhost, Bench.Publish.STEADY, (db, w) -> {
                AttemptLog.createTable(pg.url(db));
                return HandConsumer.connect(shape, vhost.url, BusScenarios.BINDINGS, pg.url(db), Subscriptions.of(w, bench.fleet));
            });

            String log = console.toString(StandardCharsets.UTF_8);
            Map<String, Object> m = p.metrics();
            assertThat(p.audit().expected()).as(log).isEqualTo(200);
            assertThat(p.audit().lost()).as(log).isZero();
            assertThat(p.audit().duplicates()).as("a message is acked only after its 2xx, so one 2xx per message").isZero();
            assertThat(p.num("receiver_answers_not_2xx")).as(log).isPositive();
            assertThat(m.get("consumer_requeued")).isEqualTo(((Number) m.get("receiver_answers_not_2xx")).longValue());
            assertThat(p.num("consumer_redelivered")).isPositive();
            assertThat(m.get("db_attempt_rows")).as("one row per try").isEqualTo(m.get("fleet_requests"));
            assertThat(m).containsEntry("db_attempt_rows_2xx", 200L).containsEntry("db_delivered_pairs", 200L).containsEntry("consumer_acked", 200L);
        }
    }

    @Test
    void aMessageWhoseRowCannotBeCommittedIsNotAcknowledgedAndIsSentAgain() throws Exception {
        RabbitBroker broker = RabbitBroker.of(TestRabbit.uriOrSkip(), false);
        Workload workload = new Workload("t-", 2, 1, 256);
        Receipts receipts = new Receipts(workload, 20, new boolean[] {true, true}, new boolean[] {true, true});
        String db = "herald_bench_test_" + UUID.randomUUID().toString().replace("-", "");
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Fleet fleet = Fleet.start(2, 0, false);
             RabbitBroker.Vhost vhost = broker.vhost(db)) {
            pg.createDatabase(db);
            try {
                String url = pg.url(db);
                AttemptLog.createTable(url);
                sql(url, "alter table payments.webhook_attempts rename to webhook_attempts_away");
                fleet.sink(receipts);
                HandConsumer.Shape shape = HandConsumer.Shape.tuned(16, 2).withRetryDelay(Duration.ofMillis(100));
                try (HandConsumer consumer = HandConsumer.connect(shape, vhost.url, BusScenarios.BINDINGS, url, Subscriptions.of(workload, fleet));
                     Targets.Bus publisher = new Targets.Bus(vhost.url, workload, receipts)) {
                    consumer.start();
                    assertThat(publisher.send(0, 20, System.nanoTime())).isNull();

                    await().atMost(30, TimeUnit.SECONDS).until(() -> consumer.failedWrites() >= 20);
                    assertThat(receipts.audit(20).lost()).as("the POSTs were answered 2xx").isZero();
                    assertThat(consumer.acked()).as("no row, no ack").isZero();

                    sql(url, "alter table payments.webhook_attempts_away rename to webhook_attempts");
                    await().atMost(30, TimeUnit.SECONDS).until(() -> consumer.acked() == 20);
                    assertThat(receipts.duplicates()).as("each message was POSTed again after its row failed").isPositive();
                    assertThat(AttemptLog.summary(url)).containsEntry("db_delivered_pairs", 20L);
                }
                assertThat(vhost.ready(HandConsumer.QUEUE)).isZero();
            } finally {
                pg.dropDatabase(db);
            }
        }
    }

    private static void sql(String url, String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
