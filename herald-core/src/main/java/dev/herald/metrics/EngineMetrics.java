package dev.herald.metrics;

import dev.herald.http.AttemptResult;
import dev.herald.http.ErrorClass;
import dev.herald.stats.MinuteStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The delivery engine's meters, as Prometheus names them: {@code herald_events_ingested_total},
 * {@code herald_ingest_group_size}, {@code herald_deliveries_total{outcome}}, {@code herald_attempts_total{error_class,
 * status_class}}, {@code herald_attempt_duration_seconds}, {@code herald_publish_to_receive_seconds},
 * {@code herald_deliveries_pending}, {@code herald_oldest_pending_age_seconds}, {@code herald_tries_in_flight},
 * {@code herald_breakers_open} and, only when {@code topEndpoints > 0}, {@code herald_endpoint_recent_failures{endpoint_id}}.
 *
 * <p>Every label takes values from a fixed set, except {@code endpoint_id}, which names at most {@code topEndpoints}
 * endpoints at a time. The per-attempt methods touch pre-created meters only (no lookups, no strings); the backlog
 * gauges show what the engine last reported through {@link #backlog}, so a scrape never queries the database.
 *
 * <p>Each try is counted once, by {@link #attempt}, and shown two ways: by these meters and by the per-minute,
 * per-merchant {@link #minutes() minute stats} the console charts. Thread-safe.
 */
public final class EngineMetrics {
    /** Bucket bounds of {@code herald_attempt_duration_seconds}. */
    static final Duration[] ATTEMPT_BUCKETS = millis(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000);
    /** Bucket bounds of {@code herald_publish_to_receive_seconds}: from a fast first try to a day of retries. */
    static final Duration[] PUBLISH_TO_RECEIVE_BUCKETS = millis(10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
            300_000, 900_000, 3_600_000, 21_600_000, 86_400_000);
    /** Status classes, indexed by {@link #statusClass}. */
    private static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx", "other"};
    private static final int NONE = ErrorClass.values().length;

    private final MeterRegistry registry;
    private final Clock clock;
    private final int topEndpoints;
    private final Duration window;
    private final Counter ingested;
    private final DistributionSummary groupSize;
    private final Counter delivered;
    private final Counter failed;
    private final Counter cancelled;
    /** By error class ordinal (then "none" for a success), then status class; null where the pair cannot occur. */
    private final Counter[][] attempts = new Counter[NONE + 1][STATUS_CLASSES.length];
    private final Timer attemptDuration;
    private final Timer publishToReceive;
    private volatile long pending;
    private volatile Instant oldestPending;
    private final MultiGauge worst;
    private volatile Map<String, LongAdder> current = new ConcurrentHashMap<>();
    private volatile Map<String, LongAdder> previous = Map.of();
    private volatile Instant windowStart;
    private volatile int partitionDays;
    private volatile int partitionsKept;
    private final Counter partitionsDropped;
    private final Counter defaultPartitionRows;
    private final MinuteStats minutes = new MinuteStats();

    /**
     * Registers the meters on {@code registry}. With {@code topEndpoints > 0}, failed tries are also counted per
     * endpoint and the {@code topEndpoints} endpoints with the most in the last one to two {@code window}s are shown.
     */
    public EngineMetrics(MeterRegistry registry, Clock clock, int topEndpoints, Duration window) {
        if (topEndpoints < 0) {
            throw new IllegalArgumentException("topEndpoints must not be negative");
        }
        this.registry = registry;
        this.clock = clock;
        this.topEndpoints = topEndpoints;
        this.window = window;
        this.windowStart = clock.instant();
        this.ingested = Counter.builder("herald.events.ingested").description("Events stored (duplicates not counted)").register(registry);
        this.groupSize = DistributionSummary.builder("herald.ingest.group.size").description("Events written per ingest transaction")
                .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000).register(registry);
        this.delivered = outcome("delivered");
        this.failed = outcome("failed");
        this.cancelled = outcome("cancelled");
        for (ErrorClass e : ErrorClass.values()) {
            if (e == ErrorClass.HTTP_STATUS) {
                for (int s : new int[] {1, 3, 4, 5, 6}) {
                    attempts[e.ordinal()][s] = attemptCounter(e.wireName(), s);
                }
            } else {
                attempts[e.ordinal()][e == ErrorClass.ACK_MISMATCH ? 2 : 0] = attemptCounter(e.wireName(), e == ErrorClass.ACK_MISMATCH ? 2 : 0);
            }
        }
        attempts[NONE][2] = attemptCounter("none", 2);
        this.attemptDuration = Timer.builder("herald.attempt.duration").description("Duration of one HTTP try, connect to response")
                .serviceLevelObjectives(ATTEMPT_BUCKETS).register(registry);
        this.publishToReceive = Timer.builder("herald.publish.to.receive")
                .description("From an event's receipt by Herald to the response of the try that delivered it")
                .serviceLevelObjectives(PUBLISH_TO_RECEIVE_BUCKETS).register(registry);
        Gauge.builder("herald.deliveries.pending", () -> pending).description("Deliveries waiting to be sent or retried (refreshed every few seconds)")
                .register(registry);
        Gauge.builder("herald.oldest.pending.age", this::oldestPendingAgeSeconds).baseUnit("seconds")
                .description("Age of the oldest pending delivery (0 when none)").register(registry);
        Gauge.builder("herald.partitions.days", () -> partitionDays)
                .description("Day partitions of events, deliveries and attempts (as of the last maintenance run on this node)").register(registry);
        Gauge.builder("herald.partitions.kept", () -> partitionsKept)
                .description("Days past retention kept because they hold pending or resendable work (as of the last run)").register(registry);
        this.partitionsDropped = Counter.builder("herald.partitions.dropped").description("Days whose partitions were dropped by retention")
                .register(registry);
        this.defaultPartitionRows = Counter.builder("herald.partition.default.rows")
                .description("Rows found in a default partition (no partition for their day) and moved to their day's partition").register(registry);
        this.worst = topEndpoints == 0 ? null : MultiGauge.builder("herald.endpoint.recent.failures")
                .description("Failed tries of the endpoints with the most of them recently (at most --metrics-top-endpoints)").register(registry);
    }

    /**
     * The outcome of a partition maintenance run (see {@code PartitionMaintenance}): day partitions left, days past
     * retention kept for the work they hold, days dropped, rows found in a default partition (there should be none).
     */
    public void partitions(int days, int kept, int dropped, long defaultRows) {
        partitionDays = days;
        partitionsKept = kept;
        partitionsDropped.increment(dropped);
        defaultPartitionRows.increment(defaultRows);
    }

    /** Meters registered nowhere a scrape could see: for engines run without metrics (tests, benchmarks). */
    public static EngineMetrics none(Clock clock) {
        return new EngineMetrics(new CompositeMeterRegistry(), clock, 0, Duration.ofMinutes(1));
    }

    /** Shows {@code triesInFlight} and {@code breakersOpen} as gauges, read at each scrape (both must be cheap). */
    public void watch(IntSupplier triesInFlight, IntSupplier breakersOpen) {
        Gauge.builder("herald.tries.in.flight", triesInFlight::getAsInt).description("HTTP tries under way on this node").register(registry);
        Gauge.builder("herald.breakers.open", breakersOpen::getAsInt).description("Endpoints whose circuit breaker on this node refuses work")
                .register(registry);
    }

    /** One ingest transaction committed {@code groupEvents} events, of which {@code fresh} were not duplicates. */
    /**
     * One schema finding at ingest under rule {@code rule} (a bounded label): {@code herald_schema_warnings_total} when
     * the event was accepted anyway, {@code herald_schema_refused_total} when it was refused.
     */
    public void schemaFinding(String rule, boolean refused) {
        Counter.builder(refused ? "herald.schema.refused" : "herald.schema.warnings").tag("rule", rule)
                .description(refused ? "Events refused by the schema check at ingest, by rule" : "Schema findings on events accepted anyway, by rule")
                .register(registry).increment();
    }

    public void ingestGroup(int groupEvents, int fresh) {
        groupSize.record(groupEvents);
        ingested.increment(fresh);
    }

    /**
     * Counts one recorded try, in the meters and in the {@link #minutes() minute stats}: {@code success} when it was
     * acknowledged; {@code merchantId} owns the endpoint (null: none); {@code receivedAt} is when the event reached
     * Herald (null: unknown). {@code endpointId} is kept (for the top-N) only when top endpoints are on and the try failed.
     */
    public void attempt(String endpointId, String merchantId, AttemptResult result, boolean success, Instant receivedAt) {
        minutes.record(merchantId, result.startedAt(), result.duration(), success, success ? receivedAt : null);
        int code = result.statusCode();
        int error = success ? NONE : result.gotResponse() ? (code / 100 == 2 ? ErrorClass.ACK_MISMATCH.ordinal() : ErrorClass.HTTP_STATUS.ordinal())
                : result.transportError().ordinal();
        Counter c = attempts[error][statusClass(code)];
        if (c != null) {
            c.increment();
        }
        attemptDuration.record(result.duration().toNanos(), TimeUnit.NANOSECONDS);
        if (!success && topEndpoints > 0) {
            current.computeIfAbsent(endpointId, id -> new LongAdder()).increment();
        }
    }

    /** The tries counted by {@link #attempt}, per minute and merchant (what {@code StatsWriter} copies for the console). */
    public MinuteStats minutes() {
        return minutes;
    }

    /** A delivery succeeded with the response at {@code respondedAt} to an event received at {@code receivedAt} (null: unknown). */
    public void delivered(Instant receivedAt, Instant respondedAt) {
        delivered.increment();
        if (receivedAt != null) {
            publishToReceive.record(Math.max(0, Duration.between(receivedAt, respondedAt).toNanos()), TimeUnit.NANOSECONDS);
        }
    }

    /** A delivery failed for good (retries exhausted, or a test send failed). */
    public void failed() {
        failed.increment();
    }

    /** {@code n} pending deliveries were cancelled (their endpoint was deleted). */
    public void cancelled(int n) {
        cancelled.increment(n);
    }

    /** The backlog as last counted: {@code pending} deliveries, the oldest created at {@code oldest} (null: none). */
    public void backlog(long pending, Instant oldest) {
        this.pending = pending;
        this.oldestPending = oldest;
    }

    /**
     * Starts a new failure window once the current one is {@code window} old and shows the endpoints with the most
     * failed tries in the current and the previous window; call it periodically. Does nothing without top endpoints.
     */
    public void refreshTopEndpoints() {
        if (worst == null) {
            return;
        }
        Instant now = clock.instant();
        if (!now.isBefore(windowStart.plus(window))) {
            previous = current;
            current = new ConcurrentHashMap<>();
            windowStart = now;
        }
        Map<String, Long> sums = new java.util.HashMap<>();
        previous.forEach((id, n) -> sums.merge(id, n.sum(), Long::sum));
        current.forEach((id, n) -> sums.merge(id, n.sum(), Long::sum));
        List<MultiGauge.Row<?>> rows = sums.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .limit(topEndpoints)
                .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of("endpoint_id", e.getKey()), e.getValue()))
                .toList();
        worst.register(rows, true);
    }

    private double oldestPendingAgeSeconds() {
        Instant oldest = oldestPending;
        return oldest == null ? 0 : Math.max(0, Duration.between(oldest, clock.instant()).toMillis() / 1000.0);
    }

    private Counter outcome(String outcome) {
        return Counter.builder("herald.deliveries").tag("outcome", outcome).description("Deliveries that reached an end state")
                .register(registry);
    }

    private Counter attemptCounter(String errorClass, int statusClass) {
        return Counter.builder("herald.attempts").tags("error_class", errorClass, "status_class", STATUS_CLASSES[statusClass])
                .description("HTTP tries by why they failed (none: acknowledged) and the class of the response status").register(registry);
    }

    /** 0 for no response, 1..5 for 1xx..5xx, 6 for any other code. */
    private static int statusClass(int code) {
        return code == 0 ? 0 : code >= 100 && code < 600 ? code / 100 : 6;
    }

    private static Duration[] millis(long... ms) {
        Duration[] d = new Duration[ms.length];
        for (int i = 0; i < ms.length; i++) {
            d[i] = Duration.ofMillis(ms[i]);
        }
        return d;
    }
}
