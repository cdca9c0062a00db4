package dev.herald.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.herald.http.AttemptResult;
import dev.herald.http.ErrorClass;
import dev.herald.stats.MinuteStats;
import dev.herald.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class EngineMetricsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static AttemptResult response(int status, long millis) {
        return new AttemptResult(Instant.parse("2026-01-01T00:00:00Z"), Duration.ofMillis(millis), status, null, null, "ok", Map.of());
    }

    private static AttemptResult transport(ErrorClass error) {
        return new AttemptResult(Instant.parse("2026-01-01T00:00:00Z"), Duration.ofMillis(5), 0, error, "boom", null, Map.of());
    }

    private double attempts(String errorClass, String statusClass) {
        return registry.get("herald.attempts").tags("error_class", errorClass, "status_class", statusClass).counter().count();
    }

    @Test
    void attemptsAreCountedByErrorClassAndStatusClass() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        m.attempt("ep_1", "m_1", response(200, 20), true, null);
        m.attempt("ep_1", "m_1", response(204, 20), true, null);
        m.attempt("ep_1", "m_1", response(503, 20), false, null);
        m.attempt("ep_1", "m_1", response(404, 20), false, null);
        m.attempt("ep_1", "m_1", response(200, 20), false, null); // 2xx without the expected acknowledgement
        m.attempt("ep_1", "m_1", transport(ErrorClass.TIMEOUT), false, null);
        m.attempt("ep_1", "m_1", transport(ErrorClass.CONNECT), false, null);

        assertThat(attempts("none", "2xx")).isEqualTo(2);
        assertThat(attempts("http_status", "5xx")).isEqualTo(1);
        assertThat(attempts("http_status", "4xx")).isEqualTo(1);
        assertThat(attempts("ack_mismatch", "2xx")).isEqualTo(1);
        assertThat(attempts("timeout", "none")).isEqualTo(1);
        assertThat(attempts("connect", "none")).isEqualTo(1);
        assertThat(registry.get("herald.attempt.duration").timer().count()).isEqualTo(7);
    }

    @Test
    void oneRecordedTryMovesTheMetersAndTheMinuteStatsByExactlyOne() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        Instant received = Instant.parse("2025-12-31T23:59:59Z");

        m.attempt("ep_1", "m_1", response(200, 20), true, received);

        assertThat(allAttempts()).isEqualTo(1);
        assertThat(attempts("none", "2xx")).isEqualTo(1);
        assertThat(m.minutes().snapshot()).extracting(MinuteStats.Totals::merchantId, MinuteStats.Totals::attempts, MinuteStats.Totals::acknowledged)
                .containsExactlyInAnyOrder(tuple(MinuteStats.ALL, 1L, 1L), tuple("m_1", 1L, 1L));
        assertThat(m.minutes().snapshot()).allSatisfy(t -> assertThat(LongStream.of(t.receiveMillis()).sum()).isEqualTo(1));

        m.attempt("ep_1", "m_1", response(503, 20), false, received);

        assertThat(allAttempts()).isEqualTo(2);
        assertThat(attempts("none", "2xx")).isEqualTo(1);
        assertThat(m.minutes().snapshot()).extracting(MinuteStats.Totals::merchantId, MinuteStats.Totals::attempts, MinuteStats.Totals::acknowledged)
                .containsExactlyInAnyOrder(tuple(MinuteStats.ALL, 2L, 1L), tuple("m_1", 2L, 1L));
        assertThat(m.minutes().snapshot()).allSatisfy(t -> assertThat(LongStream.of(t.receiveMillis()).sum()).isEqualTo(1)); // failures: not timed
    }

    private double allAttempts() {
        return registry.get("herald.attempts").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void labelValuesComeFromAFixedSetWithoutEndpointIds() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        for (int i = 0; i < 50; i++) {
            m.attempt("ep_" + i, "m_1", response(500 + i % 5, 1), false, null);
            m.attempt("ep_" + i, "m_1", transport(ErrorClass.values()[i % ErrorClass.values().length]), false, null);
        }
        m.refreshTopEndpoints();
        Set<String> tagKeys = registry.getMeters().stream().flatMap(x -> x.getId().getTags().stream()).map(t -> t.getKey()).collect(Collectors.toSet());
        assertThat(tagKeys).isSubsetOf("outcome", "error_class", "status_class", "le"); // le: the histograms' bucket bounds
        long attemptSeries = registry.getMeters().stream().filter(x -> x.getId().getName().equals("herald.attempts")).count();
        assertThat(attemptSeries).isLessThanOrEqualTo(20);
    }

    @Test
    void aDeliveryRecordsItsPublishToReceiveLatency() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        Instant received = Instant.parse("2026-01-01T00:00:00Z");
        m.delivered(received, received.plusMillis(1500));
        m.delivered(null, received); // event receipt unknown: counted, not timed
        m.failed();
        m.cancelled(3);

        assertThat(registry.get("herald.deliveries").tag("outcome", "delivered").counter().count()).isEqualTo(2);
        assertThat(registry.get("herald.deliveries").tag("outcome", "failed").counter().count()).isEqualTo(1);
        assertThat(registry.get("herald.deliveries").tag("outcome", "cancelled").counter().count()).isEqualTo(3);
        var latency = registry.get("herald.publish.to.receive").timer();
        assertThat(latency.count()).isEqualTo(1);
        assertThat(latency.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(1500);
    }

    @Test
    void ingestGroupsCountStoredEventsAndRecordTheirSize() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        m.ingestGroup(10, 7);
        m.ingestGroup(1, 1);
        assertThat(registry.get("herald.events.ingested").counter().count()).isEqualTo(8);
        assertThat(registry.get("herald.ingest.group.size").summary().count()).isEqualTo(2);
        assertThat(registry.get("herald.ingest.group.size").summary().max()).isEqualTo(10);
    }

    @Test
    void theOldestPendingAgeGrowsBetweenBacklogCounts() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        assertThat(registry.get("herald.oldest.pending.age").gauge().value()).isZero();
        m.backlog(42, clock.instant().minusSeconds(10));
        clock.advance(Duration.ofSeconds(5));
        assertThat(registry.get("herald.deliveries.pending").gauge().value()).isEqualTo(42);
        assertThat(registry.get("herald.oldest.pending.age").gauge().value()).isEqualTo(15);
        m.backlog(0, null);
        assertThat(registry.get("herald.oldest.pending.age").gauge().value()).isZero();
    }

    @Test
    void watchedGaugesReadTheEngineAtEachLook() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        int[] inFlight = {3};
        m.watch(() -> inFlight[0], () -> 2);
        assertThat(registry.get("herald.tries.in.flight").gauge().value()).isEqualTo(3);
        inFlight[0] = 5;
        assertThat(registry.get("herald.tries.in.flight").gauge().value()).isEqualTo(5);
        assertThat(registry.get("herald.breakers.open").gauge().value()).isEqualTo(2);
    }

    @Test
    void theTopEndpointsShowAtMostNOfTheWorstAndForgetOldWindows() {
        EngineMetrics m = new EngineMetrics(registry, clock, 2, Duration.ofMinutes(1));
        for (int i = 0; i < 5; i++) {
            m.attempt("ep_worst", "m_1", response(500, 1), false, null);
        }
        for (int i = 0; i < 3; i++) {
            m.attempt("ep_bad", "m_1", transport(ErrorClass.TIMEOUT), false, null);
        }
        m.attempt("ep_meh", "m_1", response(500, 1), false, null);
        m.attempt("ep_fine", "m_1", response(200, 1), true, null);
        m.refreshTopEndpoints();

        assertThat(failuresByEndpoint()).containsExactlyInAnyOrderEntriesOf(Map.of("ep_worst", 5.0, "ep_bad", 3.0));

        clock.advance(Duration.ofMinutes(1));
        m.refreshTopEndpoints(); // the first window becomes the previous one and still counts
        m.attempt("ep_meh", "m_1", response(500, 1), false, null);
        m.refreshTopEndpoints();
        assertThat(failuresByEndpoint()).containsExactlyInAnyOrderEntriesOf(Map.of("ep_worst", 5.0, "ep_bad", 3.0));

        clock.advance(Duration.ofMinutes(1));
        m.refreshTopEndpoints(); // the first window is forgotten
        assertThat(failuresByEndpoint()).containsExactlyInAnyOrderEntriesOf(Map.of("ep_meh", 1.0));
    }

    @Test
    void withoutTopEndpointsNoEndpointIsRemembered() {
        EngineMetrics m = new EngineMetrics(registry, clock, 0, Duration.ofMinutes(1));
        m.attempt("ep_worst", "m_1", response(500, 1), false, null);
        m.refreshTopEndpoints();
        assertThat(registry.find("herald.endpoint.recent.failures").meters()).isEmpty();
        assertThatThrownBy(() -> new EngineMetrics(registry, clock, -1, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
    }

    private Map<String, Double> failuresByEndpoint() {
        return registry.find("herald.endpoint.recent.failures").gauges().stream()
                .collect(Collectors.toMap(g -> g.getId().getTag("endpoint_id"), g -> g.value()));
    }
}
