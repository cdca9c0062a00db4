package dev.herald.bench;

import dev.herald.catalog.ValidationMode;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The scenarios: each runs its phases on a {@link Bench}, adds them to the {@link Report}, prints the table and returns
 * the correctness failures found (empty = every accepted delivery arrived once, at the right endpoint).
 */
final class Scenarios {
    private static final double MIB = 1024.0 * 1024.0;

    private Scenarios() {}

    static LoadGenerator.Plan heraldPlan(Settings s) {
        return new LoadGenerator.Plan(TimeUnit.SECONDS.toNanos(s.duration()), s.events(), s.producers(), s.batch(), s.rate(), s.maxPending());
    }

    /**
     * The raw phase (unless {@code --raw-duration 0}), then Herald on the same fleet, both added to the report;
     * returns {raw or null, herald}. Fast endpoints are the ones whose every delivery must arrive.
     */
    private static Bench.Phase[] rawThenHerald(Bench b, Report r) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        Bench.Phase raw = s.rawDuration() > 0 ? b.raw("raw", fleet) : null;
        if (raw != null) {
            r.add(raw);
        }
        Bench.Phase h = b.herald("herald", fleet, Bench.mask(fleet, Behaviour.Fast.class), heraldPlan(s));
        r.add(h);
        return new Bench.Phase[] {raw, h};
    }

    /** Deliveries/s at steady state against 1,000 fast endpoints, next to the raw limit of the same generator and fleet. */
    static List<String> throughput(Bench b, Report r, PrintStream out) throws Exception {
        Settings s = b.settings;
        Bench.Phase[] phases = rawThenHerald(b, r);
        Bench.Phase raw = phases[0];
        Bench.Phase h = phases[1];
        double ratio = raw == null ? Double.NaN : h.num("deliveries_per_s") / raw.num("deliveries_per_s");
        r.summary("herald_deliveries_per_s", h.metrics().get("deliveries_per_s"));
        r.summary("raw_deliveries_per_s", raw == null ? null : raw.metrics().get("deliveries_per_s"));
        r.summary("ratio_to_raw", Double.isNaN(ratio) ? null : Meter.round(ratio));
        r.summary("target_deliveries_per_s", 20_000);
        r.summary("target_ratio_to_raw", 0.5);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ">= 20,000"),
                new Report.Row("  ratio to raw limit", p -> p == raw ? 1.0 : Meter.round(ratio), ">= 0.50"),
                Report.Row.of("events accepted/s", "events_accepted_per_s", "")));
        rows.addAll(common());
        r.print(out, "throughput: " + s.endpoints() + " endpoints (" + s.fleet() + "), fanout " + s.fanout() + ", "
                + s.eventBytes() + " B events, batch " + s.batch() + ", " + s.producers() + " producers, max pending " + s.maxPending(), rows);
        return failures(r, List.of(h));
    }

    /**
     * The cost of the schema check at ingest: the same load twice on the same fleet, Herald with {@code --schema-validation
     * off}, then {@code enforce} (the other way round with {@code enforceFirst}: the first phase runs on a colder JVM); the workload's types are in the catalog in both phases (their data valid), so every
     * event is checked and accepted under enforce. Reports events accepted/s, deliveries/s and ingest CPU of each, and
     * the ratios.
     */
    static List<String> schemaCost(Bench b, Report r, PrintStream out, boolean enforceFirst) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        Bench.Phase off = null;
        Bench.Phase enforce = null;
        for (ValidationMode mode : enforceFirst ? List.of(ValidationMode.ENFORCE, ValidationMode.OFF) : List.of(ValidationMode.OFF, ValidationMode.ENFORCE)) {
            Bench.Phase p = b.herald("schema-" + mode.wire(), fleet, Bench.mask(fleet, Behaviour.Fast.class), heraldPlan(s), catalogScript(mode));
            r.add(p);
            if (mode == ValidationMode.OFF) {
                off = p;
            } else {
                enforce = p;
            }
        }
        Bench.Phase offPhase = off;
        double events = enforce.num("events_accepted_per_s") / off.num("events_accepted_per_s");
        double deliveries = enforce.num("deliveries_per_s") / off.num("deliveries_per_s");
        r.summary("off_events_accepted_per_s", off.metrics().get("events_accepted_per_s"));
        r.summary("enforce_events_accepted_per_s", enforce.metrics().get("events_accepted_per_s"));
        r.summary("enforce_to_off_events_ratio", Double.isNaN(events) ? null : Meter.round(events));
        r.summary("enforce_to_off_deliveries_ratio", Double.isNaN(deliveries) ? null : Meter.round(deliveries));
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("events accepted/s", "events_accepted_per_s", ""),
                new Report.Row("  enforce / off", p -> p == offPhase ? 1.0 : Meter.round(events), ""),
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ">= 20,000"),
                new Report.Row("  enforce / off", p -> p == offPhase ? 1.0 : Meter.round(deliveries), "")));
        rows.addAll(common());
        r.print(out, "schema-cost: --schema-validation " + (enforceFirst ? "enforce, then off; " : "off, then enforce; ") + s.endpoints() + " endpoints (" + s.fleet() + "), fanout " + s.fanout()
                + ", " + s.eventBytes() + " B events, batch " + s.batch() + ", " + s.producers() + " producers", rows);
        return failures(r, List.of(off, enforce));
    }

    /** Herald in this JVM with {@code --schema-validation mode}, the workload's types put in the catalog before the load. */
    private static Bench.Script catalogScript(ValidationMode mode) {
        return new Bench.Script() {
            @Override
            public HeraldUnderTest start(Bench bench, String phase, String databaseUrl) {
                return BenchHerald.start(databaseUrl, bench.settings.maxInFlight(), bench.settings.maxBodyBytes(), null, List.of("#"), mode);
            }

            @Override
            public void ready(Bench.Run run) throws Exception {
                AdminApi.registerTypes(run.herald, run.bench().settings.workload("types-"));
            }
        };
    }

    /** Accepted → received latency at a fixed event rate. */
    static List<String> latency(Bench b, Report r, PrintStream out) throws Exception {
        Settings s = b.settings;
        Bench.Phase h = rawThenHerald(b, r)[1];
        for (String k : new String[] {"latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms", "latency_max_ms", "deliveries_per_s"}) {
            r.summary("herald_" + k, h.metrics().get(k));
        }
        r.summary("target_p50_ms", 3);
        r.summary("target_p99_ms", 20);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                Report.Row.of("late batches (open loop)", "late_batches", "0"),
                Report.Row.of("publish->receive p50 ms", "latency_p50_ms", "<= 3"),
                Report.Row.of("publish->receive p90 ms", "latency_p90_ms", ""),
                Report.Row.of("publish->receive p99 ms", "latency_p99_ms", "<= 20"),
                Report.Row.of("publish->receive p99.9 ms", "latency_p999_ms", ""),
                Report.Row.of("publish->receive max ms", "latency_max_ms", "")));
        rows.addAll(common().subList(2, common().size()));
        r.print(out, "latency: " + (s.rate() > 0 ? String.format("%,.0f events/s", s.rate()) : "max rate") + " to " + s.endpoints()
                + " endpoints (" + s.fleet() + "), batch " + s.batch() + ", " + s.eventBytes() + " B events", rows);
        return failures(r, List.of(h));
    }

    /** Healthy endpoints' throughput and p99 with all endpoints healthy, then with a hanging and a failing share. */
    static List<String> isolation(Bench b, Report r, PrintStream out, String mixed) throws Exception {
        Settings s = b.settings;
        Behaviour[] healthy = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        Behaviour[] bad = Behaviour.Mix.of(mixed).assign(s.endpoints());
        boolean[] measured = Bench.mask(bad, Behaviour.Fast.class);
        if (s.rawDuration() > 0) {
            r.add(b.raw("raw", healthy));
        }
        Bench.Phase base = b.herald("baseline", healthy, measured, heraldPlan(s));
        r.add(base);
        Bench.Phase mix = b.herald("mixed", bad, measured, heraldPlan(s));
        r.add(mix);
        double tput = mix.num("measured_deliveries_per_s") / base.num("measured_deliveries_per_s");
        double p99 = mix.num("measured_latency_p99_ms") / base.num("measured_latency_p99_ms");
        r.summary("healthy_throughput_ratio", Double.isNaN(tput) ? null : Meter.round(tput));
        r.summary("healthy_p99_ratio", Double.isNaN(p99) ? null : Meter.round(p99));
        r.summary("target_throughput_ratio", 0.9);
        r.summary("target_p99_ratio", 2.0);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("healthy deliveries/s", "measured_deliveries_per_s", ""),
                new Report.Row("  mixed / baseline", p -> p == mix ? Meter.round(tput) : null, ">= 0.90"),
                Report.Row.of("healthy p50 ms", "measured_latency_p50_ms", ""),
                Report.Row.of("healthy p99 ms", "measured_latency_p99_ms", ""),
                new Report.Row("  mixed / baseline", p -> p == mix ? Meter.round(p99) : null, "<= 2.00"),
                Report.Row.of("all deliveries/s", "deliveries_per_s", ""),
                Report.Row.of("receiver answers not 2xx", "receiver_answers_not_2xx", ""),
                Report.Row.of("fleet requests", "fleet_requests", "")));
        rows.addAll(common().subList(2, common().size()));
        r.print(out, "isolation: " + s.endpoints() + " endpoints; baseline " + s.fleet() + ", mixed " + mixed + "; healthy = fast in the mixed fleet", rows);
        return failures(r, List.of(base, mix));
    }

    /** A tiny run that must deliver every event exactly once to its own endpoint (for CI). */
    static List<String> smoke(Bench b, Report r, PrintStream out) throws Exception {
        Settings s = b.settings;
        Bench.Phase h = rawThenHerald(b, r)[1];
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("events sent", "events_sent", ""),
                Report.Row.of("events accepted", "events_accepted", "= sent"),
                Report.Row.of("deliveries expected", "expected_deliveries", ""),
                Report.Row.of("deliveries in database", "db_deliveries", "")));
        rows.addAll(common());
        r.print(out, "smoke: " + s.events() + " events to " + s.endpoints() + " endpoints", rows);
        List<String> failures = failures(r, List.of(h));
        if (h.num("events_accepted") != h.num("events_sent") || h.num("events_sent") != s.events()) {
            failures.add("herald: accepted " + h.metrics().get("events_accepted") + " of " + h.metrics().get("events_sent")
                    + " sent events (" + s.events() + " planned) " + h.metrics().get("request_errors"));
        }
        if (h.num("db_deliveries") != h.num("events_accepted") * s.fanout()) {
            failures.add("herald: " + h.metrics().get("db_deliveries") + " deliveries in the database for "
                    + h.metrics().get("events_accepted") + " accepted events x fanout " + s.fanout());
        }
        return failures;
    }

    /** Throughput when every event goes to {@code --fanout} endpoints: deliveries/s and events/s, next to the raw limit. */
    static List<String> fanout(Bench b, Report r, PrintStream out) throws Exception {
        Settings s = b.settings;
        Bench.Phase[] phases = rawThenHerald(b, r);
        Bench.Phase raw = phases[0];
        Bench.Phase h = phases[1];
        double ratio = raw == null ? Double.NaN : h.num("deliveries_per_s") / raw.num("deliveries_per_s");
        r.summary("herald_deliveries_per_s", h.metrics().get("deliveries_per_s"));
        r.summary("herald_events_per_s", Math.round(h.num("deliveries_per_s") / s.fanout()));
        r.summary("raw_deliveries_per_s", raw == null ? null : raw.metrics().get("deliveries_per_s"));
        r.summary("ratio_to_raw", Double.isNaN(ratio) ? null : Meter.round(ratio));
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                new Report.Row("events/s fanned out (deliveries/s / fanout)", p -> Math.round(p.num("deliveries_per_s") / s.fanout()), ""),
                new Report.Row("  ratio to raw limit", p -> p == raw ? 1.0 : Meter.round(ratio), ""),
                Report.Row.of("events accepted/s (whole load)", "events_accepted_per_s", "")));
        rows.addAll(common());
        r.print(out, "fanout: " + s.endpoints() + " endpoints (" + s.fleet() + "), each event to " + s.fanout() + " of them, "
                + s.eventBytes() + " B events, batch " + s.batch() + ", " + s.producers() + " producers, max pending " + s.maxPending(), rows);
        return failures(r, List.of(h));
    }

    /**
     * A full-throughput baseline, then a backlog: endpoints paused while {@code --events} deliveries pile up in PostgreSQL,
     * then all enabled at once and the drain timed. Heap is sampled throughout (Herald runs in this JVM).
     */
    static List<String> backlog(Bench b, Report r, PrintStream out, int baselineSeconds) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        boolean[] fast = Bench.mask(fleet, Behaviour.Fast.class);
        if (s.rawDuration() > 0) {
            r.add(b.raw("raw", fleet));
        }
        Bench.Phase base = null;
        if (baselineSeconds > 0) {
            base = b.herald("baseline", fleet, fast, new LoadGenerator.Plan(TimeUnit.SECONDS.toNanos(baselineSeconds), s.events(), s.producers(),
                    s.batch(), 0, s.maxPending()));
            r.add(base);
        }
        Bench.Phase backlog = b.herald("backlog", fleet, fast, new LoadGenerator.Plan(TimeUnit.SECONDS.toNanos(s.duration()), s.events(),
                s.producers(), s.batch(), 0, 0), new Bench.Script() {
                    private long backlogAtEnable;

                    @Override
                    public AdminApi.EndpointOptions endpoints(Settings st) {
                        return new AdminApi.EndpointOptions(st.timeoutSeconds(), false, null);
                    }

                    @Override
                    public void beforeDrain(Bench.Run run) throws Exception {
                        backlogAtEnable = run.receipts.pendingTracked();
                        long t0 = System.nanoTime();
                        AdminApi.setActive(run.herald, run.endpointIds, true);
                        run.log("backlog of %,d deliveries; %,d endpoints enabled in %.1f s, draining", backlogAtEnable, run.endpointIds.length,
                                (System.nanoTime() - t0) / 1e9);
                    }

                    @Override
                    public void after(Bench.Run run, Map<String, Object> m) {
                        m.put("backlog_at_enable", backlogAtEnable);
                    }
                });
        r.add(backlog);
        double baseline = base == null ? Double.NaN : base.num("deliveries_per_s");
        double ratio = backlog.num("drain_deliveries_per_s") / baseline;
        double xmx = backlog.num("heap_xmx_mib");
        r.summary("drain_deliveries_per_s", backlog.metrics().get("drain_deliveries_per_s"));
        r.summary("baseline_deliveries_per_s", base == null ? null : base.metrics().get("deliveries_per_s"));
        r.summary("drain_ratio_to_baseline", Double.isNaN(ratio) ? null : Meter.round(ratio));
        r.summary("heap_max_mib", backlog.metrics().get("heap_max_mib"));
        r.summary("heap_xmx_mib", xmx);
        r.summary("target_drain_ratio", 0.8);
        r.summary("target_heap_mib", 512);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                Report.Row.of("events accepted/s (ingest)", "events_accepted_per_s", ""),
                Report.Row.of("backlog when enabled", "backlog_at_enable", ""),
                Report.Row.of("drain s", "drain_s", ""),
                Report.Row.of("drain deliveries/s", "drain_deliveries_per_s", ""),
                new Report.Row("  drain / baseline deliveries/s", p -> p == backlog ? Meter.round(ratio) : null, ">= 0.80"),
                Report.Row.of("heap high-water MiB (sampled)", "heap_max_mib", "<= 512"),
                Report.Row.of("heap after GC, max MiB", "heap_after_gc_max_mib", ""),
                Report.Row.of("max heap (-Xmx) MiB", "heap_xmx_mib", "512"),
                Report.Row.of("GC pauses ms", "gc_ms", ""),
                Report.Row.of("CPU, bench JVM (cores)", "cpu_bench_cores", "of 2"),
                Report.Row.of("CPU, PostgreSQL (cores)", "cpu_pg_cores", ""),
                Report.Row.of("CPU, other processes (cores)", "cpu_other_cores", "~0"),
                Report.Row.of("PG rows written per delivery", "rows_written_per_delivery", "")));
        rows.addAll(audit());
        r.print(out, "backlog: " + String.format("%,d", s.events() * s.fanout()) + " deliveries to " + s.endpoints() + " paused endpoints ("
                + s.fleet() + "), then enabled; baseline " + baselineSeconds + " s of full throughput", rows);
        if (xmx > 512) {
            out.printf("note: this JVM runs Herald, fleet and generator with -Xmx %,.0f MiB; for the heap target run with "
                    + "HERALD_JAVA_OPTS=-Xmx512m (heap high-water is what G1 let the heap grow to, not the live set)%n%n", xmx);
        }
        return failures(r, base == null ? List.of(backlog) : List.of(base, backlog));
    }

    /** Herald in a child JVM at a fixed rate; SIGKILL at {@code killAt} s, restarted at once on the same port and database. */
    static List<String> crash(Bench b, Report r, PrintStream out, int killAt, List<String> javaOpts) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        Bench.Phase h = b.herald("crash", fleet, Bench.mask(fleet, Behaviour.Fast.class), heraldPlan(s), new KillScript(1, true, killAt, javaOpts, 0));
        r.add(h);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("events sent", "events_sent", ""),
                Report.Row.of("events accepted", "events_accepted", ""),
                Report.Row.of("requests failed (outage)", "requests_failed", ""),
                Report.Row.of("kill at s", "kill_at_s", ""),
                Report.Row.of("downtime s (kill -> ready)", "downtime_s", ""),
                Report.Row.of("recovery s (kill -> 1st delivery)", "recovery_s", ""),
                Report.Row.of("old node presumed dead after s", "detected_dead_s", ""),
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                Report.Row.of("deliveries received", "deliveries", ""),
                Report.Row.of("undelivered at end", "undelivered", "0"),
                Report.Row.of("duplicates", "duplicates", "<= bound"),
                Report.Row.of("  bound: endpoints x in-flight", "in_flight_window", ""),
                Report.Row.of("  + acked, unrecorded at kill", "unrecorded_at_kill", ""),
                Report.Row.of("  = duplicate bound", "duplicate_bound", ""),
                Report.Row.of("re-sends with a new webhook-id", "unknown_ids", "0"),
                Report.Row.of("wrong endpoint", "wrong_endpoint", "0"),
                Report.Row.of("drained", "drained", "true"),
                Report.Row.of("CPU Herald s (both processes)", "cpu_herald_s", ""),
                Report.Row.of("  per 1,000 deliveries", "cpu_herald_s_per_1k", ""),
                Report.Row.of("CPU PostgreSQL s", "cpu_pg_s", ""),
                Report.Row.of("  per 1,000 deliveries", "cpu_pg_s_per_1k", ""),
                Report.Row.of("CPU, bench JVM (cores; fleet+generator)", "cpu_bench_cores", ""),
                Report.Row.of("CPU, other processes (cores)", "cpu_other_cores", "~0")));
        r.print(out, "crash: Herald in a child JVM, " + s.endpoints() + " endpoints (" + s.fleet() + "), "
                + String.format("%,.0f", s.rate()) + " events/s for " + s.duration() + " s, kill -9 at " + killAt + " s and restart", rows);
        return killFailures(r, h, false);
    }

    /** {@code nodes} child Herald nodes on one database; producers round-robin over them; the last one killed for good at {@code killAt} s. */
    static List<String> cluster(Bench b, Report r, PrintStream out, int nodes, int killAt, List<String> javaOpts, int fifoPercent) throws Exception {
        Settings s = b.settings;
        Behaviour[] fleet = Behaviour.Mix.of(s.fleet()).assign(s.endpoints());
        Bench.Phase h = b.herald("cluster", fleet, Bench.mask(fleet, Behaviour.Fast.class), heraldPlan(s), new KillScript(nodes, false, killAt, javaOpts, fifoPercent));
        r.add(h);
        List<Report.Row> rows = new ArrayList<>(List.of(
                Report.Row.of("nodes", "nodes", ""),
                Report.Row.of("events sent", "events_sent", ""),
                Report.Row.of("events accepted", "events_accepted", ""),
                Report.Row.of("requests failed", "requests_failed", ""),
                Report.Row.of("deliveries/s (steady state)", "deliveries_per_s", ""),
                Report.Row.of("kill at s", "kill_at_s", ""),
                Report.Row.of("killed node's endpoints", "victim_endpoints", ""),
                Report.Row.of("killed node presumed dead after s", "detected_dead_s", ""),
                Report.Row.of("take-over s (kill -> all its endpoints)", "takeover_s", "<= 10"),
                Report.Row.of("  after presumed dead s", "takeover_after_detection_s", ""),
                Report.Row.of("  its endpoints never served again", "victim_endpoints_never_received_again", "0"),
                Report.Row.of("peak in flight at one endpoint", "fleet_peak_concurrency_per_endpoint", "<= " + s.maxInFlight()),
                Report.Row.of("FIFO endpoints", "fifo_endpoints", ""),
                Report.Row.of("  keys checked", "fifo_keys_checked", ""),
                Report.Row.of("  of them with 2+ deliveries", "fifo_keys_with_several", ""),
                Report.Row.of("  keys out of stored order", "fifo_order_violations", "0"),
                Report.Row.of("deliveries received", "deliveries", ""),
                Report.Row.of("undelivered at end", "undelivered", "0"),
                Report.Row.of("duplicates", "duplicates", "<= bound"),
                Report.Row.of("  bound: its endpoints x in-flight", "in_flight_window", ""),
                Report.Row.of("  + acked, unrecorded at kill", "unrecorded_at_kill", ""),
                Report.Row.of("  = duplicate bound", "duplicate_bound", ""),
                Report.Row.of("re-sends with a new webhook-id", "unknown_ids", "0"),
                Report.Row.of("wrong endpoint", "wrong_endpoint", "0"),
                Report.Row.of("drained", "drained", "true")));
        for (int i = 0; i < nodes; i++) {
            rows.add(Report.Row.of("CPU node" + i + " s" + (i == nodes - 1 ? " (killed)" : ""), "cpu_node" + i + "_s", ""));
            rows.add(Report.Row.of("  per 1,000 deliveries (all nodes')", "cpu_node" + i + "_s_per_1k", ""));
        }
        rows.addAll(List.of(
                Report.Row.of("CPU all nodes s per 1,000 deliveries", "cpu_herald_s_per_1k", ""),
                Report.Row.of("CPU PostgreSQL s", "cpu_pg_s", ""),
                Report.Row.of("  per 1,000 deliveries", "cpu_pg_s_per_1k", ""),
                Report.Row.of("CPU, bench JVM (cores; fleet+generator)", "cpu_bench_cores", ""),
                Report.Row.of("CPU, other processes (cores)", "cpu_other_cores", "~0")));
        r.print(out, "cluster: " + nodes + " child nodes on one database, " + s.endpoints() + " endpoints (" + s.fleet() + "), "
                + String.format("%,.0f", s.rate()) + " events/s for " + s.duration() + " s, node" + (nodes - 1) + " killed at " + killAt + " s, not restarted", rows);
        List<String> failures = killFailures(r, h, true);
        if (h.num("fifo_order_violations") > 0) {
            failures.add("cluster: " + h.metrics().get("fifo_order_violations") + " FIFO key(s) arrived out of the stored order, e.g. "
                    + h.metrics().get("fifo_first_violation"));
        }
        if (h.num("fleet_peak_concurrency_per_endpoint") > s.maxInFlight()) {
            failures.add("cluster: an endpoint held " + h.metrics().get("fleet_peak_concurrency_per_endpoint") + " requests at once, above --max-in-flight "
                    + s.maxInFlight());
        }
        return failures;
    }

    /** Loss, misrouting and duplicates above the measured bound; the kill must have happened (and, for a cluster, been taken over). */
    private static List<String> killFailures(Report r, Bench.Phase h, boolean takeover) {
        long bound = h.metrics().get("duplicate_bound") instanceof Number n ? n.longValue() : 0;
        List<String> failures = failures(r, List.of(h), bound);
        if (!Boolean.TRUE.equals(h.metrics().get("killed"))) {
            failures.add(h.name() + ": the load ended before the kill (raise --duration or lower --kill-at)");
        }
        if (takeover && h.num("victim_endpoints_never_received_again") > 0) {
            failures.add(h.name() + ": " + h.metrics().get("victim_endpoints_never_received_again")
                    + " of the killed node's endpoints received nothing after the kill");
        }
        for (String k : new String[] {"downtime_s", "recovery_s", "detected_dead_s", "takeover_s", "duplicate_bound"}) {
            if (h.metrics().containsKey(k)) {
                r.summary(k, h.metrics().get(k));
            }
        }
        r.summary("duplicates", h.audit().duplicates());
        r.summary("undelivered", h.audit().lost());
        r.summary("correctness_failures", failures);
        return failures;
    }

    /** Rows common to the load scenarios: latency, CPU, memory and PostgreSQL of the load, then the audit. */
    static List<Report.Row> common() {
        List<Report.Row> rows = new ArrayList<>(load());
        rows.addAll(audit());
        return rows;
    }

    private static List<Report.Row> load() {
        return List.of(
                Report.Row.of("publish->receive p50 ms", "latency_p50_ms", ""),
                Report.Row.of("publish->receive p99 ms", "latency_p99_ms", ""),
                Report.Row.of("POST p50 ms (per request)", "request_p50_ms", ""),
                Report.Row.of("POST p99 ms (per request)", "request_p99_ms", ""),
                Report.Row.of("CPU, bench JVM (cores)", "cpu_bench_cores", "of 2"),
                Report.Row.of("CPU, PostgreSQL (cores)", "cpu_pg_cores", ""),
                Report.Row.of("CPU, other processes (cores)", "cpu_other_cores", "~0"),
                Report.Row.of("CPU, softirq (cores)", "cpu_softirq_cores", ""),
                Report.Row.of("heap high-water MiB", "heap_max_mib", ""),
                Report.Row.of("GC pauses ms", "gc_ms", ""),
                Report.Row.of("open fds max", "fd_max", ""),
                Report.Row.of("PG rows written", "pg_rows_written", ""),
                Report.Row.of("  per delivery", "rows_written_per_delivery", ""),
                Report.Row.of("PG commits per delivery", "commits_per_delivery", ""),
                new Report.Row("PG WAL MiB (whole server)", p -> p.metrics().containsKey("wal_bytes") ? Meter.round(p.num("wal_bytes") / MIB) : null, ""),
                Report.Row.of("  per delivery, bytes", "wal_bytes_per_delivery", "<= 2,048"),
                Report.Row.of("deliveries updates HOT (share)", "deliveries_hot_update_share", ""),
                Report.Row.of("JVM heap allocated per delivery, bytes", "alloc_bytes_per_delivery", ""));
    }

    /** The correctness audit of an always-acknowledging fleet: everything arrived once, at its endpoint. */
    private static List<Report.Row> audit() {
        return List.of(
                Report.Row.of("deliveries received", "deliveries", ""),
                Report.Row.of("undelivered at end", "undelivered", "0"),
                Report.Row.of("duplicates", "duplicates", "0"),
                Report.Row.of("wrong endpoint", "wrong_endpoint", "0"),
                Report.Row.of("drained", "drained", "true"));
    }

    /** Correctness failures of Herald phases: undelivered after the drain, duplicates, misrouted or unknown deliveries. */
    private static List<String> failures(Report r, List<Bench.Phase> phases) {
        return failures(r, phases, 0);
    }

    /** As {@link #failures(Report, List)}, duplicates allowed up to {@code allowedDuplicates} (the in-flight bound of a kill). */
    private static List<String> failures(Report r, List<Bench.Phase> phases, long allowedDuplicates) {
        List<String> out = new ArrayList<>();
        for (Bench.Phase p : phases) {
            Receipts.Audit a = p.audit();
            if (a.lost() > 0) {
                out.add(p.name() + ": " + a.lost() + " of " + a.expected() + " accepted deliveries never arrived"
                        + (Boolean.TRUE.equals(p.metrics().get("drained")) ? "" : " (not drained within --drain-timeout)"));
            }
            if (a.duplicates() > allowedDuplicates) {
                out.add(p.name() + ": " + a.duplicates() + " duplicate deliveries (same webhook-id acknowledged twice by one endpoint)"
                        + (allowedDuplicates > 0 ? ", above the bound of " + allowedDuplicates : ""));
            }
            if (a.wrongEndpoint() > 0) {
                out.add(p.name() + ": " + a.wrongEndpoint() + " deliveries to an endpoint not subscribed to the event");
            }
            if (a.unknownIds() > 0) {
                out.add(p.name() + ": " + a.unknownIds() + " deliveries with a webhook-id this phase never sent");
            }
        }
        r.summary("correctness_failures", out);
        return out;
    }
}
