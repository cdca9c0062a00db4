package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fanout and backlog scenarios, tiny, end to end against embedded PostgreSQL: behaviour only, no timing. */
class FanoutAndBacklogScenarioTest {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream print = new PrintStream(console, true, StandardCharsets.UTF_8);

    @Test
    void eachEventReachesEveryEndpointOfItsGroupExactlyOnce(@TempDir Path out) throws Exception {
        Settings s = BenchMain.settings("fanout", "--endpoints", "20", "--fanout", "10", "--events", "100", "--duration", "5", "--warmup", "0",
                "--raw-duration", "0", "--producers", "2", "--max-pending", "0", "--quiet-wait", "0", "--drain-timeout", "30", "--out", out.toString());
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, print)) {
            Report report = new Report("fanout", bench);
            List<String> failures = Scenarios.fanout(bench, report, print);

            assertThat(failures).as(log()).isEmpty();
            Bench.Phase h = report.phase("herald");
            assertThat(h.audit().expected()).as(log()).isEqualTo(1000);
            assertThat(h.metrics()).containsEntry("db_deliveries", 1000L);
        }
    }

    @Test
    void deliveriesPiledUpForPausedEndpointsAllArriveOnceTheyAreEnabled(@TempDir Path out) throws Exception {
        Settings s = BenchMain.settings("backlog", "--endpoints", "10", "--events", "500", "--duration", "30", "--warmup", "0",
                "--producers", "2", "--quiet-wait", "0", "--drain-timeout", "60", "--out", out.toString());
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, print)) {
            Report report = new Report("backlog", bench);
            List<String> failures = Scenarios.backlog(bench, report, print, 0);

            assertThat(failures).as(log()).isEmpty();
            Bench.Phase backlog = report.phase("backlog");
            assertThat(backlog.metrics()).as(log()).containsEntry("backlog_at_enable", 500L).containsEntry("drain_deliveries", 500L);
            assertThat(backlog.audit().lost()).isZero();
            assertThat(backlog.audit().duplicates()).isZero();
        }
    }

    private String log() {
        return console.toString(StandardCharsets.UTF_8);
    }
}
