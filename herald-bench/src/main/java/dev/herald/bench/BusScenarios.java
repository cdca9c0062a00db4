package dev.herald.bench;

import dev.herald.bus.Topology;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The scenarios fed through RabbitMQ. Events are published as the reference bank publishes them (one persistent message
 * per event on {@link Topology#EXCHANGE}, publisher confirms, {@code --batch} messages per confirm, {@code --producers}
 * publishers), either all before the consumer starts ({@link Bench.Publish#FIRST}: the consumer's own rate, on a full
 * queue) or while it consumes ({@link Bench.Publish#STEADY}: the closed loop of the other throughput scenarios, publishers
 * waiting while {@code --max-pending} confirmed events have not reached the fleet). Every phase runs in a virtual host of
 * its own.
 */
final class BusScenarios {
    /** What Herald's queue and the hand-written consumer's are bound by: the workload's event types ({@code bench.g<n>}). */
    static final List<String> BINDINGS = List.of("bench.*");
    /** DESIGN §5: Herald's deliveries/s against the tuned hand-written consumer's, same fleet, same run. */
    static final double TARGET_RATIO_TO_TUNED = 5.0;

    private BusScenarios() {}

    /**
     * Herald fed through the bus, then each hand-written consumer {@code shapes} (in that order, so the references run
     * on a fleet and publisher already warmed by Herald's phase), each on the same fleet with the same event stream; the
     * design shape takes the first {@code designEvents} events only (0: all), as it is slow.
     */
    static List<String> baseline(Bench b, RabbitBroker broker, Report r, PrintStream out, Bench.Publish publish, List<HandConsumer.Shape> shapes,
                                 long designEvents) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        Bench.Phase herald = derive(heraldOverBus(b, broker, "herald", fleet, plan(s, publish, s.events()), publish));
        r.add(herald);
        List<Bench.Phase> references = new ArrayList<>();
        for (HandConsumer.Shape shape : shapes) {
            long events = shape.name().equals("design") && designEvents > 0 ? Math.min(designEvents, s.events()) : s.events();
            try (RabbitBroker.Vhost v = broker.vhost(vhostName(b, shape.name()))) {
                Bench.Phase p = derive(b.bus(shape.name(), fleet, plan(s, publish, events), v, publish, (db, w) -> {
                    String jdbcUrl = b.pg.url(db);
                    AttemptLog.createTable(jdbcUrl);
                    return HandConsumer.connect(shape, v.url, BINDINGS, jdbcUrl, Subscriptions.of(w, b.fleet));
                }));
                references.add(p);
                r.add(p);
            }
        }
        double heraldRate = herald.num("deliveries_per_s");
        r.summary("publish", publish.name().toLowerCase());
        r.summary("herald_deliveries_per_s", herald.metrics().get("deliveries_per_s"));
        for (Bench.Phase p : references) {
            r.summary(p.name() + "_deliveries_per_s", p.metrics().get("deliveries_per_s"));
            r.summary("herald_to_" + p.name(), ratio(heraldRate, p.num("deliveries_per_s")));
        }
        r.summary("target_herald_to_tuned", TARGET_RATIO_TO_TUNED);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                new Report.Row("  Herald's deliveries/s / this", p -> p == herald ? null : ratio(heraldRate, p.num("deliveries_per_s")),
                        ">= " + TARGET_RATIO_TO_TUNED + " (tuned)"),
                Report.Row.of("events published (confirmed)", "events_accepted", "")));
        if (publish == Bench.Publish.FIRST) {
            rows.add(Report.Row.of("  published/s (before consuming)", "published_per_s", ""));
        } else {
            rows.add(Report.Row.of("publish->receive p50 ms", "latency_p50_ms", ""));
            rows.add(Report.Row.of("publish->receive p99 ms", "latency_p99_ms", ""));
        }
        rows.addAll(List.of(
                Report.Row.of("CPU, bench JVM (cores)", "cpu_bench_cores", "of 2"),
                Report.Row.of("  s per 1,000 deliveries", "cpu_bench_s_per_1k", ""),
                Report.Row.of("CPU, PostgreSQL (cores)", "cpu_pg_cores", ""),
                Report.Row.of("  s per 1,000 deliveries", "cpu_pg_s_per_1k", ""),
                Report.Row.of("CPU, RabbitMQ (cores)", "cpu_broker_cores", ""),
                Report.Row.of("  s per 1,000 deliveries", "cpu_broker_s_per_1k", ""),
                Report.Row.of("CPU, other processes (cores)", "cpu_other_cores", "~0"),
                Report.Row.of("PG rows written per delivery", "rows_written_per_delivery", ""),
                Report.Row.of("PG commits per delivery", "commits_per_delivery", ""),
                Report.Row.of("PG WAL KiB per delivery (whole server)", "wal_kib_per_delivery", ""),
                Report.Row.of("consumer: redelivered / requeued", "consumer_redelivered_requeued", ""),
                Report.Row.of("attempt rows (2xx)", "attempt_rows", "")));
        rows.addAll(audit());
        r.print(out, "baseline: RabbitMQ -> consumer -> " + s.endpoints() + " endpoints (" + s.fleet() + "), fanout " + s.fanout() + ", "
                + s.eventBytes() + " B events, published " + (publish == Bench.Publish.FIRST ? "first" : "steadily, max pending " + s.maxPending())
                + " by " + s.producers() + " publishers x " + s.batch() + " per confirm; consumers: "
                + shapes.stream().map(HandConsumer.Shape::toString).collect(Collectors.joining("; ")), rows);
        List<Bench.Phase> all = new ArrayList<>(List.of(herald));
        all.addAll(references);
        return failures(r, all);
    }

    /** Herald fed through the bus, next to Herald fed through {@code POST /v1/events} (unless {@code httpPhase} is false). */
    static List<String> busThroughput(Bench b, RabbitBroker broker, Report r, PrintStream out, Bench.Publish publish, boolean httpPhase) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        if (s.rawDuration() > 0) {
            r.add(b.raw("raw", fleet));
        }
        Bench.Phase http = httpPhase ? derive(b.herald("http", fleet, Bench.mask(fleet, Behaviour.Fast.class), Scenarios.heraldPlan(s))) : null;
        if (http != null) {
            r.add(http);
        }
        Bench.Phase bus = derive(heraldOverBus(b, broker, "bus", fleet, plan(s, publish, s.events()), publish));
        r.add(bus);
        Double ratio = http == null ? null : ratio(bus.num("deliveries_per_s"), http.num("deliveries_per_s"));
        r.summary("publish", publish.name().toLowerCase());
        r.summary("bus_deliveries_per_s", bus.metrics().get("deliveries_per_s"));
        r.summary("http_deliveries_per_s", http == null ? null : http.metrics().get("deliveries_per_s"));
        r.summary("bus_to_http", ratio);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                new Report.Row("  bus / HTTP ingest", p -> p == bus ? ratio : null, ""),
                Report.Row.of("events accepted/s (whole load)", "events_accepted_per_s", ""),
                Report.Row.of("CPU, RabbitMQ (cores)", "cpu_broker_cores", ""),
                Report.Row.of("  s per 1,000 deliveries", "cpu_broker_s_per_1k", ""),
                Report.Row.of("CPU, bench JVM s per 1,000 deliveries", "cpu_bench_s_per_1k", "")));
        rows.addAll(Scenarios.common());
        r.print(out, "bus-throughput: " + s.endpoints() + " endpoints (" + s.fleet() + "), fanout " + s.fanout() + ", " + s.eventBytes()
                + " B events; HTTP: batches of " + s.batch() + " per POST; bus: one message per event, " + s.batch() + " per confirm, published "
                + (publish == Bench.Publish.FIRST ? "first" : "steadily") + "; " + s.producers() + " producers, max pending " + s.maxPending(), rows);
        List<Bench.Phase> herald = new ArrayList<>();
        if (http != null) {
            herald.add(http);
        }
        herald.add(bus);
        return failures(r, herald);
    }

    /**
     * The generator's plan for a bus phase of at most {@code events}: publishing first, as fast as the broker confirms
     * (bounded by {@code --duration}); steadily, the closed loop of {@code --max-pending} (or {@code --rate}).
     */
    static LoadGenerator.Plan plan(Settings s, Bench.Publish publish, long events) {
        long duration = TimeUnit.SECONDS.toNanos(s.duration());
        return publish == Bench.Publish.FIRST
                ? new LoadGenerator.Plan(duration, events, s.producers(), s.batch(), 0, 0)
                : new LoadGenerator.Plan(duration, events, s.producers(), s.batch(), s.rate(), s.maxPending());
    }

    /** Herald in this JVM taking the events from RabbitMQ ({@link HeraldOnBus}) in a virtual host of its own. */
    static Bench.Phase heraldOverBus(Bench b, RabbitBroker broker, String name, Behaviour[] fleet, LoadGenerator.Plan plan, Bench.Publish publish)
            throws Exception {
        try (RabbitBroker.Vhost v = broker.vhost(vhostName(b, name))) {
            return b.bus(name, fleet, plan, v, publish, (db, w) -> HeraldOnBus.prepare(b, db, w, v.url, BINDINGS));
        }
    }

    private static String vhostName(Bench b, String phase) {
        return ("herald_bench_" + b.runId + "_" + phase).toLowerCase().replaceAll("[^a-z0-9_]", "_");
    }

    /** Adds the per-delivery figures the tables compare shapes by. */
    private static Bench.Phase derive(Bench.Phase p) {
        Map<String, Object> m = p.metrics();
        double deliveries = p.num("deliveries");
        if (deliveries > 0) {
            for (String k : new String[] {"cpu_bench_s", "cpu_broker_s"}) {
                if (m.get(k) instanceof Number n) {
                    m.put(k + "_per_1k", Math.round(n.doubleValue() * 1000 / deliveries * 1000) / 1000.0);
                }
            }
            if (m.get("wal_bytes") instanceof Number n) {
                m.put("wal_kib_per_delivery", Meter.round(n.doubleValue() / 1024 / deliveries));
            }
        }
        if (m.containsKey("consumer_redelivered")) {
            m.put("consumer_redelivered_requeued", m.get("consumer_redelivered") + " / " + m.get("consumer_requeued"));
            m.put("attempt_rows", m.get("db_attempt_rows") + " (" + m.get("db_attempt_rows_2xx") + ")");
        }
        return p;
    }

    private static Double ratio(double a, double b) {
        return b > 0 && !Double.isNaN(a) ? Meter.round(a / b) : null;
    }

    private static List<Report.Row> audit() {
        return List.of(
                Report.Row.of("deliveries received", "deliveries", ""),
                Report.Row.of("undelivered at end", "undelivered", "0"),
                Report.Row.of("duplicates", "duplicates", "0 Herald; reported"),
                Report.Row.of("wrong endpoint", "wrong_endpoint", "0"),
                Report.Row.of("left in the queue at end", "queue_ready_at_end", "0"),
                Report.Row.of("drained", "drained", "true"));
    }

    /**
     * Loss, misrouting and unknown ids fail every phase; duplicates fail Herald's (no duplicate sends in normal operation)
     * and are reported for the hand-written consumer (at least once: a message whose row failed is sent again). A
     * consumer must also hold a committed 2xx row for every delivery the fleet acknowledged, and Herald's database at least
     * one delivery per accepted event and endpoint (more when an unconfirmed publish reached the queue all the same).
     */
    static List<String> failures(Report r, List<Bench.Phase> phases) {
        List<String> out = new ArrayList<>();
        for (Bench.Phase p : phases) {
            Receipts.Audit a = p.audit();
            boolean consumer = p.metrics().containsKey("consumer_acked");
            if (a.lost() > 0) {
                out.add(p.name() + ": " + a.lost() + " of " + a.expected() + " published deliveries never reached their endpoint"
                        + (Boolean.TRUE.equals(p.metrics().get("drained")) ? "" : " (not drained within --drain-timeout)"));
            }
            if (!consumer && a.duplicates() > 0) {
                out.add(p.name() + ": " + a.duplicates() + " duplicate deliveries (same webhook-id acknowledged twice by one endpoint)");
            }
            if (a.wrongEndpoint() > 0) {
                out.add(p.name() + ": " + a.wrongEndpoint() + " deliveries to an endpoint not subscribed to the event");
            }
            if (a.unknownIds() > 0) {
                out.add(p.name() + ": " + a.unknownIds() + " deliveries with a webhook-id this phase never published");
            }
            if (consumer && p.num("db_delivered_pairs") < p.num("deliveries")) {
                out.add(p.name() + ": " + p.metrics().get("deliveries") + " deliveries acknowledged by the fleet but only "
                        + p.metrics().get("db_delivered_pairs") + " (message, URL) pairs with a committed 2xx row");
            }
            if (!consumer && p.num("db_deliveries") < p.num("events_accepted") * p.num("fanout")) {
                out.add(p.name() + ": only " + p.metrics().get("db_deliveries") + " deliveries in the database for "
                        + p.metrics().get("events_accepted") + " accepted events x fanout " + p.metrics().get("fanout"));
            }
        }
        r.summary("correctness_failures", out);
        return out;
    }
}
