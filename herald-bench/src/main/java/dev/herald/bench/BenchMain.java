package dev.herald.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code herald-bench} command line ({@code ./herald bench <scenario>}): one subcommand per scenario. */
@Command(name = "herald-bench", mixinStandardHelpOptions = true,
        subcommands = {BenchMain.Throughput.class, BenchMain.SchemaCost.class, BenchMain.Latency.class, BenchMain.Isolation.class, BenchMain.Smoke.class,
                BenchMain.Fanout.class, BenchMain.Backlog.class, BenchMain.Crash.class, BenchMain.Cluster.class, BenchMain.Baseline.class,
                BenchMain.BusThroughput.class, SigningCost.class, SchemaCheckCost.class, Soak.class},
        description = "Benchmarks Herald (in this JVM, or child JVMs for crash and cluster) against a loopback merchant fleet and PostgreSQL on this machine "
                    + "(an embedded one unless --database-url or HERALD_BENCH_DATABASE_URL names a server). "
                    + "Every run is bounded by --duration, --events and --drain-timeout, talks to 127.0.0.1 only, prints one table "
                    + "and writes bench-results/<scenario>-<timestamp>.json, .csv and -timeline.csv.")
public final class BenchMain {

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) { // herald-server's logback.xml is on the classpath too
            System.setProperty("logback.configurationFile", "herald-bench-logback.xml");
        }
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    /** The settings {@code scenario args…} resolve to (scenario defaults, then flags); for tests. */
    static Settings settings(String scenario, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = scenario;
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult pr = new CommandLine(new BenchMain()).parseArgs(all);
        return ((Scenario) pr.subcommand().commandSpec().userObject()).common.settings();
    }

    /** Options every scenario takes; scenario-specific defaults come from its {@link Defaults}. */
    static final class Common {
        @Option(names = "--duration", defaultValue = "20", description = "Seconds of load (default ${DEFAULT-VALUE}).")
        int duration;
        @Option(names = "--warmup", defaultValue = "5", description = "Seconds at the start excluded from rates and latencies (default ${DEFAULT-VALUE}).")
        int warmup;
        @Option(names = "--events", defaultValue = "2000000", description = "Most events per phase (default ${DEFAULT-VALUE}).")
        long events;
        @Option(names = "--endpoints", defaultValue = "1000", description = "Fleet endpoints = Herald endpoints (default ${DEFAULT-VALUE}).")
        int endpoints;
        @Option(names = "--fanout", defaultValue = "1", description = "Endpoints per event (default ${DEFAULT-VALUE}): deliveries = events x fanout.")
        int fanout;
        @Option(names = "--event-size", defaultValue = "1024", description = "Bytes of each delivered body (default ${DEFAULT-VALUE}).")
        int eventSize;
        @Option(names = "--batch", defaultValue = "100", description = "Events per POST /v1/events (default ${DEFAULT-VALUE}; 1 posts single objects).")
        int batch;
        @Option(names = "--producers", defaultValue = "8", description = "Concurrent producers; with --rate, most outstanding POSTs (default ${DEFAULT-VALUE}).")
        int producers;
        @Option(names = "--rate", defaultValue = "0", description = "Events/s on a fixed schedule; 0 = as fast as Herald takes them (default ${DEFAULT-VALUE}).")
        double rate;
        @Option(names = "--max-pending", defaultValue = "10000", description = "Closed loop: producers wait while this many accepted deliveries are unacknowledged; 0 = no limit (default ${DEFAULT-VALUE}).")
        long maxPending;
        @Option(names = "--max-in-flight", defaultValue = "16", description = "Herald's --max-in-flight-per-endpoint (default ${DEFAULT-VALUE}).")
        int maxInFlight;
        @Option(names = "--timeout-seconds", defaultValue = "0", description = "Endpoints' timeout_seconds; 0 = Herald's default (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;
        @Option(names = "--fleet", defaultValue = "100%fast", description = "Fleet mix, e.g. 90%%fast,10%%slow:5-50 (fast, slow:MS[-MAX], hang, error:STATUS[:RETRY_AFTER], flaky:P, reset, trickle:MS) (default ${DEFAULT-VALUE}).")
        String fleet;
        @Option(names = "--fleet-ports", defaultValue = "0", description = "Listening ports of the fleet; 0 = one per endpoint, like distinct merchants (default ${DEFAULT-VALUE}).")
        int fleetPorts;
        @Option(names = "--raw-duration", defaultValue = "30", description = "Seconds of the raw-limit phase (generator straight to the fleet); 0 skips it (default ${DEFAULT-VALUE}).")
        int rawDuration;
        @Option(names = "--raw-warmup", defaultValue = "20", description = "Seconds at the start of the raw phase excluded (JIT warm-up of client and fleet; default ${DEFAULT-VALUE}).")
        int rawWarmup;
        @Option(names = "--raw-concurrency", defaultValue = "64", description = "Concurrent requests in the raw-limit phase (default ${DEFAULT-VALUE}).")
        int rawConcurrency;
        @Option(names = "--drain-timeout", defaultValue = "60", description = "Most seconds to wait after the load for accepted deliveries to arrive (default ${DEFAULT-VALUE}).")
        int drainTimeout;
        @Mixin
        DatabaseOptions database;
        @Option(names = "--fleet-threads", defaultValue = "virtual", description = "Thread per fleet connection: virtual or platform (platform keeps the fleet off Herald's virtual-thread scheduler; default ${DEFAULT-VALUE}).")
        String fleetThreads;
        @Option(names = "--quiet-wait", defaultValue = "60", description = "Before each phase, wait up to this many seconds until other processes use < 0.25 cores (default ${DEFAULT-VALUE}; 0 = don't wait).")
        int quietWait;
        @Option(names = "--keep", description = "Keep the phase databases (and the embedded data dir) after the run.")
        boolean keep;
        @Option(names = "--out", defaultValue = "bench-results", description = "Directory for the JSON and CSV results (default ${DEFAULT-VALUE}).")
        Path out;

        Settings settings() {
            return new Settings(endpoints, fanout, eventSize, batch, producers, rate, maxPending, events, duration, warmup, drainTimeout,
                    rawDuration, rawWarmup, rawConcurrency, maxInFlight, timeoutSeconds, fleet, fleetPorts, fleetThreads, quietWait, keep, out);
        }

        PgServer pg() throws IOException {
            return database.open(keep, System.getenv());
        }
    }

    /** Per-scenario option defaults (picocli falls back to the annotation's value for options not listed). */
    abstract static class Defaults implements CommandLine.IDefaultValueProvider {
        private final Map<String, String> values;

        Defaults(Map<String, String> values) {
            this.values = values;
        }

        @Override
        public String defaultValue(ArgSpec arg) {
            return arg instanceof OptionSpec o ? values.get(o.longestName()) : null;
        }
    }

    abstract static class Scenario implements Callable<Integer> {
        @Mixin
        Common common;
        @Spec
        CommandSpec spec;

        abstract List<String> run(Bench bench, Report report, PrintStream out) throws Exception;

        /** The closing line of a run without correctness failures. */
        String passed() {
            return "correctness: every accepted delivery to an always-acknowledging endpoint arrived exactly once, at its endpoint";
        }

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            Settings s;
            PgServer chosen;
            try {
                s = common.settings();
                Behaviour.Mix.of(s.fleet());
                chosen = common.pg();
            } catch (IllegalArgumentException e) {
                System.err.println("herald-bench: " + e.getMessage());
                return 2;
            }
            try (PgServer pg = chosen) {
                out.println("database: " + pg.describe());
                String version = pg.version();
                if (version.startsWith("unknown")) {
                    System.err.println("herald-bench: cannot reach " + pg.describe() + ": " + version
                            + " (check --database-url or " + DatabaseOptions.ENV + "; without either the bench runs on an embedded PostgreSQL)");
                    return 2;
                }
                try (Bench bench = Bench.open(s, pg, out)) {
                    Report report = new Report(spec.name(), bench);
                    List<String> failures = run(bench, report, out);
                    Path json = report.write(spec.commandLine().getParseResult().originalArgs().toArray(String[]::new));
                    out.println("results: " + json + " (+ .csv, -timeline.csv)");
                    if (!failures.isEmpty()) {
                        out.println("CORRECTNESS FAILURES:");
                        failures.forEach(f -> out.println("  - " + f));
                        return 1;
                    }
                    out.println(passed());
                    return 0;
                }
            }
        }
    }

    @Command(name = "throughput", mixinStandardHelpOptions = true, defaultValueProvider = Throughput.D.class,
            description = "Steady-state deliveries/s to --endpoints fast receivers, and the raw limit of the same generator and fleet without Herald.")
    static final class Throughput extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of());
            }
        }

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.throughput(bench, report, out);
        }
    }

    @Command(name = "schema-cost", mixinStandardHelpOptions = true, defaultValueProvider = SchemaCost.D.class,
            description = "The throughput load twice in one run, Herald with --schema-validation off then enforce (the workload's types in the "
                    + "catalog): events accepted/s and deliveries/s of each, and their ratio.")
    static final class SchemaCost extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--raw-duration", "0"));
            }
        }

        @Option(names = "--enforce-first", defaultValue = "false", description = "Run the enforce phase first (the first phase runs on a colder JVM).")
        boolean enforceFirst;

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.schemaCost(bench, report, out, enforceFirst);
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true, defaultValueProvider = Latency.D.class,
            description = "Publish -> receive latency at a fixed rate (default 1,000 events/s, one event per POST, 100 endpoints, "
                    + "60 s of which the first 20 s warm the JIT and are not counted).")
    static final class Latency extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--endpoints", "100", "--rate", "1000", "--batch", "1", "--producers", "256", "--max-pending", "0",
                        "--duration", "60", "--warmup", "20"));
            }
        }

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.latency(bench, report, out);
        }
    }

    @Command(name = "isolation", mixinStandardHelpOptions = true, defaultValueProvider = Isolation.D.class,
            description = "The same load twice: all endpoints healthy, then --mixed (default 10%% hang, 10%% 503 with Retry-After); "
                    + "compares the healthy endpoints' throughput and p99.")
    static final class Isolation extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of());
            }
        }

        @Option(names = "--mixed", defaultValue = "10%hang,10%error:503:1,80%fast", description = "Fleet of the second run (default ${DEFAULT-VALUE}).")
        String mixed;

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.isolation(bench, report, out, mixed);
        }
    }

    @Command(name = "smoke", mixinStandardHelpOptions = true, defaultValueProvider = Smoke.D.class,
            description = "5 s, 10 endpoints, 500 events; exits 1 if any event is lost, duplicated or delivered to the wrong endpoint (for CI).")
    static final class Smoke extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--endpoints", "10", "--events", "500", "--duration", "5", "--warmup", "0", "--batch", "50",
                        "--producers", "2", "--max-pending", "0", "--raw-duration", "0", "--drain-timeout", "30", "--quiet-wait", "0"));
            }
        }

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.smoke(bench, report, out);
        }
    }

    @Command(name = "fanout", mixinStandardHelpOptions = true, defaultValueProvider = Fanout.D.class,
            description = "Like throughput, but each event goes to --fanout endpoints (default 100 of 1,000): deliveries/s, events/s and the raw limit.")
    static final class Fanout extends Scenario {
        static final class D extends Defaults {
            D() {
                // Ten endpoints per fleet port: every lane busy at once would need 32,000 sockets on one-port-per-endpoint.
                super(Map.of("--fanout", "100", "--events", "200000", "--batch", "10", "--max-pending", "20000", "--fleet-ports", "100"));
            }
        }

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.fanout(bench, report, out);
        }
    }

    @Command(name = "backlog", mixinStandardHelpOptions = true, defaultValueProvider = Backlog.D.class,
            description = "A --baseline-duration full-throughput phase, then --events deliveries (default 1,000,000) ingested for paused endpoints, "
                    + "which are then all enabled: drain deliveries/s against the baseline (target >= 80%%) and heap high-water (target <= 512 MiB; "
                    + "Herald runs in this JVM, so run with HERALD_JAVA_OPTS=-Xmx512m to hold it to that). --duration caps the ingest.")
    static final class Backlog extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--events", "1000000", "--duration", "900", "--drain-timeout", "900", "--raw-duration", "0", "--fleet-ports", "100"));
            }
        }

        @Option(names = "--baseline-duration", defaultValue = "20", description = "Seconds of the full-throughput baseline phase; 0 skips it (default ${DEFAULT-VALUE}).")
        int baselineDuration;

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            if (baselineDuration < 0 || (baselineDuration > 0 && baselineDuration <= common.warmup)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--baseline-duration must be 0 or longer than --warmup");
            }
            return Scenarios.backlog(bench, report, out, baselineDuration);
        }
    }

    private static final String KILL_PASSED = "correctness: every accepted delivery to an always-acknowledging endpoint arrived, at its endpoint;"
            + " duplicates (if any) repeat an already-received webhook-id and stay within the in-flight bound";

    /** Options of the scenarios that run Herald in child JVMs. */
    static final class Children {
        @Option(names = "--kill-at", defaultValue = "-1", description = "Seconds into the load when a node gets SIGKILL; -1 = half of --duration (default ${DEFAULT-VALUE}).")
        int killAt;
        @Option(names = "--child-java-opts", defaultValue = "-Xmx512m", split = " ", description = "JVM options of each Herald child process (default ${DEFAULT-VALUE}).")
        List<String> javaOpts;

        int killAt(CommandSpec spec, int duration) {
            int at = killAt < 0 ? duration / 2 : killAt;
            if (at < 1 || at >= duration) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--kill-at must be inside the load: 1.." + (duration - 1) + " s");
            }
            return at;
        }
    }

    @Command(name = "crash", mixinStandardHelpOptions = true, defaultValueProvider = Crash.D.class,
            description = "Herald in a child JVM at a fixed --rate; SIGKILL at --kill-at and restart at once on the same port and database. "
                    + "Exits 1 on any loss or on more duplicates than were in flight (endpoints x --max-in-flight + acknowledged results not yet recorded).")
    static final class Crash extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--endpoints", "100", "--rate", "500", "--duration", "40", "--warmup", "2", "--batch", "10", "--producers", "32",
                        "--max-pending", "0", "--raw-duration", "0", "--drain-timeout", "120", "--quiet-wait", "0"));
            }
        }

        @Mixin
        Children children;

        @Override
        String passed() {
            return KILL_PASSED;
        }

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return Scenarios.crash(bench, report, out, children.killAt(spec, common.duration), children.javaOpts);
        }
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true, defaultValueProvider = Cluster.D.class,
            description = "--nodes child Herald nodes on one database, producers round-robin over them; the last node gets SIGKILL at --kill-at "
                    + "and stays dead. Reports take-over time, duplicates against the killed node's in-flight bound, the peak in flight at one "
                    + "endpoint against --max-in-flight, FIFO order of --fifo-share of the endpoints, and CPU per 1,000 deliveries of every "
                    + "node and of PostgreSQL.")
    static final class Cluster extends Scenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--endpoints", "300", "--rate", "600", "--duration", "60", "--warmup", "5", "--batch", "10", "--producers", "32",
                        "--max-pending", "0", "--raw-duration", "0", "--drain-timeout", "120", "--quiet-wait", "0"));
            }
        }

        @Mixin
        Children children;
        @Option(names = "--nodes", defaultValue = "3", description = "Herald nodes, 2..3 (default ${DEFAULT-VALUE}).")
        int nodes;
        @Option(names = "--fifo-share", defaultValue = "10", description = "Percent of endpoints created with ordering fifo (key: the events' account_uuid); "
                + "their arrival order per key is checked against the stored order (default ${DEFAULT-VALUE}; 0 = none).")
        int fifoShare;

        @Override
        String passed() {
            return KILL_PASSED;
        }

        @Override
        List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            if (nodes < 2 || nodes > 3) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--nodes must be 2 or 3");
            }
            if (fifoShare < 0 || fifoShare > 100) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--fifo-share must be 0..100");
            }
            return Scenarios.cluster(bench, report, out, nodes, children.killAt(spec, common.duration), children.javaOpts, fifoShare);
        }
    }

    /** A scenario fed through RabbitMQ: checks the broker answers before anything starts. */
    abstract static class BusScenario extends Scenario {
        @Option(names = "--amqp-url", defaultValue = "amqp://guest:guest@127.0.0.1:5672/",
                description = "RabbitMQ on this machine; each phase runs in a virtual host of its own, herald_bench_<run>_<phase>, made and "
                        + "deleted (unless --keep) with rabbitmqctl (default ${DEFAULT-VALUE}).")
        String amqpUrl;
        @Option(names = "--publish", defaultValue = "steady",
                description = "first: publish every event, then start the consumer and time how fast it empties the queue (its own rate, "
                        + "no publishers sharing the box); steady: publish while it consumes, closed loop of --max-pending (default ${DEFAULT-VALUE}).")
        String publish;
        private RabbitBroker broker;

        Bench.Publish publish() {
            return switch (publish) {
                case "first" -> Bench.Publish.FIRST;
                case "steady" -> Bench.Publish.STEADY;
                default -> throw new CommandLine.ParameterException(spec.commandLine(), "--publish must be first or steady, got '" + publish + "'");
            };
        }

        abstract List<String> run(Bench bench, RabbitBroker broker, Report report, PrintStream out) throws Exception;

        @Override
        final List<String> run(Bench bench, Report report, PrintStream out) throws Exception {
            return run(bench, broker, report, out);
        }

        /** Checks the scenario's own options before anything starts (throws ParameterException). */
        void validate() {
            publish();
        }

        @Override
        public Integer call() throws Exception {
            validate();
            try {
                broker = RabbitBroker.of(amqpUrl, common.keep);
            } catch (IllegalArgumentException e) {
                System.err.println("herald-bench: " + e.getMessage());
                return 2;
            }
            String problem = broker.probe();
            if (problem != null) {
                System.err.println("herald-bench: cannot reach " + broker.describe() + ": " + problem + " (use --amqp-url)");
                return 2;
            }
            return super.call();
        }
    }

    @Command(name = "baseline", mixinStandardHelpOptions = true, defaultValueProvider = Baseline.D.class,
            description = "Herald against the webhook consumer a payment team writes by hand from the finance-bus design, on the same fleet, "
                    + "box and event stream: --events published to RabbitMQ as the reference bank publishes them (by default all first, then "
                    + "the consumer empties the queue: --publish), consumed by Herald (--amqp-url), then by the hand-written consumer in each "
                    + "of --shapes (its own queue; per message one HMAC-SHA256-signed POST per subscribed endpoint and one attempt row committed "
                    + "in PostgreSQL, then the ack). Reports each one's deliveries/s, Herald's ratio to each (target >= 5x tuned), CPU of the "
                    + "bench JVM, PostgreSQL and RabbitMQ; exits 1 if any published event did not reach its endpoint.")
    static final class Baseline extends BusScenario {
        static final class D extends Defaults {
            D() {
                // Ten endpoints per fleet port, as in backlog and fanout: a slowed Herald holds up to 16 tries in flight per
                // endpoint, 32,000 sockets on one-port-per-endpoint, above this project's open-files limit of 20,000.
                super(Map.of("--events", "100000", "--duration", "300", "--drain-timeout", "600", "--raw-duration", "0", "--fleet-ports", "100",
                        "--publish", "first"));
            }
        }

        @Override
        String passed() {
            return "correctness: every published event reached each endpoint subscribed to it, and nowhere else; Herald sent none twice"
                    + " (the hand-written consumer's duplicates, if any, are its at-least-once re-sends, reported above)";
        }

        @Option(names = "--shapes", defaultValue = "tuned,design", split = ",",
                description = "Hand-written consumers to run after Herald: tuned (--tuned-prefetch, --tuned-consumers, pooled HTTP, HikariCP) "
                        + "and design (prefetch 1, one consumer, JDK HTTP client, one JDBC connection) (default ${DEFAULT-VALUE}).")
        List<String> shapes;
        @Option(names = "--design-events", defaultValue = "20000",
                description = "Events of the design shape's phase, the first of the same stream (it runs at a few hundred per second); "
                        + "0 = --events (default ${DEFAULT-VALUE}).")
        long designEvents;
        @Option(names = "--tuned-prefetch", defaultValue = "256", description = "Prefetch of each tuned consumer (default ${DEFAULT-VALUE}).")
        int tunedPrefetch;
        @Option(names = "--tuned-consumers", defaultValue = "16",
                description = "Tuned consumers (channels, each handling its messages in turn), HTTP connections per endpoint and pooled "
                        + "JDBC connections (default ${DEFAULT-VALUE}).")
        int tunedConsumers;

        private final List<HandConsumer.Shape> chosen = new java.util.ArrayList<>();

        @Override
        void validate() {
            super.validate();
            chosen.clear();
            try {
                for (String name : shapes) {
                    switch (name.trim()) {
                        case "tuned" -> chosen.add(HandConsumer.Shape.tuned(tunedPrefetch, tunedConsumers));
                        case "design" -> chosen.add(HandConsumer.Shape.design());
                        default -> throw new IllegalArgumentException("--shapes takes tuned and design, got '" + name + "'");
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (designEvents < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--design-events must be 0 or more");
            }
        }

        @Override
        List<String> run(Bench bench, RabbitBroker broker, Report report, PrintStream out) throws Exception {
            return BusScenarios.baseline(bench, broker, report, out, publish(), List.copyOf(chosen), designEvents);
        }
    }

    @Command(name = "bus-throughput", mixinStandardHelpOptions = true, defaultValueProvider = BusThroughput.D.class,
            description = "Like throughput, with the events published to RabbitMQ (one message per event, as the reference bank publishes "
                    + "them) and taken by Herald's --amqp-url consumer; next to a phase fed through POST /v1/events with the same settings "
                    + "(--no-http-phase skips it): deliveries/s of both and their ratio.")
    static final class BusThroughput extends BusScenario {
        static final class D extends Defaults {
            D() {
                super(Map.of("--raw-duration", "0", "--fleet-ports", "100")); // as baseline
            }
        }

        @Option(names = "--http-phase", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Also run Herald fed through POST /v1/events, for the pairing (default ${DEFAULT-VALUE}).")
        boolean httpPhase;

        @Override
        List<String> run(Bench bench, RabbitBroker broker, Report report, PrintStream out) throws Exception {
            return BusScenarios.busThroughput(bench, broker, report, out, publish(), httpPhase);
        }
    }
}
