package dev.herald.stats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Two nodes' minute stats written and read back: summed per minute, per merchant and for everyone; old minutes go. */
class MinuteStatsTest {
    private static final Instant T = Instant.parse("2026-11-30T10:00:00Z");

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void nodesTotalsAreSummedPerMinuteAndMerchantAndOldRowsAreDeleted(DatabaseConfig db) {
        try (EngineHarness h = EngineHarness.open(db)) {
            h.jdbc.inTransaction(c -> Jdbc.update(c, "delete from stats_minutes", ps -> {}));
            MutableClock clock = new MutableClock(T.plusSeconds(50));
            StatsRepository repo = new StatsRepository();
            MinuteStats a = new MinuteStats();
            MinuteStats b = new MinuteStats();
            a.record("mA", T.plusSeconds(1), Duration.ofMillis(40), true, T);
            a.record("mA", T.plusSeconds(2), Duration.ofMillis(900), false, null);
            b.record("mB", T.plusSeconds(3), Duration.ofMillis(40), true, T);
            b.record(null, T.plusSeconds(61), Duration.ofMillis(5), true, T.plusSeconds(60));
            StatsWriter wa = new StatsWriter(h.jdbc, repo, a, "node-a", clock);
            StatsWriter wb = new StatsWriter(h.jdbc, repo, b, "node-b", clock);
            wa.flush();
            wb.flush();
            a.record("mA", T.plusSeconds(4), Duration.ofMillis(40), true, T);
            wa.flush(); // replaces node a's earlier totals for the minute, does not add to them

            List<StatsRepository.Minute> all = read(h, repo, MinuteStats.ALL);
            assertThat(all).extracting(StatsRepository.Minute::minute).containsExactly(T, T.plusSeconds(60));
            assertThat(all.getFirst().attempts()).isEqualTo(4);
            assertThat(all.getFirst().acknowledged()).isEqualTo(3);
            assertThat(LatencyHistogram.quantile(all.getFirst().attemptMillis(), 0.5)).isBetween(32.0, 50.0);
            assertThat(all.get(1).attempts()).isEqualTo(1);
            List<StatsRepository.Minute> mA = read(h, repo, "mA");
            assertThat(mA).hasSize(1);
            assertThat(mA.getFirst().attempts()).isEqualTo(3);
            assertThat(LatencyHistogram.quantile(mA.getFirst().receiveMillis(), 0.5)).isBetween(1000.0, 1300.0); // 1,040 and 4,040 ms
            assertThat(read(h, repo, MinuteStats.NONE)).hasSize(1);
            assertThat(read(h, repo, "mC")).isEmpty();

            clock.advance(StatsWriter.HOLD.plusMinutes(2));
            wa.flush();
            a.record("mA", T.plusSeconds(5), Duration.ofMillis(40), true, T); // a late try for a forgotten minute is not counted
            wa.flush();
            assertThat(read(h, repo, "mA").getFirst().attempts()).isEqualTo(3);

            clock.advance(StatsWriter.KEEP);
            wa.flush();
            assertThat(read(h, repo, MinuteStats.ALL)).isEmpty();
        }
    }

    private static List<StatsRepository.Minute> read(EngineHarness h, StatsRepository repo, String merchantId) {
        return h.jdbc.read(c -> repo.read(c, T, merchantId));
    }
}
