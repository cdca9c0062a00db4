package dev.herald.server;

import dev.herald.Herald;
import dev.herald.retention.PartitionMaintenance;
import dev.herald.bus.Bus;
import dev.herald.bus.InProcessBus;
import dev.herald.bus.RabbitBus;
import dev.herald.delivery.Dispatcher;
import dev.herald.http.OutboundConfig;
import dev.herald.metrics.EngineMetrics;
import dev.herald.seal.LocalMasterKey;
import dev.herald.seal.MasterKey;
import dev.herald.seal.Vault;
import dev.herald.server.api.HeraldApi;
import dev.herald.server.api.MetricsRoutes;
import dev.herald.server.bus.BusIngest;
import dev.herald.server.telemetry.Telemetry;
import io.opentelemetry.api.OpenTelemetry;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.EmbeddedPostgres;
import dev.herald.store.Jdbc;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.ConsoleSessions;
import dev.herald.web.HttpListener;
import dev.herald.web.PortUnavailableException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Herald node: database (embedded or external), engine, event bus (RabbitMQ, or in-process) with Herald's
 * ingest consumer, HTTP API, and Prometheus metrics ({@link NodeMetrics}) at {@code /metrics} on the API port and,
 * when configured, on a port of their own. Closing stops them in reverse order.
 */
