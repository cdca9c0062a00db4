package dev.herald.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One benchmark run: a fleet on loopback, a PostgreSQL server, and phases run one after another against them. A Herald
 * phase starts Herald in this JVM on a fresh database, creates the endpoints through its API, drives load, waits for the
 * deliveries to drain, stops Herald and collects the numbers; a raw phase drives the same generator straight at the fleet.
 */
final class Bench implements AutoCloseable {
    /** The outcome of one phase: flat metrics (for tables, JSON and CSV), acknowledgements per second, and the audit. */
    record Phase(String name, Map<String, Object> metrics, long[] timeline, Receipts.Audit audit) {
        double num(String key) {
            Object v = metrics.get(key);
            return v instanceof Number n ? n.doubleValue() : Double.NaN;
        }
    }

    final Settings settings;
    final PgServer pg;
    final Fleet fleet;
    final String runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"));
    private final PrintStream out;

    private Bench(Settings settings, PgServer pg, Fleet fleet, PrintStream out) {
        this.settings = settings;
        this.pg = pg;
        this.fleet = fleet;
        this.out = out;
    }

    static Bench open(Settings s, PgServer pg, PrintStream out) throws IOException {
        Fleet fleet = Fleet.start(s.endpoints(), s.fleetPorts(), s.fleetThreads().equals("platform"));
        out.printf("fleet: %,d endpoints on %,d loopback port(s), %s threads%n", fleet.size(), fleet.portCount(), s.fleetThreads());
        return new Bench(s, pg, fleet, out);
    }

