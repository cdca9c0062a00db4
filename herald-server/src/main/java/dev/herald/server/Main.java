package dev.herald.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import dev.herald.bank.BankCommand;
import dev.herald.catalog.ValidationMode;
import dev.herald.seal.LocalMasterKey;
import dev.herald.seal.MasterKey;
import dev.herald.seal.SealException;
import dev.herald.server.cli.CompletionCommand;
import dev.herald.server.cli.DeliveriesCommand;
import dev.herald.server.cli.EndpointsCommand;
import dev.herald.server.cli.EventTypesCommand;
import dev.herald.server.cli.EventsCommand;
import dev.herald.server.cli.Remote;
import dev.herald.server.cli.ReplayCommand;
import dev.herald.server.cli.ResendCommand;
import dev.herald.server.cli.TailCommand;
import dev.herald.server.cli.TriggerCommand;
import dev.herald.server.telemetry.Logs;
import dev.herald.server.telemetry.Telemetry;
import dev.herald.web.ConnectionLimits;
import dev.herald.web.Durations;
import dev.herald.web.PortUnavailableException;
import dev.herald.web.Secrets;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The {@code herald} command line. */
@Command(name = "herald", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        subcommands = {Main.Serve.class, Receive.class, KeysCommand.class, BankCommand.class, Demo.class,
                EventsCommand.class, EndpointsCommand.class, DeliveriesCommand.class, EventTypesCommand.class, TriggerCommand.class,
                dev.herald.server.listen.ListenCommand.class, TailCommand.class, ResendCommand.class, ReplayCommand.class,
                CompletionCommand.class, CommandLine.HelpCommand.class},
        description = "Herald delivers the events of financial systems to merchant webhooks: signed, retried, recorded.",
        footerHeading = "%nThe ./herald launcher also runs:%n",
        footer = {"  test     Run the whole test suite (what CI runs).",
                "  build    (Re)build the distribution (also done on first use).",
                "  bench    Run a benchmark scenario (./herald bench --help)."})