public final class HeraldServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HeraldServer.class);

    private final EmbeddedPostgres embedded;
    private final Database database;
    private final Herald herald;
    private final Bus bus;
    private final BusIngest busIngest;
    private final HttpListener web;
    private final Optional<String> generatedKey;
    private final boolean adminKeyExists;
    private final ScheduledExecutorService keyUse;
    private final NodeMetrics metrics;
    private final HttpListener metricsWeb;
    private final OpenTelemetry otel;

    private HeraldServer(EmbeddedPostgres embedded, Database database, Herald herald, Bus bus, BusIngest busIngest, HttpListener web,
                         Optional<String> generatedKey, boolean adminKeyExists, ScheduledExecutorService keyUse, NodeMetrics metrics, HttpListener metricsWeb,
                         OpenTelemetry otel) {
        this.metrics = metrics;
        this.metricsWeb = metricsWeb;
        this.keyUse = keyUse;
        this.otel = otel;
        this.embedded = embedded;
        this.database = database;
        this.herald = herald;
        this.bus = bus;
        this.busIngest = busIngest;
        this.web = web;
        this.generatedKey = generatedKey;
        this.adminKeyExists = adminKeyExists;
    }

    /**
     * Starts everything; on failure whatever was started is stopped again. Without a master key in {@code cfg}, the
     * embedded data directory's {@code master.key} is read, or generated on first start.
     *
     * @throws IllegalArgumentException if {@code cfg} names an external database without a master key
     * @throws dev.herald.seal.SealException if the master key is missing (embedded, with sealed data) or wrong
     */
    public static HeraldServer start(ServerConfig cfg, Clock clock) {
        return start(cfg, clock, Telemetry.off());
    }

    /**
     * As {@link #start(ServerConfig, Clock)}, tracing as {@code telemetry} says (spans exported until {@link #close()}).
     * On failure, what was started is stopped again in reverse order: nothing listens and no thread of the node remains.
     *
     * @throws PortUnavailableException when a listener cannot take its port, with the flag that changes it
     */
    public static HeraldServer start(ServerConfig cfg, Clock clock, Telemetry telemetry) {
        cfg.validate();
        OpenTelemetry otel = telemetry.openTelemetry(Version.get());
        Deque<AutoCloseable> started = new ArrayDeque<>(); // closed last-in first-out when the start fails
        started.push(() -> closeTracing(otel));
        try {
            NodeMetrics metrics = started(started, NodeMetrics.start());
            // the broker first: an unreachable one fails the start before a database is started for nothing
            Bus bus = started(started, cfg.amqpUrl() == null ? InProcessBus.create() : RabbitBus.connect(cfg.amqpUrl()));
            EmbeddedPostgres embedded = null;
            DatabaseConfig dbc;
            DatabaseConfig runtime; // the pool's role: on the embedded database, no superuser (migrations and partition DDL run as dbc)
            if (cfg.databaseUrl() == null) {
                embedded = started(started, EmbeddedPostgres.start(cfg.dataDir().resolve("postgres")));
                embedded.createDatabase("herald");
                dbc = DatabaseConfig.fromUrl(embedded.jdbcUrl("herald"));
                runtime = DatabaseConfig.fromUrl(embedded.runtimeJdbcUrl("herald"));
            } else {
                dbc = DatabaseConfig.fromUrl(cfg.databaseUrl());
                runtime = dbc;
            }
            Database db = started(started, Database.open(dbc.withApplicationName("herald"), runtime.withMaxPoolSize(20).withApplicationName("herald"),
                    Herald.MIGRATIONS));
            metrics.watch(db);
            OutboundConfig outbound = new OutboundConfig(cfg.allowPrivateAddresses(), cfg.httpsOnly(), 64, Duration.ofSeconds(5),
                    "Herald-Webhook/" + Version.get()).withEgressProxy(cfg.egressProxySettings())
                    .withLoopbackNetworks(cfg.allowLoopbackNetworks());
            Dispatcher.Config dc = new Dispatcher.Config(cfg.maxInFlightPerEndpoint(), cfg.maxInFlightPerMerchant(), 1000, 20_000, Duration.ofMillis(500), 500,
                    cfg.autoDisableAfter(), 5, Duration.ofSeconds(30), Dispatcher.HEARTBEAT, Dispatcher.DEAD_AFTER, cfg.merchantAllowList());
            MasterKey masterKey = cfg.masterKey() != null ? cfg.masterKey()
                    : LocalMasterKey.forDataDir(cfg.dataDir().resolve(LocalMasterKey.DATA_DIR_FILE), Vault.hasDataKeys(new Jdbc(db.dataSource())));
            Herald herald = started(started, Herald.create(db.dataSource(), db.ownerDataSource(), new Herald.Config(outbound, dc, masterKey)
                    .withRetention(PartitionMaintenance.Config.defaults().withRetentionDays(cfg.retentionDays()))
                    .withSchemaValidation(cfg.schemaValidation()), clock, new SecureRandom(),
                    new EngineMetrics(metrics.registry(), clock, cfg.metrics().topEndpoints(), Duration.ofMinutes(1)), otel));
            herald.start();
            ApiKeyStore keys = new ApiKeyStore(new Jdbc(db.dataSource()), "api_keys", clock);
            Optional<String> generated = keys.bootstrap(cfg.adminKey(), "hk_");
            boolean adminKeyExists = generated.isPresent() || keys.anyLive("admin");
            AtomicReference<HttpListener> listening = new AtomicReference<>();
            EmbeddedPostgres database = embedded;
            // not live while the listener is down and being started again, or once the embedded PostgreSQL cannot be
            // brought back (while it is being restarted, the node is live and answers 503)
            Jdbc jdbc = new Jdbc(db.dataSource());
            HeraldApi api = new HeraldApi(herald, keys, new ConsoleSessions(jdbc, clock), jdbc, clock, cfg.maxBodyBytes(),
                    () -> (listening.get() == null || listening.get().listening()) && (database == null || database.live()), db::ready,
                    MetricsRoutes.guarded(metrics::scrape, keys, cfg.metrics().key()));
            BusIngest busIngest = started(started, BusIngest.start(bus, herald.ingest(), herald.catalog(), BusIngest.Config.of(cfg.amqpBindings())));
            if (cfg.amqpUrl() != null) {
                metrics.watch(bus, dev.herald.bus.Topology.heraldIngest(cfg.amqpBindings()).name());
            }
            HttpListener web;
            try {
                web = started(started, HttpListener.start("herald", cfg.host(), cfg.port(), cfg.maxBodyBytes(), cfg.connectionLimits(), api::routing));
            } catch (PortUnavailableException e) {
                throw e.withHint(PORT_HINT);
            }
            listening.set(web);
            log.info("Herald {} listening on http://{}:{} ({})", Version.get(), cfg.host(), web.port(), cfg);
            HttpListener metricsWeb = null;
            if (cfg.metrics().ownPort()) {
                try {
                    metricsWeb = started(started, HttpListener.start("herald-metrics", cfg.metrics().host(), cfg.metrics().port(), 64 * 1024,
                            dev.herald.web.ConnectionLimits.defaults().withMaxConnections(16), r -> r.register(MetricsRoutes.open(metrics::scrape))));
                } catch (PortUnavailableException e) {
                    throw e.withHint(METRICS_PORT_HINT);
                }
                log.info("Herald metrics on http://{}:{}/metrics (no key needed there)", cfg.metrics().host(), metricsWeb.port());
            }
            // keys' last use, noted in memory on every request, is written every 5 s in one statement
            ScheduledExecutorService keyUse = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("herald-key-use").daemon().factory());
            keyUse.scheduleWithFixedDelay(() -> {
                try {
                    keys.flushLastUsed();
                } catch (RuntimeException e) {
                    log.warn("could not record API keys' last use: {}", e.getMessage());
                }
            }, 5, 5, TimeUnit.SECONDS);
            if (telemetry.otlpEndpoint() != null) {
                log.info("exporting traces over OTLP/HTTP to {}", telemetry.tracesUrl());
            }
            if (embedded != null) {
                embedded.stopOnExitAfter(Duration.ofSeconds(10)); // on Ctrl-C the server's own hook stops the engine, then the database
            }
            return new HeraldServer(embedded, db, herald, bus, busIngest, web, generated, adminKeyExists, keyUse, metrics, metricsWeb, otel);
        } catch (RuntimeException | Error e) {
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception | Error closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    /** What to do when the API port is taken. */
    static final String PORT_HINT = "choose another port with --port (or HERALD_PORT)";
    /** What to do when the metrics port is taken. */
    static final String METRICS_PORT_HINT = "choose another port with --metrics-port (or HERALD_METRICS_PORT)";

    /**
     * Fails at once, before anything starts, when a port of {@code cfg} cannot be listened on now ({@link #start} would
     * find out only after starting the database).
     *
     * @throws PortUnavailableException naming the port and the flag that changes it
     */
    public static void requirePortsAvailable(ServerConfig cfg) {
        try {
            HttpListener.requireAvailable(cfg.host(), cfg.port());
        } catch (PortUnavailableException e) {
            throw e.withHint(PORT_HINT);
        }
        if (cfg.metrics().ownPort()) {
            try {
                HttpListener.requireAvailable(cfg.metrics().host(), cfg.metrics().port());
            } catch (PortUnavailableException e) {
                throw e.withHint(METRICS_PORT_HINT);
            }
        }
    }

    private static <T extends AutoCloseable> T started(Deque<AutoCloseable> started, T part) {
        started.push(part);
        return part;
    }

    public int port() {
        return web.port();
    }

    /** The port of the metrics listener, if {@code --metrics-port} started one. */
    public Optional<Integer> metricsPort() {
        return Optional.ofNullable(metricsWeb).map(HttpListener::port);
    }

    public Herald herald() {
        return herald;
    }

    /**
     * The event bus this node takes events from ({@code herald.ingest}): RabbitMQ when configured, otherwise an
     * in-process bus that code in the same JVM (e.g. a bank running beside Herald) publishes to.
     */
    public Bus bus() {
        return bus;
    }

    /** The admin key generated on this start (first start of an empty database without HERALD_ADMIN_KEY). */
    public Optional<String> generatedAdminKey() {
        return generatedKey;
    }

    /** True when a live key with the admin scope exists (generated now or earlier, configured, or made through the API). */
    public boolean adminKeyExists() {
        return adminKeyExists;
    }

    @Override
    public void close() {
        if (metricsWeb != null) {
            metricsWeb.close();
        }
        web.close();
        keyUse.shutdownNow();
        busIngest.close();
        bus.close();
        herald.close();
        metrics.close();
        database.close();
        if (embedded != null) {
            embedded.close();
        }
        closeTracing(otel);
    }

    /** Flushes and stops an SDK's exporter (the no-op has none). */
    private static void closeTracing(OpenTelemetry otel) {
        if (otel instanceof java.io.Closeable c) {
            try {
                c.close();
            } catch (java.io.IOException | RuntimeException e) {
                log.warn("could not flush the last spans: {}", e.toString());
            }
        }
    }
}