    /**
     * Waits (at most {@code --quiet-wait} seconds) until processes other than this JVM use less than a quarter core, so a
     * phase does not start while someone's build shares the machine; each phase still reports what others used.
     */
    void awaitQuietMachine(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.quietWait());
        boolean told = false;
        while (true) {
            long[] m0 = Meter.machineTicks();
            long cpu0 = Meter.processCpuNanos();
            long pg0 = pg.cpuNanos().orElse(0);
            Thread.sleep(1000);
            long[] m1 = Meter.machineTicks();
            if (m0 == null || m1 == null) {
                return;
            }
            double others = (m1[0] - m0[0]) / 100.0 - (Meter.processCpuNanos() - cpu0) / 1e9 - (pg.cpuNanos().orElse(0) - pg0) / 1e9;
            if (others < 0.25) {
                return;
            }
            if (System.nanoTime() > deadline) {
                out.printf("[%s] machine still busy (other processes use %.2f cores); starting anyway%n", name, others);
                return;
            }
            if (!told) {
                out.printf("[%s] waiting up to %d s for a quiet machine (other processes use %.2f cores)%n", name, settings.quietWait(), others);
                told = true;
            }
        }
    }

    /** The raw limit: the generator posting every delivery straight to a fleet behaving as {@code behaviours}. */
    Phase raw(String name, Behaviour[] behaviours) throws Exception {
        Settings s = settings;
        awaitQuietMachine(name);
        fleet.behaviours(behaviours);
        Workload w = s.workload(name + "-");
        boolean[] tracked = trackedMask(behaviours);
        Receipts receipts = new Receipts(w, s.events(), tracked, tracked);
        fleet.sink(receipts);
        LoadGenerator.Plan plan = new LoadGenerator.Plan(TimeUnit.SECONDS.toNanos(s.rawDuration()), s.events(), s.rawConcurrency(), 1, 0, 0);
        Meter meter = new Meter(null).start();
        long fleetRequests0 = fleet.requests();
        long fleetBytes0 = fleet.bodyBytes();
        long fleetConnections0 = fleet.connectionsAccepted();
        LoadGenerator gen;
        long loadStart = System.nanoTime();
        receipts.begin(loadStart);
        long warmup = TimeUnit.SECONDS.toNanos(s.rawWarmup());
        try (Targets.Raw target = new Targets.Raw(fleet, w, receipts, s.rawConcurrency())) {
            gen = new LoadGenerator(plan, target, receipts);
            receipts.openWindow(loadStart + warmup);
            try (Progress p = new Progress(name, gen, receipts, meter, loadStart).start()) {
                gen.run();
                receipts.closeWindow(System.nanoTime());
            }
        } finally {
            fleet.sink(null);
        }
        Map<String, Object> m = header(name, "raw", s.rawConcurrency(), 1, 0);
        load(m, gen, receipts, loadStart);
        fleetCounters(m, fleet.requests() - fleetRequests0, fleet.bodyBytes() - fleetBytes0);
        m.put("fleet_connections", fleet.connectionsAccepted() - fleetConnections0);
        m.putAll(meter.stop());
        warnFds(name, m);
        Receipts.Audit audit = receipts.audit(gen.issued());
        audit(m, audit, receipts.pendingTracked(), true, 0);
        if (m.get("alloc_bytes") instanceof Number a && receipts.uniqueAcks() > 0) {
            m.put("alloc_bytes_per_delivery", Math.round(a.doubleValue() / receipts.uniqueAcks()));
        }
        return new Phase(name, m, receipts.timeline(secondsSince(receipts.originNanos())), audit);
    }

    /**
     * What a scenario does around the shared Herald phase skeleton (fresh database, start, endpoints, load, drain, audit).
     * Every hook is optional; the default is Herald in this JVM with active endpoints and nothing else.
     */
    interface Script {
        Script IN_PROCESS = new Script() {};

        /** Starts the Herald under test on {@code databaseUrl}. */
        default HeraldUnderTest start(Bench bench, String phase, String databaseUrl) throws Exception {
            return BenchHerald.start(databaseUrl, bench.settings.maxInFlight(), bench.settings.maxBodyBytes());
        }

        default AdminApi.EndpointOptions endpoints(Settings s) {
            return AdminApi.EndpointOptions.of(s);
        }

        /** After the endpoints exist, before the load. */
        default void ready(Run run) throws Exception {}

        /** On its own thread while the generator runs (an exception fails the phase). */
        default void duringLoad(Run run) throws Exception {}

        /** After the load, at the start of the drain (the drain is timed from here). */
        default void beforeDrain(Run run) throws Exception {}

        /** After the drain, Herald still up: adds the scenario's own metrics to {@code m}. */
        default void after(Run run, Map<String, Object> m) throws Exception {}
    }

    /** A Herald phase in progress, as a {@link Script} sees it. */
    final class Run {
        final String name;
        final String database;
        final HeraldUnderTest herald;
        final String[] endpointIds;
        final Receipts receipts;
        final LoadGenerator gen;
        volatile long loadStart;
        private volatile Progress progress;

        private Run(String name, String database, HeraldUnderTest herald, String[] endpointIds, Receipts receipts, LoadGenerator gen) {
            this.name = name;
            this.database = database;
            this.herald = herald;
            this.endpointIds = endpointIds;
            this.receipts = receipts;
            this.gen = gen;
        }

        Bench bench() {
            return Bench.this;
        }

        /** Names what the progress lines show (load, outage, drain, …). */
        void label(String what) {
            Progress p = progress;
            if (p != null) {
                p.phase(what);
            }
        }

        void log(String format, Object... args) {
            out.printf("[" + name + "] " + format + "%n", args);
        }

        /** Seconds since the load started. */
        double sinceLoadStart(long nanos) {
            return Meter.round((nanos - loadStart) / 1e9);
        }
    }

    /** Herald in this JVM on a fresh database with the fleet behaving as {@code behaviours}; {@code measured} marks the endpoints reported apart. */
    Phase herald(String name, Behaviour[] behaviours, boolean[] measured, LoadGenerator.Plan plan) throws Exception {
        return herald(name, behaviours, measured, plan, Script.IN_PROCESS);
    }

    /** The Herald phase skeleton: {@code script} decides which Herald runs and what happens to it around load and drain. */
    Phase herald(String name, Behaviour[] behaviours, boolean[] measured, LoadGenerator.Plan plan, Script script) throws Exception {
        Settings s = settings;
        String db = ("herald_bench_" + runId + "_" + name).toLowerCase().replaceAll("[^a-z0-9_]", "_");
        fleet.behaviours(behaviours);
        Workload w = s.workload(name + "-");
        boolean[] tracked = trackedMask(behaviours);
        Receipts receipts = new Receipts(w, plan.maxEvents(), tracked, measured);
        pg.createDatabase(db);
        Map<String, Object> m = header(name, "herald", plan.concurrency(), plan.batch(), plan.rate());
        m.put("database", db);
        try {
            long setupStart = System.nanoTime();
            LoadGenerator gen;
            Meter meter;
            long walStart;
            long loadStart;
            boolean drained;
            double drainSeconds;
            long drainAcks;
            long fleetRequests0;
            long fleetBytes0;
            long fleetConnections0;
            try (HeraldUnderTest herald = script.start(this, name, pg.url(db))) {
                String[] ids = AdminApi.createEndpoints(herald, fleet, w, script.endpoints(s));
                m.put("setup_s", Meter.round((System.nanoTime() - setupStart) / 1e9));
                out.printf("[%s] Herald up on 127.0.0.1:%s, %,d endpoints created in %.1f s; database %s%n",
                        name, Arrays.toString(herald.ports()), w.endpoints(), (System.nanoTime() - setupStart) / 1e9, db);
                try (Targets.Herald target = new Targets.Herald(herald, w, receipts, plan.concurrency())) {
                    gen = new LoadGenerator(plan, target, receipts);
                    Run run = new Run(name, db, herald, ids, receipts, gen);
                    script.ready(run);
                    awaitQuietMachine(name);
                    fleet.sink(receipts);
                    fleet.resetPeaks();
                    fleetRequests0 = fleet.requests();
                    fleetBytes0 = fleet.bodyBytes();
                    fleetConnections0 = fleet.connectionsAccepted();
                    walStart = pg.walBytes();
                    meter = new Meter(pg, herald).start();
                    loadStart = System.nanoTime();
                    run.loadStart = loadStart;
                    receipts.begin(loadStart);
                    receipts.openWindow(loadStart + TimeUnit.SECONDS.toNanos(s.warmup()));
                    try (Progress p = new Progress(name, gen, receipts, meter, loadStart).start()) {
                        run.progress = p;
                        java.util.concurrent.CompletableFuture<Void> during = java.util.concurrent.CompletableFuture.runAsync(() -> {
                            try {
                                script.duringLoad(run);
                            } catch (Exception e) {
                                throw new java.util.concurrent.CompletionException(e);
                            }
                        }, r -> Thread.ofPlatform().daemon().name("bench-script").start(r));
                        gen.run();
                        receipts.closeWindow(System.nanoTime());
                        during.join();
                        long drainStart = System.nanoTime();
                        long acks0 = receipts.uniqueAcks();
                        p.phase("drain");
                        script.beforeDrain(run);
                        long drainEnd = drainStart + TimeUnit.SECONDS.toNanos(s.drainTimeout());
                        // The count can reach 0 early when deliveries of events whose POST failed (committed before a
                        // kill) arrive too, so the exact audit has the last word.
                        while ((receipts.pendingTracked() > 0 || receipts.audit(gen.issued()).lost() > 0) && System.nanoTime() < drainEnd) {
                            Thread.sleep(20);
                        }
                        drained = receipts.pendingTracked() <= 0 && receipts.audit(gen.issued()).lost() == 0;
                        drainSeconds = (System.nanoTime() - drainStart) / 1e9;
                        drainAcks = receipts.uniqueAcks() - acks0;
                    }
                    if (!drained) {
                        List<String> stuck = pendingInDatabase(db);
                        m.put("db_pending_at_end", stuck);
                        out.printf("[%s] not drained: %,d accepted deliveries not received; the database's pending deliveries "
                                + "(claimed_by, ordering, partition owner, attempts: count): %s%n", name, receipts.pendingTracked(), stuck);
                    }
                    m.putAll(meter.stop());
                    script.after(run, m);
                }
                warnFds(name, m);
                fleet.releaseHangs();
            } finally {
                fleet.sink(null);
                fleet.arrivals(null);
            }
            load(m, gen, receipts, loadStart);
            fleetCounters(m, fleet.requests() - fleetRequests0, fleet.bodyBytes() - fleetBytes0);
            m.put("fleet_connections", fleet.connectionsAccepted() - fleetConnections0);
            m.put("fleet_peak_concurrency_per_endpoint", fleet.peakConcurrency());
            m.put("wal_bytes", pg.walBytes() - walStart);
            Receipts.Audit audit = receipts.audit(gen.issued());
            audit(m, audit, receipts.pendingTracked(), drained, drainSeconds);
            m.put("drain_deliveries", drainAcks);
            m.put("drain_deliveries_per_s", Math.round(drainSeconds > 0 ? drainAcks / drainSeconds : 0));
            m.putAll(pg.stats(db));
            long deliveries = receipts.uniqueAcks();
            if (deliveries > 0) {
                m.put("rows_written_per_delivery", Meter.round(((Number) m.get("pg_rows_written")).doubleValue() / deliveries));
                m.put("commits_per_delivery", Meter.round(((Number) m.get("pg_xact_commit")).doubleValue() / deliveries));
                m.put("wal_bytes_per_delivery", Math.round(((Number) m.get("wal_bytes")).doubleValue() / deliveries));
                if (m.get("alloc_bytes") instanceof Number a) {
                    m.put("alloc_bytes_per_delivery", Math.round(a.doubleValue() / deliveries));
                }
                if (m.get("pg_deliveries_upd") instanceof Number upd && upd.longValue() > 0) {
                    m.put("deliveries_hot_update_share", Meter.round(((Number) m.get("pg_deliveries_hot_upd")).doubleValue() / upd.doubleValue()));
                }
                perThousand(m, "cpu_pg_s", deliveries);
                perThousand(m, "cpu_herald_s", deliveries);
                for (String k : List.copyOf(m.keySet())) {
                    if (k.matches("cpu_node\\d+_s")) {
                        perThousand(m, k, deliveries);
                    }
                }
            }
            return new Phase(name, m, receipts.timeline(secondsSince(receipts.originNanos())), audit);
        } finally {
            if (!s.keep()) {
                pg.dropDatabase(db);
            }
        }
    }

    /** How a bus phase publishes: all its events before the consumer starts, or while it consumes (closed loop). */
    enum Publish {
        /** All events first, then the consumer starts: its rate is its own, measured on a full queue, without publishers. */
        FIRST,
        /** While the consumer consumes, in the closed loop of {@code --max-pending}: live traffic, publishers share the box. */
        STEADY
    }

    /** Makes the {@link BusConsumer} of a bus phase once its fresh database {@code database} and workload exist. */
    interface BusSetup {
        BusConsumer prepare(String database, Workload w) throws Exception;
    }

    /**
     * A phase fed through RabbitMQ: a fresh database, the consumer {@code setup} makes (its queue declared in
     * {@code vhost}), events published there as the reference bank publishes them ({@link Targets.Bus}) as
     * {@code publish} says, the wait until every confirmed event reached the fleet (or {@code --drain-timeout}), the audit.
     * With {@link Publish#FIRST} the rate, CPU and the window ({@code --warmup} excluded) cover the consumption only.
     */
    Phase bus(String name, Behaviour[] behaviours, LoadGenerator.Plan plan, RabbitBroker.Vhost vhost, Publish publish, BusSetup setup) throws Exception {
        Settings s = settings;
        String db = ("herald_bench_" + runId + "_" + name).toLowerCase().replaceAll("[^a-z0-9_]", "_");
        fleet.behaviours(behaviours);
        Workload w = s.workload(name + "-");
        boolean[] tracked = trackedMask(behaviours);
        Receipts receipts = new Receipts(w, plan.maxEvents(), tracked, tracked);
        pg.createDatabase(db);
        Map<String, Object> m = header(name, "bus", plan.concurrency(), plan.batch(), plan.rate());
        m.put("database", db);
        m.put("vhost", vhost.name);
        m.put("publish", publish.name().toLowerCase());
        try {
            long setupStart = System.nanoTime();
            LoadGenerator gen;
            Meter meter;
            long walStart;
            long start;
            Drain drain;
            long fleetRequests0;
            long fleetBytes0;
            long fleetConnections0;
            BusConsumer consumer = setup.prepare(db, w);
            try (consumer; Targets.Bus target = new Targets.Bus(vhost.url, w, receipts)) {
                m.put("system", consumer.describe());
                m.put("setup_s", Meter.round((System.nanoTime() - setupStart) / 1e9));
                out.printf("[%s] %s on queue %s, %,d endpoints; database %s, virtual host %s%n", name, consumer.describe(), consumer.queue(),
                        w.endpoints(), db, vhost.name);
                gen = new LoadGenerator(plan, target, receipts);
                awaitQuietMachine(name);
                fleet.sink(receipts);
                fleet.resetPeaks();
                if (publish == Publish.FIRST) {
                    long publishStart = System.nanoTime();
                    try (Meter publishing = new Meter(pg).start(); Progress p = new Progress(name, gen, receipts, publishing, publishStart).start()) {
                        p.phase("publish");
                        gen.run();
                    }
                    double seconds = (System.nanoTime() - publishStart) / 1e9;
                    m.put("publish_s", Meter.round(seconds));
                    m.put("published_per_s", Math.round(receipts.acceptedEvents() / seconds));
                    m.put("queue_ready_at_start", vhost.ready(consumer.queue()));
                    out.printf("[%s] %,d events published in %.1f s; starting the consumer%n", name, receipts.acceptedEvents(), seconds);
                }
                fleetRequests0 = fleet.requests();
                fleetBytes0 = fleet.bodyBytes();
                fleetConnections0 = fleet.connectionsAccepted();
                consumer.start();
                walStart = pg.walBytes();
                meter = new Meter(pg).start();
                start = System.nanoTime();
                receipts.begin(start);
                receipts.openWindow(start + TimeUnit.SECONDS.toNanos(s.warmup()));
                try (Progress p = new Progress(name, gen, receipts, meter, start).start()) {
                    if (publish == Publish.STEADY) {
                        gen.run();
                        receipts.closeWindow(System.nanoTime());
                    }
                    p.phase(publish == Publish.FIRST ? "consume" : "drain");
                    drain = drain(gen, receipts);
                    if (publish == Publish.FIRST) {
                        receipts.closeWindow(System.nanoTime());
                    }
                }
                m.putAll(meter.stop());
                m.put("queue_ready_at_end", vhost.ready(consumer.queue()));
                consumer.running(m);
            } finally {
                fleet.sink(null);
            }
            warnFds(name, m);
            load(m, gen, receipts, start);
            fleetCounters(m, fleet.requests() - fleetRequests0, fleet.bodyBytes() - fleetBytes0);
            m.put("fleet_connections", fleet.connectionsAccepted() - fleetConnections0);
            m.put("fleet_peak_concurrency_per_endpoint", fleet.peakConcurrency());
            m.put("wal_bytes", pg.walBytes() - walStart);
            Receipts.Audit audit = receipts.audit(gen.issued());
            audit(m, audit, receipts.pendingTracked(), drain.drained(), drain.seconds());
            m.put("drain_deliveries", drain.acks());
            m.put("drain_deliveries_per_s", Math.round(drain.seconds() > 0 ? drain.acks() / drain.seconds() : 0));
            m.putAll(pg.counters(db));
            m.putAll(consumer.closed());
            long deliveries = receipts.uniqueAcks();
            if (deliveries > 0) {
                m.put("rows_written_per_delivery", Meter.round(((Number) m.get("pg_rows_written")).doubleValue() / deliveries));
                m.put("commits_per_delivery", Meter.round(((Number) m.get("pg_xact_commit")).doubleValue() / deliveries));
                perThousand(m, "cpu_pg_s", deliveries);
            }
            return new Phase(name, m, receipts.timeline(secondsSince(receipts.originNanos())), audit);
        } finally {
            if (!s.keep()) {
                pg.dropDatabase(db);
            }
        }
    }

    /** How the wait for the last accepted deliveries ended. */
    private record Drain(boolean drained, double seconds, long acks) {}

    /** Waits up to {@code --drain-timeout} until every accepted delivery to an always-acknowledging endpoint arrived. */
    private Drain drain(LoadGenerator gen, Receipts receipts) throws InterruptedException {
        long start = System.nanoTime();
        long acks0 = receipts.uniqueAcks();
        long end = start + TimeUnit.SECONDS.toNanos(settings.drainTimeout());
        while ((receipts.pendingTracked() > 0 || receipts.audit(gen.issued()).lost() > 0) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        boolean drained = receipts.pendingTracked() <= 0 && receipts.audit(gen.issued()).lost() == 0;
        return new Drain(drained, (System.nanoTime() - start) / 1e9, receipts.uniqueAcks() - acks0);
    }

    /** What the database says of the deliveries still pending (for a phase that did not drain), grouped, most first. */
    private List<String> pendingInDatabase(String db) {
        List<String> out = new java.util.ArrayList<>();
        try (java.sql.Connection c = pg.connect(db); java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(
                "select coalesce(d.claimed_by, '-'), e.ordering, coalesce(p.owner, '-'), d.attempts, count(*) from deliveries d"
                        + " join endpoints e on e.id = d.endpoint_id left join partitions p on p.id = e.partition where d.status = 'pending'"
                        + " group by 1, 2, 3, 4 order by 5 desc limit 10")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3) + "/" + rs.getInt(4) + ": " + rs.getLong(5));
            }
        } catch (java.sql.SQLException e) {
            out.add("cannot read: " + e.getMessage());
        }
        return out;
    }

    /** {@code <key>_per_1k}: CPU seconds of {@code key} per 1,000 deliveries received. */
    private static void perThousand(Map<String, Object> m, String key, long deliveries) {
        if (m.get(key) instanceof Number n) {
            m.put(key.substring(0, key.length() - 2) + "_s_per_1k", Math.round(n.doubleValue() * 1000 / deliveries * 1000) / 1000.0);
        }
    }

    private Map<String, Object> header(String name, String kind, int concurrency, int batch, double rate) {
        Settings s = settings;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", name);
        m.put("kind", kind);
        m.put("endpoints", s.endpoints());
        m.put("fanout", s.fanout());
        m.put("event_bytes", s.eventBytes());
        m.put("batch", batch);
        m.put("concurrency", concurrency);
        m.put("rate_target", rate);
        m.put("max_in_flight_per_endpoint", s.maxInFlight());
        return m;
    }

    private static void load(Map<String, Object> m, LoadGenerator gen, Receipts r, long loadStart) {
        double window = r.windowSeconds();
        m.put("window_s", Meter.round(window));
        m.put("events_sent", gen.sent());
        m.put("events_accepted", r.acceptedEvents());
        m.put("requests", gen.requests());
        m.put("requests_failed", gen.failedRequests());
        m.put("request_errors", gen.errors());
        m.put("late_batches", gen.late());
        m.put("producer_pending_wait_s", Meter.round(gen.pendingWaitSeconds()));
        m.put("deliveries", r.uniqueAcks());
        m.put("deliveries_per_s", Math.round(window > 0 ? r.windowAcks() / window : 0));
        m.put("measured_deliveries_per_s", Math.round(window > 0 ? r.windowAcksMeasured() / window : 0));
        m.put("events_accepted_per_s", Math.round(r.acceptedEvents() / Math.max(1e-9, (System.nanoTime() - loadStart) / 1e9)));
        latency(m, "latency", r.latency);
        latency(m, "measured_latency", r.latencyMeasured);
        m.put("request_p50_ms", ms(gen.requestLatency.percentile(0.50)));
        m.put("request_p99_ms", ms(gen.requestLatency.percentile(0.99)));
        m.put("request_max_ms", ms(gen.requestLatency.max()));
        m.put("receiver_answers_not_2xx", r.failures());
        m.put("missing_sent_ns", r.missingSentNs());
    }

    /** Herald, fleet and generator share this process's descriptors: say so when the run came close to the limit. */
    private void warnFds(String name, Map<String, Object> m) {
        long max = ((Number) m.get("fd_max")).longValue();
        long limit = ((Number) m.get("fd_limit")).longValue();
        if (limit > 0 && max > limit * 0.8) {
            out.printf("[%s] WARNING: %,d open file descriptors of a limit of %,d (both ends of every loopback connection are in this "
                    + "process); raise ulimit -n or lower --max-in-flight / --producers%n", name, max, limit);
        }
    }

    private static void fleetCounters(Map<String, Object> m, long requests, long bytes) {
        m.put("fleet_requests", requests);
        m.put("fleet_avg_body_bytes", requests == 0 ? 0 : bytes / requests);
    }

    private static void latency(Map<String, Object> m, String prefix, Histogram h) {
        m.put(prefix + "_samples", h.count());
        m.put(prefix + "_p50_ms", ms(h.percentile(0.50)));
        m.put(prefix + "_p90_ms", ms(h.percentile(0.90)));
        m.put(prefix + "_p99_ms", ms(h.percentile(0.99)));
        m.put(prefix + "_p999_ms", ms(h.percentile(0.999)));
        m.put(prefix + "_max_ms", ms(h.max()));
        m.put(prefix + "_mean_ms", ms((long) h.mean()));
    }

    private static void audit(Map<String, Object> m, Receipts.Audit a, long pending, boolean drained, double drainSeconds) {
        m.put("expected_deliveries", a.expected());
        m.put("undelivered", a.lost());
        m.put("duplicates", a.duplicates());
        m.put("wrong_endpoint", a.wrongEndpoint());
        m.put("unknown_ids", a.unknownIds());
        m.put("delivered_but_not_accepted", a.unaccepted());
        m.put("pending_at_end", Math.max(0, pending));
        m.put("drained", drained);
        m.put("drain_s", Meter.round(drainSeconds));
    }

    static double ms(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    private static int secondsSince(long originNanos) {
        return (int) ((System.nanoTime() - originNanos) / 1_000_000_000L) + 1;
    }

    /** Endpoints that always end up acknowledging: their deliveries count for loss and pending. */
    static boolean[] trackedMask(Behaviour[] behaviours) {
        boolean[] t = new boolean[behaviours.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = behaviours[i].eventuallyAcks();
        }
        return t;
    }

    static boolean[] mask(Behaviour[] behaviours, Class<? extends Behaviour> kind) {
        boolean[] t = new boolean[behaviours.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = kind.isInstance(behaviours[i]);
        }
        return t;
    }

    static Behaviour[] uniform(int n, Behaviour b) {
        Behaviour[] all = new Behaviour[n];
        Arrays.fill(all, b);
        return all;
    }

    @Override
    public void close() {
        fleet.close();
    }

    /** Prints one progress line per second while a phase runs. */
    private final class Progress implements AutoCloseable {
        private final String name;
        private final LoadGenerator gen;
        private final Receipts receipts;
        private final Meter meter;
        private final long start;
        private Thread thread;
        private volatile String phase = "load";
        private volatile boolean running = true;

        Progress(String name, LoadGenerator gen, Receipts receipts, Meter meter, long start) {
            this.name = name;
            this.gen = gen;
            this.receipts = receipts;
            this.meter = meter;
            this.start = start;
        }

        /** Starts printing (until {@link #close()}); returns this. */
        synchronized Progress start() {
            if (thread == null && running) {
                thread = Thread.ofPlatform().daemon().name("bench-progress").start(this::loop);
            }
            return this;
        }

        void phase(String p) {
            phase = p;
        }

        private void loop() {
            long last = receipts.uniqueAcks();
            long next = start + 1_000_000_000L;
            while (running) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (!running) {
                    return;
                }
                long now = receipts.uniqueAcks();
                LongSupplier pending = receipts::pendingTracked;
                out.printf("[%s %s %3ds] sent %,d  accepted %,d  delivered/s %,d  pending %,d  failed-req %,d  cpu %.2f  heap %,d MiB  fds %,d%n",
                        name, phase, (System.nanoTime() - start) / 1_000_000_000L, gen.sent(), receipts.acceptedEvents(), now - last,
                        Math.max(0, pending.getAsLong()), gen.failedRequests(), meter.coresSoFar(), meter.heapMaxSoFar() >> 20, Meter.openFds());
                last = now;
                next += 1_000_000_000L;
            }
        }

        @Override
        public synchronized void close() {
            running = false;
            if (thread != null) {
                thread.interrupt();
            }
        }
    }
}
