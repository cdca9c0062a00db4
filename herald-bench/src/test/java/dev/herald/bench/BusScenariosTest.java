package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.bus.TestRabbit;
import dev.herald.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenarios fed through RabbitMQ, tiny, end to end against embedded PostgreSQL and the broker at 127.0.0.1:5672
 * (skipped when it does not answer, except under CI=true): behaviour only, no timing.
 */
class BusScenariosTest {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream print = new PrintStream(console, true, StandardCharsets.UTF_8);

    @Test
    void heraldAndBothHandWrittenConsumersEmptyAQueueOfPublishedEventsIntoTheirEndpoints(@TempDir Path out) throws Exception {
        RabbitBroker broker = RabbitBroker.of(TestRabbit.uriOrSkip(), false);
        Settings s = BenchMain.settings("baseline", "--endpoints", "10", "--events", "500", "--duration", "30", "--warmup", "0",
                "--producers", "2", "--batch", "50", "--quiet-wait", "0", "--drain-timeout", "60", "--out", out.toString());
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, print)) {
            Report report = new Report("baseline", bench);
            List<String> failures = BusScenarios.baseline(bench, broker, report, print, Bench.Publish.FIRST,
                    List.of(HandConsumer.Shape.tuned(256, 16), HandConsumer.Shape.design()), 0);
            report.write(new String[] {"baseline"});

            assertThat(failures).as(log()).isEmpty();
            for (String phase : List.of("herald", "tuned", "design")) {
                Bench.Phase p = report.phase(phase);
                assertThat(p.audit().expected()).as(phase + "\n" + log()).isEqualTo(500);
                assertThat(p.audit().lost()).as(phase).isZero();
                assertThat(p.audit().wrongEndpoint()).as(phase).isZero();
                assertThat(p.audit().unknownIds()).as(phase).isZero();
                assertThat(p.metrics()).as(phase).containsEntry("events_accepted", 500L).containsEntry("queue_ready_at_end", 0L)
                        .as("published first: all of them wait in the queue before the consumer starts").containsEntry("queue_ready_at_start", 500L);
            }
            assertThat(report.phase("herald").metrics()).containsEntry("ingest", "bus").containsEntry("db_deliveries", 500L);
            for (String shape : List.of("tuned", "design")) {
                assertThat(report.phase(shape).metrics()).as(shape)
                        .containsEntry("consumer_acked", 500L)
                        .containsEntry("db_delivered_pairs", 500L);
            }
        }
        assertThat(out.toFile().list()).anyMatch(f -> f.startsWith("baseline-") && f.endsWith(".json"))
                .anyMatch(f -> f.startsWith("baseline-") && f.endsWith("-timeline.csv"));
    }

    @Test
    void heraldFedSteadilyThroughTheBusDeliversWhatHttpIngestDeliversNextToIt(@TempDir Path out) throws Exception {
        RabbitBroker broker = RabbitBroker.of(TestRabbit.uriOrSkip(), false);
        Settings s = BenchMain.settings("bus-throughput", "--endpoints", "10", "--events", "500", "--duration", "30", "--warmup", "0",
                "--producers", "2", "--batch", "50", "--quiet-wait", "0", "--drain-timeout", "60", "--out", out.toString());
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, print)) {
            Report report = new Report("bus-throughput", bench);
            List<String> failures = BusScenarios.busThroughput(bench, broker, report, print, Bench.Publish.STEADY, true);

            assertThat(failures).as(log()).isEmpty();
            for (String phase : List.of("http", "bus")) {
                Bench.Phase p = report.phase(phase);
                assertThat(p.audit().expected()).as(phase + "\n" + log()).isEqualTo(500);
                assertThat(p.audit().clean()).as(phase).isTrue();
                assertThat(p.metrics()).as(phase).containsEntry("db_deliveries", 500L);
            }
            assertThat(report.phase("bus").metrics()).containsEntry("ingest", "bus").containsEntry("queue_ready_at_end", 0L);
        }
    }

    private String log() {
        return console.toString(StandardCharsets.UTF_8);
    }
}