public final class Main implements Remote.Environment {

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(run(args, System.getenv()));
    }

    /** The environment HERALD_* defaults and HERALD_ADMIN_KEY come from. */
    final Map<String, String> env;

    Main(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Map<String, String> env() {
        return env;
    }

    static int run(String[] args, Map<String, String> env) {
        return run(args, env, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    }

    /** Runs the command line with {@code env} as the environment, writing to {@code out} and {@code err}; returns the exit code. */
    static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        ConfigFile file;
        try {
            file = configFile(args, env);
            file.requireKnownKeys(serveKeys());
        } catch (IOException e) {
            err.println("herald: invalid configuration: cannot read config file: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("herald: invalid configuration: " + e.getMessage());
            err.flush();
            return 2;
        }
        CommandLine cl = commandLine(env, file);
        cl.setOut(out);
        cl.setErr(err);
        CommandLine.IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
        cl.setParameterExceptionHandler((e, rest) -> {
            // a value from the environment or the config file that is not of its option's type: named there, no usage
            Optional<String> source = e.getArgSpec() instanceof OptionSpec o && e.getCommandLine().getDefaultValueProvider() instanceof EnvAndFileDefaults d
                    ? d.source(o, e.getValue()) : Optional.empty();
            if (source.isEmpty() && e.getCommandLine().getCommandSpec().mixins().values().stream().anyMatch(m -> m.userObject() instanceof Remote)) {
                e.getCommandLine().getErr().println("herald: " + Remote.usageProblem(e)); // a remote command: one line, never echoing a value
                return 2;
            }
            if (source.isEmpty()) {
                return usage.handleParseException(e, rest);
            }
            String reason = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
            e.getCommandLine().getErr().println("herald: invalid configuration: " + source.get() + ": " + reason);
            return 2;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The keys a config file may set: the long options of {@code herald serve} without their dashes. */
    static Set<String> serveKeys() {
        return new CommandLine(new Serve()).getCommandSpec().options().stream().map(OptionSpec::longestName)
                .filter(n -> !Set.of("--config", "--help", "--version").contains(n)).map(n -> n.substring(2)).collect(Collectors.toSet());
    }

    /** The {@code herald} command with its defaults from {@code env}, then {@code file}. */
    static CommandLine commandLine(Map<String, String> env, Properties file) {
        return commandLine(env, new ConfigFile(null, file, Map.of()));
    }

    static CommandLine commandLine(Map<String, String> env, ConfigFile file) {
        CommandLine cl = new CommandLine(new Main(env));
        cl.setDefaultValueProvider(new EnvAndFileDefaults(env, file));
        return cl;
    }

    /** {@code herald serve}: runs a node until interrupted. Precedence: flags, then HERALD_* environment, then the config file. */
    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run Herald (embedded PostgreSQL unless --database-url is given).")
    static final class Serve implements Callable<Integer> {
        @ParentCommand
        Main parent; // null when Serve is parsed on its own (tests)
        @Spec
        CommandSpec spec;
        @Option(names = "--config", description = "Properties file with defaults (keys as the long flags without dashes, e.g. port=8080). Env: HERALD_CONFIG")
        Path config;
        @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE}). Env: HERALD_HOST", defaultValue = "0.0.0.0")
        String host;
        @Option(names = "--port", description = "HTTP port (default ${DEFAULT-VALUE}). Env: HERALD_PORT", defaultValue = "8080")
        int port;
        @Option(names = "--data-dir", description = "Data directory for the embedded database (default ${DEFAULT-VALUE}). Env: HERALD_DATA_DIR", defaultValue = "herald-data")
        Path dataDir;
        @Option(names = "--database-url", description = "External PostgreSQL, e.g. postgresql://user:pass@host:5432/db. Env: HERALD_DATABASE_URL "
                + "(prefer it, or --database-url-file, to this flag: arguments are visible to every user in ps)")
        String databaseUrl;
        @Option(names = "--database-url-file", description = "File holding the --database-url (keep it chmod 600). Env: HERALD_DATABASE_URL_FILE")
        Path databaseUrlFile;
        @Option(names = "--allow-private-addresses", description = "Allow webhooks to loopback/private networks (tests, private deployments). Env: HERALD_ALLOW_PRIVATE_ADDRESSES", defaultValue = "false")
        boolean allowPrivate;
        @Option(names = "--allow-loopback-networks", description = "Let merchants list loopback (127.0.0.0/8, ::1: this host's own services) among their "
                + "url_rules.private_networks; refused by default. Env: HERALD_ALLOW_LOOPBACK_NETWORKS", defaultValue = "false")
        boolean allowLoopbackNetworks;
        @Option(names = "--https-only", description = "Refuse endpoint URLs that are not https. Env: HERALD_HTTPS_ONLY", defaultValue = "false")
        boolean httpsOnly;
        @Option(names = "--max-body-size", description = "Largest accepted request body, e.g. 262144, 256KiB, 1MiB (default ${DEFAULT-VALUE}). Env: HERALD_MAX_BODY_SIZE", defaultValue = "256KiB")
        String maxBodySize;
        @Option(names = "--auto-disable-after", description = "Consecutive failures that disable an endpoint (default ${DEFAULT-VALUE}). Env: HERALD_AUTO_DISABLE_AFTER", defaultValue = "10")
        int autoDisableAfter;
        @Option(names = "--max-in-flight-per-endpoint", description = "Concurrent requests per endpoint (default ${DEFAULT-VALUE}). Env: HERALD_MAX_IN_FLIGHT_PER_ENDPOINT", defaultValue = "16")
        int maxInFlight;
        @Option(names = "--max-in-flight-per-merchant", description = "Concurrent requests across all endpoints of one merchant (default ${DEFAULT-VALUE}). Env: HERALD_MAX_IN_FLIGHT_PER_MERCHANT", defaultValue = "64")
        int maxInFlightPerMerchant;
        @Option(names = "--merchant-allow-list", description = "Only merchants the operator listed (\"listed\": true) receive; the others' deliveries wait and new events for them are refused. Env: HERALD_MERCHANT_ALLOW_LIST", defaultValue = "false")
        boolean merchantAllowList;

        @Option(names = "--egress-proxy", description = "HTTP CONNECT proxy for deliveries, http://[user:password@]host[:port] (default: direct); "
                + "a merchant's own proxy takes precedence. Env: HERALD_EGRESS_PROXY (prefer it, or --egress-proxy-file, when it holds a password)")
        String egressProxy;
        @Option(names = "--egress-proxy-file", description = "File holding the --egress-proxy URL (keep it chmod 600). Env: HERALD_EGRESS_PROXY_FILE")
        Path egressProxyFile;
        @Option(names = "--master-key-file", description = "File holding the master key that seals secrets at rest (32 random bytes as base64 or hex;"
                + " keep it chmod 600). Env: HERALD_MASTER_KEY_FILE; or set HERALD_MASTER_KEY. Required with --database-url; with the embedded"
                + " database the default is <data-dir>/master.key, generated on first start")
        Path masterKeyFile;

        @Option(names = "--amqp-url", description = "RabbitMQ to take events from, e.g. amqp://user:pass@host:5672/ (default: an in-process bus). "
                + "Env: HERALD_AMQP_URL (prefer it, or --amqp-url-file, to this flag)")
        String amqpUrl;
        @Option(names = "--amqp-url-file", description = "File holding the --amqp-url (keep it chmod 600). Env: HERALD_AMQP_URL_FILE")
        Path amqpUrlFile;
        @Option(names = "--max-connections", description = "Most client connections open at once; more wait in the accept backlog "
                + "(default: from the open-files limit, half of what 256 reserved files leave, 16 to 10000). Env: HERALD_MAX_CONNECTIONS")
        Integer maxConnections;
        @Option(names = "--idle-timeout", description = "Close a connection without a request in progress, or whose body or answer stalls, "
                + "after this (default ${DEFAULT-VALUE}). Env: HERALD_IDLE_TIMEOUT", defaultValue = "30s")
        String idleTimeout;
        @Option(names = "--header-timeout", description = "Close a connection whose request headers are not complete this long after its request line "
                + "(default ${DEFAULT-VALUE}). Env: HERALD_HEADER_TIMEOUT", defaultValue = "10s")
        String headerTimeout;
        @Option(names = "--amqp-bindings", description = "Comma-separated routing patterns of the events Herald takes from the bus (default ${DEFAULT-VALUE}). Env: HERALD_AMQP_BINDINGS", defaultValue = "#")
        String amqpBindings;
        @Option(names = "--metrics-port", description = "Also serve /metrics without a key on this port (default: none; /metrics is then only"
                + " on --port, for an admin key or --metrics-key). Env: HERALD_METRICS_PORT")
        Integer metricsPort;
        @Option(names = "--metrics-host", description = "Address the --metrics-port listens on (default ${DEFAULT-VALUE}; anything wider should be"
                + " a private network). Env: HERALD_METRICS_HOST", defaultValue = "127.0.0.1")
        String metricsHost;
        @Option(names = "--metrics-key", description = "Bearer key that may read /metrics on --port besides admin keys. Env: HERALD_METRICS_KEY"
                + " (prefer it, or --metrics-key-file, to this flag)")
        String metricsKey;
        @Option(names = "--metrics-key-file", description = "File holding the --metrics-key (keep it chmod 600). Env: HERALD_METRICS_KEY_FILE")
        Path metricsKeyFile;
        @Option(names = "--metrics-top-endpoints", description = "Label the failures of the N endpoints failing most in the last minutes"
                + " (0-100, default ${DEFAULT-VALUE}: no endpoint labels). Env: HERALD_METRICS_TOP_ENDPOINTS", defaultValue = "0")
        int metricsTopEndpoints;
        @Option(names = "--retention-days", description = "Keep events, deliveries and attempts this many days (1-3650, default ${DEFAULT-VALUE});"
                + " then a whole day goes at once, except pending deliveries and failed ones inside their resend window (see README, Retention)."
                + " Env: HERALD_RETENTION_DAYS", defaultValue = "30")
        int retentionDays;
        @Option(names = "--otlp-endpoint", description = "Export traces over OTLP/HTTP to this collector, e.g. http://collector:4318 (default: no tracing). "
                + "Env: HERALD_OTLP_ENDPOINT")
        String otlpEndpoint;
        @Option(names = "--otlp-sampling-ratio", description = "Share of the traces starting at Herald that are sampled, 0 to 1 (default"
                + " ${DEFAULT-VALUE}); a producer's traceparent decides for its own traces. Env: HERALD_OTLP_SAMPLING_RATIO", defaultValue = "1")
        double otlpSamplingRatio;
        @Option(names = "--otlp-headers", description = "Headers sent with each export, name=value,... (a collector's credentials). Env:"
                + " HERALD_OTLP_HEADERS (prefer it, or --otlp-headers-file, to this flag)")
        String otlpHeaders;
        @Option(names = "--otlp-headers-file", description = "File holding the --otlp-headers (keep it chmod 600). Env: HERALD_OTLP_HEADERS_FILE")
        Path otlpHeadersFile;
        @Option(names = "--schema-validation", description = "Check each ingested event against its type's schema in the event catalog:"
                + " off, warn (accept and say so in the answer's warnings) or enforce (refuse with 422) (default ${DEFAULT-VALUE});"
                + " a merchant's own schema_validation takes precedence. Env: HERALD_SCHEMA_VALIDATION", defaultValue = "warn")
        String schemaValidation;
        @Option(names = "--log-format", description = "Log lines as text or json (one object per line) (default ${DEFAULT-VALUE}). Env: HERALD_LOG_FORMAT",
                defaultValue = "text")
        String logFormat;

        /** Tracing and log format from the {@code --otlp-*} flags and {@code --log-format}; throws IllegalArgumentException naming the flag. */
        Telemetry telemetry() {
            return telemetry(new PrintWriter(java.io.Writer.nullWriter()));
        }

        /** As {@link #telemetry()}, with a line in {@code warnings} for export headers given as a command-line argument. */
        Telemetry telemetry(PrintWriter warnings) {
            String headers = Secrets.resolve("otlp-headers", otlpHeaders, "otlp-headers-file", otlpHeadersFile, warnings);
            if (onCommandLine("--otlp-headers")) {
                Secrets.warnArgument(warnings, "--otlp-headers", "HERALD_OTLP_HEADERS", "--otlp-headers-file");
            }
            return Telemetry.parse(otlpEndpoint, logFormat, otlpSamplingRatio, headers);
        }

        @Override
        public Integer call() throws InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ServerConfig cfg;
            Telemetry telemetry;
            StringWriter warnings = new StringWriter();
            try {
                cfg = config(parent != null ? parent.env : System.getenv(), new PrintWriter(warnings, true));
                telemetry = telemetry(new PrintWriter(warnings, true));
            } catch (IllegalArgumentException e) {
                err.println("herald: invalid configuration: " + e.getMessage() + fileSource(e.getMessage()));
                err.flush();
                return 2;
            }
            err.print(warnings);
            err.flush();
            Logs.use(telemetry.logFormat());
            HeraldServer server;
            try {
                HeraldServer.requirePortsAvailable(cfg);
                if (cfg.databaseUrl() == null) {
                    DataDirHolder.of(cfg.dataDir().resolve("postgres")).ifPresent(holder -> {
                        err.println("herald: " + cfg.dataDir() + " is in use by " + holder + "; waiting up to a minute for it to stop"
                                + " (Ctrl-C to give up, or choose another --data-dir)");
                        err.flush();
                    });
                }
                server = HeraldServer.start(cfg, Clock.systemUTC(), telemetry);
            } catch (PortUnavailableException e) {
                err.println("herald: " + e.getMessage());
                err.flush();
                return 1;
            } catch (SealException e) { // a missing or wrong master key: a configuration error, named by key ids only
                err.println("herald: could not start: " + e.getMessage());
                err.flush();
                return 2;
            } catch (RuntimeException e) {
                err.println("herald: could not start: " + e.getMessage());
                err.flush();
                return 1;
            }
            // with JSON logs, stdout holds only JSON lines: what is meant for a person goes to stderr
            PrintWriter human = telemetry.logFormat() == Telemetry.LogFormat.JSON ? err : out;
            server.generatedAdminKey().ifPresent(key -> {
                human.println();
                human.println("  Herald admin API key (shown once, stored hashed; set HERALD_ADMIN_KEY to choose your own):");
                human.println();
                human.println("      " + key);
                human.println();
            });
            if (server.generatedAdminKey().isEmpty() && cfg.adminKey() == null) {
                human.println(adminKeyHint(server.adminKeyExists(), cfg));
            }
            human.println("Herald is ready on http://localhost:" + server.port() + "  (Ctrl-C to stop)");
            human.flush();
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "herald-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                stopped.await();
            } catch (InterruptedException e) { // stopped from within this JVM (an embedding, a test): stop the node now
                Runtime.getRuntime().removeShutdownHook(hook);
                server.close();
                throw e;
            }
            return 0;
        }

        /** " (FILE line N)" when {@code message} is about a setting (it starts with its key) that came from the config file. */
        private String fileSource(String message) {
            if (!(spec.commandLine().getDefaultValueProvider() instanceof EnvAndFileDefaults defaults)) {
                return "";
            }
            return spec.options().stream().map(o -> o.longestName().substring(2)).filter(k -> message.startsWith(k + " "))
                    .max(java.util.Comparator.comparingInt(String::length))
                    .flatMap(k -> defaults.fileSource(k, spec.commandLine().getParseResult())).map(w -> " (" + w + ")").orElse("");
        }

        /**
         * The line a start without a new admin key prints: that one exists (it was printed on the first start) or that
         * none does, and how to make a new one with {@code herald keys reset-admin}.
         */
        static String adminKeyHint(boolean exists, ServerConfig cfg) {
            String reset = cfg.databaseUrl() == null
                    ? "stop Herald and run: ./herald keys reset-admin --data-dir " + cfg.dataDir()
                    : "run ./herald keys reset-admin with this node's HERALD_DATABASE_URL and master key";
            return exists
                    ? "Admin API key: already made, and printed once then (lost it? " + reset + ")"
                    : "No admin API key exists: to make one, " + reset;
        }

        /** {@link #config(Map, PrintWriter)} with its warnings dropped. */
        ServerConfig config(Map<String, String> env) {
            return config(env, new PrintWriter(java.io.Writer.nullWriter()));
        }

        /**
         * Resolves and validates what the parsed options describe; HERALD_ADMIN_KEY comes from {@code env} only, never a flag.
         * Secrets come from their value or their file ({@link Secrets#resolve}); {@code warnings} gets a line for a secret
         * given as a command-line argument and for a secret file others can read, never the secret itself.
         */
        ServerConfig config(Map<String, String> env, PrintWriter warnings) {
            String db = Secrets.resolve("database-url", databaseUrl, "database-url-file", databaseUrlFile, warnings);
            String amqp = Secrets.resolve("amqp-url", amqpUrl, "amqp-url-file", amqpUrlFile, warnings);
            String proxy = Secrets.resolve("egress-proxy", egressProxy, "egress-proxy-file", egressProxyFile, warnings);
            String metricsSecret = Secrets.resolve("metrics-key", metricsKey, "metrics-key-file", metricsKeyFile, warnings);
            MasterKey masterKey = masterKey(env, masterKeyFile, warnings);
            ConnectionLimits limits = new ConnectionLimits(maxConnections == null ? ConnectionLimits.defaultMaxConnections() : maxConnections,
                    Durations.parse("idle-timeout", idleTimeout), Durations.parse("header-timeout", headerTimeout));
            ServerConfig cfg = new ServerConfig(host, port, dataDir.toAbsolutePath().normalize(), blankToNull(db), allowPrivate, httpsOnly,
                    parseSize(maxBodySize), autoDisableAfter, maxInFlight, maxInFlightPerMerchant, blankToNull(env.get("HERALD_ADMIN_KEY")),
                    blankToNull(amqp),
                    java.util.Arrays.stream(amqpBindings.split(",")).map(String::trim).filter(b -> !b.isEmpty()).toList(), limits,
                    merchantAllowList, blankToNull(proxy), masterKey,
                    new ServerConfig.Metrics(metricsHost, metricsPort == null ? -1 : metricsPort, blankToNull(metricsSecret), metricsTopEndpoints)).withRetentionDays(retentionDays)
                    .withLoopbackNetworks(allowLoopbackNetworks).withSchemaValidation(schemaValidation(schemaValidation)).validate();
            if (onCommandLine("--metrics-key")) {
                Secrets.warnArgument(warnings, "--metrics-key", "HERALD_METRICS_KEY", "--metrics-key-file");
            }
            if (onCommandLine("--egress-proxy") && Secrets.hasPassword(egressProxy)) {
                Secrets.warnArgument(warnings, "--egress-proxy", "HERALD_EGRESS_PROXY", "--egress-proxy-file");
            }
            if (onCommandLine("--database-url") && Secrets.hasPassword(databaseUrl)) {
                Secrets.warnArgument(warnings, "--database-url", "HERALD_DATABASE_URL", "--database-url-file");
            }
            if (onCommandLine("--amqp-url") && Secrets.hasPassword(amqpUrl)) {
                Secrets.warnArgument(warnings, "--amqp-url", "HERALD_AMQP_URL", "--amqp-url-file");
            }
            return cfg;
        }

        private boolean onCommandLine(String option) {
            CommandLine.ParseResult parsed = spec == null ? null : spec.commandLine().getParseResult();
            return parsed != null && parsed.hasMatchedOption(option);
        }
    }

    /**
     * The master key from HERALD_MASTER_KEY or {@code file} (HERALD_MASTER_KEY_FILE), or null if neither is set.
     *
     * @throws IllegalArgumentException if both are set, the file cannot be read, or what they hold is no key (never echoed)
     */
    static MasterKey masterKey(Map<String, String> env, Path file, PrintWriter warnings) {
        String text = Secrets.resolve("HERALD_MASTER_KEY", env.get("HERALD_MASTER_KEY"), "master-key-file", file, warnings);
        return text == null ? null : LocalMasterKey.parse(text, file != null ? "master-key-file " + file : "HERALD_MASTER_KEY");
    }

    /** The --schema-validation mode; anything but off, warn or enforce is a configuration error naming the key. */
    static ValidationMode schemaValidation(String s) {
        try {
            return ValidationMode.parse(s, "schema-validation");
        } catch (dev.herald.support.ValidationException e) {
            throw new IllegalArgumentException("schema-validation must be off, warn or enforce, got '" + s + "'");
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Bytes from "262144", "256KiB", "256k", "1MiB", "1m". */
    static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        for (String[] unit : new String[][] {{"kib", "1024"}, {"mib", "1048576"}, {"kb", "1000"}, {"mb", "1000000"}, {"k", "1024"}, {"m", "1048576"}, {"b", "1"}}) {
            if (t.endsWith(unit[0])) {
                mult = Long.parseLong(unit[1]);
                t = t.substring(0, t.length() - unit[0].length()).trim();
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("max-body-size must be a size such as 262144, 256KiB or 1MiB, got '" + s + "'");
        }
    }

    /**
     * Supplies option defaults from HERALD_* environment variables, then the config file, to {@code serve} and
     * {@code keys}; {@code receive}, {@code bank} and {@code demo} have settings of their own (HERALD_PORT is not the
     * receiver's port), and the remote commands take only {@link Remote}'s from the environment.
     */
    record EnvAndFileDefaults(Map<String, String> env, ConfigFile file) implements CommandLine.IDefaultValueProvider {
        EnvAndFileDefaults(Map<String, String> env, Properties file) {
            this(env, new ConfigFile(null, file, Map.of()));
        }

        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec opt) || opt.longestName().equals("--config") || !applies(opt)) {
                return null;
            }
            String fromEnv = env.get(envName(opt));
            if (fromEnv != null && !fromEnv.isBlank()) {
                return fromEnv;
            }
            return file.get(opt.longestName().substring(2));
        }

        /** Where {@code value}, the default of {@code opt}, comes from: "HERALD_PORT=eighty" or "FILE line N: port=eighty". */
        Optional<String> source(OptionSpec opt, String value) {
            if (value == null || !applies(opt) || !value.equals(defaultValue(opt))) {
                return Optional.empty();
            }
            String fromEnv = env.get(envName(opt));
            if (fromEnv != null && !fromEnv.isBlank()) {
                return Optional.of(envName(opt) + "=" + value);
            }
            String key = opt.longestName().substring(2);
            return file.where(key).map(where -> where + ": " + key + "=" + value);
        }

        /** "FILE line N" when the config file sets {@code key} and neither a flag of {@code parsed} nor the environment overrides it. */
        Optional<String> fileSource(String key, CommandLine.ParseResult parsed) {
            if ((parsed != null && parsed.hasMatchedOption("--" + key)) || Main.blankToNull(env.get(envName("--" + key))) != null) {
                return Optional.empty();
            }
            return file.where(key);
        }

        private static String envName(OptionSpec opt) {
            return envName(opt.longestName());
        }

        private static String envName(String longName) {
            return "HERALD_" + longName.substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
        }

        private static boolean applies(OptionSpec opt) {
            Object owner = opt.command() == null ? null : opt.command().userObject();
            if (opt.command() != null && opt.command().mixins().values().stream().anyMatch(m -> m.userObject() instanceof Remote)) {
                return Remote.ENVIRONMENT_OPTIONS.contains(opt.longestName()); // HERALD_URL and HERALD_API_KEY_FILE, not HERALD_STATUS
            }
            return !(owner instanceof Receive || owner instanceof BankCommand || owner instanceof Demo);
        }
    }

    /** The config file named by {@code --config} (or HERALD_CONFIG), loaded before the flags are parsed. */
    static ConfigFile configFile(String[] args, Map<String, String> env) throws IOException {
        String path = env.get("HERALD_CONFIG");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                path = args[i + 1];
            } else if (args[i].startsWith("--config=")) {
                path = args[i].substring("--config=".length());
            }
        }
        return path == null || path.isBlank() ? ConfigFile.NONE : ConfigFile.load(Path.of(path));
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"herald " + Version.get()};
        }
    }
}
