package dev.herald;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.store.PlannerStatistics;
import dev.herald.testing.EngineHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PlannerStatisticsTest {

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aPartitionChangedBeyondTheThresholdIsAnalyzedOnceAndThenLeftAlone(DatabaseConfig db) {
        try (EngineHarness h = EngineHarness.open(db)) {
            // events is partitioned by day (V21): the partition written today is what gets stale and analyzed
            String today = "events_p" + java.time.format.DateTimeFormatter.BASIC_ISO_DATE.format(dev.herald.support.PartDays.of(h.clock.instant()));
            PlannerStatistics statistics = new PlannerStatistics(h.jdbc, List.of("events"));
            autovacuum(h, today, false); // as on a server with autovacuum off, or behind
            try {
                statistics.refreshStale(); // whatever earlier tests left behind
                for (int i = 0; i < 200; i++) {
                    h.publish("transfer.completed");
                }
                // Table statistics reach the cumulative statistics system within about a second of each commit.
                await().atMost(Duration.ofSeconds(10)).until(() -> statistics.refreshStale().contains(today));
                long analyzed = h.jdbc.read(c -> Jdbc.query(c, "select analyze_count from pg_stat_user_tables"
                        + " where relname = ? and schemaname = current_schema()", ps -> ps.setString(1, today), rs -> rs.getLong(1))).getFirst();
                assertThat(analyzed).isPositive();
                await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ofSeconds(2)).until(() -> !statistics.refreshStale().contains(today));
            } finally {
                autovacuum(h, today, true);
            }
        }
    }

    private static void autovacuum(EngineHarness h, String table, boolean on) {
        h.jdbc.inTransaction(c -> Jdbc.update(c, on ? "alter table " + table + " reset (autovacuum_enabled)"
                : "alter table " + table + " set (autovacuum_enabled = false)", ps -> {}));
    }
}
