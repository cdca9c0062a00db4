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

/**
 * Herald in child JVMs killed with SIGKILL under load, end to end against embedded PostgreSQL: behaviour only (nothing
 * lost, duplicates within the measured in-flight bound, every re-send under its original webhook-id), no timing.
 */
class KillScenariosTest {

    @Test
    void aKilledAndRestartedNodeLosesNothingAndDuplicatesStayWithinTheInFlightBound(@TempDir Path out) throws Exception {
        Settings s = BenchMain.settings("crash", "--endpoints", "10", "--rate", "50", "--duration", "8", "--warmup", "0",
                "--drain-timeout", "60", "--out", out.toString());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(console, true, StandardCharsets.UTF_8);
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, print)) {
            Report report = new Report("crash", bench);
            List<String> failures = Scenarios.crash(bench, report, print, 3, List.of("-Xmx256m"));

            String log = console.toString(StandardCharsets.UTF_8);
            assertThat(failures).as(log).isEmpty();
            Bench.Phase crash = report.phase("crash");
            assertThat(crash.metrics()).as(log).containsEntry("killed", true).containsEntry("node_starts", 2);
            assertThat(crash.audit().expected()).as(log).isPositive();
            assertThat(crash.audit().lost()).as(log).isZero();
            assertThat(crash.audit().unknownIds()).as("a re-send never carries a new webhook-id").isZero();
            assertThat(crash.audit().duplicates()).as(log).isLessThanOrEqualTo(((Number) crash.metrics().get("duplicate_bound")).longValue());
        }
    }
}
