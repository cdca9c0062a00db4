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

/** The CI smoke scenario, end to end against embedded PostgreSQL: behaviour only, no timing. */
class SmokeScenarioTest {

    @Test
    void everyAcceptedEventReachesItsOwnEndpointExactlyOnce(@TempDir Path out) throws Exception {
        Settings s = BenchMain.settings("smoke", "--out", out.toString());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(console, true, StandardCharsets.UTF_8);
        try (PgServer pg = PgServer.of(TestPostgres.embedded()); Bench bench = Bench.open(s, pg, print)) {
            Report report = new Report("smoke", bench);
            List<String> failures = Scenarios.smoke(bench, report, print);
            report.write(new String[] {"smoke"});

            assertThat(failures).as(console.toString(StandardCharsets.UTF_8)).isEmpty();
            Bench.Phase herald = report.phase("herald");
            assertThat(herald.audit().expected()).isEqualTo(500);
            assertThat(herald.audit().lost()).isZero();
            assertThat(herald.audit().duplicates()).isZero();
            assertThat(herald.audit().wrongEndpoint()).isZero();
            assertThat(herald.metrics()).containsEntry("events_accepted", 500L).containsEntry("db_deliveries", 500L);
        }
        assertThat(out.toFile().list()).anyMatch(f -> f.startsWith("smoke-") && f.endsWith(".json"));
    }

    @Test
    void aDeliveryToAnEndpointNotSubscribedToItsEventIsCountedAsMisrouted() {
        Workload w = new Workload("t-", 10, 2, 256);
        Receipts r = new Receipts(w, 100, Bench.trackedMask(Bench.uniform(10, new Behaviour.Fast())), new boolean[10]);
        r.accepted(0, 10);
        r.received(w.group(7) * 2, "t-7", Fleet.NO_SENT_NS, 200, System.nanoTime());       // right group, first endpoint
        r.received(w.group(7) * 2 + 1, "t-7", Fleet.NO_SENT_NS, 200, System.nanoTime());   // right group, second endpoint
        r.received(w.group(7) * 2, "t-7", Fleet.NO_SENT_NS, 200, System.nanoTime());       // again: duplicate
        r.received((w.group(7) * 2 + 2) % 10, "t-7", Fleet.NO_SENT_NS, 200, System.nanoTime()); // another group
        r.received(0, "other-1", Fleet.NO_SENT_NS, 200, System.nanoTime());
        r.received(1, "t-3", Fleet.NO_SENT_NS, 503, System.nanoTime());                    // a failure is not a delivery

        Receipts.Audit a = r.audit(10);
        assertThat(a.expected()).isEqualTo(20);
        assertThat(a.lost()).isEqualTo(18);
        assertThat(a.duplicates()).isEqualTo(1);
        assertThat(a.wrongEndpoint()).isEqualTo(1);
        assertThat(a.unknownIds()).isEqualTo(1);
    }

    @Test
    void fleetMixGivesEveryHundredEndpointsTheExactShares() {
        Behaviour[] b = Behaviour.Mix.of("10%hang,10%error:503:1,80%fast").assign(200);
        assertThat(b).filteredOn(x -> x instanceof Behaviour.Hang).hasSize(20);
        assertThat(b).filteredOn(x -> x.equals(new Behaviour.Error(503, 1))).hasSize(20);
        assertThat(b).filteredOn(x -> x instanceof Behaviour.Fast).hasSize(160);
    }

    @Test
    void histogramPercentilesAreWithinTwoPercent() {
        Histogram h = new Histogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v * 1000);
        }
        assertThat(h.percentile(0.5)).isBetween(49_000_000L, 51_000_000L);
        assertThat(h.percentile(0.99)).isBetween(97_000_000L, 101_000_000L);
        assertThat(h.max()).isEqualTo(100_000_000L);
    }

    @Test
    void workloadBodiesHaveTheConfiguredSizeAndCarryTheirSendTime() {
        Workload w = new Workload("h-", 1000, 1, 1024);
        byte[] body = w.wireBody(123_456, 987_654_321L, "2026-01-14T10:30:00Z");
        assertThat(body.length).isBetween(1000, 1030);
        assertThat(Fleet.RequestReader.sentNs(body, 0, body.length)).isEqualTo(987_654_321L);
        assertThat(w.seqOf("h-123456")).isEqualTo(123_456);
        assertThat(w.seqOf("x-1")).isEqualTo(-1);
    }
}
