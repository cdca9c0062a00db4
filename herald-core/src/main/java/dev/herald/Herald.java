package dev.herald;

import dev.herald.audit.AuditLog;
import dev.herald.catalog.EventCatalog;
import dev.herald.catalog.ValidationMode;
import dev.herald.delivery.DeliveryRepository;
import dev.herald.delivery.DeliveryService;
import dev.herald.delivery.Dispatcher;
import dev.herald.delivery.EventWriter;
import dev.herald.delivery.NodeLiveness;
import dev.herald.delivery.WebhookRequests;
import dev.herald.endpoint.EndpointRegistry;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.endpoint.SigningKeys;
import dev.herald.event.EventRepository;
import dev.herald.event.EventService;
import dev.herald.http.AddressPolicy;
import dev.herald.http.OutboundConfig;
import dev.herald.http.WebhookHttpClient;
import dev.herald.ingest.IngestService;
import dev.herald.merchant.MerchantService;
import dev.herald.metrics.EngineMetrics;
import dev.herald.stats.StatsRepository;
import dev.herald.stats.StatsWriter;
import dev.herald.notification.NotificationService;
import dev.herald.retention.PartitionMaintenance;
import dev.herald.seal.MasterKey;
import dev.herald.seal.PageCursors;
import dev.herald.seal.Vault;
import dev.herald.store.Jdbc;
import dev.herald.store.PlannerStatistics;
import dev.herald.support.Ids;
import dev.herald.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * One Herald node's engine, wired: endpoint registry, ingest, dispatcher and the services the API calls.
 * {@link #start()} starts its threads and resumes what an earlier process left pending; {@link #close()} hands
 * waiting work back.
 */
public final class Herald implements AutoCloseable {
    /** Where Herald's schema migrations live (for {@code Database.open}). */
    public static final String MIGRATIONS = "classpath:db/migration";

    /**
     * What the engine needs to know; {@code masterKey} wraps the data keys that seal secrets at rest; {@code retention}
     * says how long work is kept in its day partitions (see {@link PartitionMaintenance}).
     */
    public record Config(OutboundConfig outbound, Dispatcher.Config dispatcher, MasterKey masterKey, PartitionMaintenance.Config retention,
                         ValidationMode schemaValidation) {
        public Config {
            java.util.Objects.requireNonNull(masterKey, "a master key is required to seal secrets at rest");
            java.util.Objects.requireNonNull(retention, "retention");
            java.util.Objects.requireNonNull(schemaValidation, "schemaValidation");
        }

        /** Checking events against the catalog in the default mode, {@code warn}. */
        public Config(OutboundConfig outbound, Dispatcher.Config dispatcher, MasterKey masterKey, PartitionMaintenance.Config retention) {
            this(outbound, dispatcher, masterKey, retention, ValidationMode.WARN);
        }

        /** With the default retention (30 days, partitions 3 days ahead, a maintenance run every hour). */
        public Config(OutboundConfig outbound, Dispatcher.Config dispatcher, MasterKey masterKey) {
            this(outbound, dispatcher, masterKey, PartitionMaintenance.Config.defaults());
        }

        public static Config defaults(MasterKey masterKey) {
            return new Config(OutboundConfig.defaults(), Dispatcher.Config.defaults(), masterKey);
        }

        public Config withRetention(PartitionMaintenance.Config r) {
            return new Config(outbound, dispatcher, masterKey, r, schemaValidation);
        }

        /** This configuration checking events against the catalog in {@code mode} (merchants may have their own). */
        public Config withSchemaValidation(ValidationMode mode) {
            return new Config(outbound, dispatcher, masterKey, retention, mode);
        }
    }

    /** Plaintext secrets (from before sealing) sealed per transaction at start. */
    private static final int SEAL_BATCH = 200;

    private final Jdbc jdbc;
    private final EndpointRegistry registry;
    private final WebhookHttpClient http;
    private final Dispatcher dispatcher;
    private final EndpointService endpoints;
    private final DeliveryService deliveries;
    private final IngestService ingest;
    private final MerchantService merchants;
    private final NotificationService notifications;
    private final EventService events;
    private final AuditLog audit;
    private final EventCatalog catalog;
    private final ScheduledExecutorService maintenance;
    private final EndpointRepository endpointRepository;
    private final PageCursors cursors;
    private final DeliveryRepository deliveryRepository;
    private final EngineMetrics metrics;
    private final StatsRepository stats;
    private final StatsWriter statsWriter;
    private final PartitionMaintenance partitions;
    private final ScheduledExecutorService partitionJob;
    private final Duration partitionEvery;

    private Herald(DataSource ownerDataSource, Jdbc jdbc, Vault vault, Config config, Clock clock, RandomGenerator random, EngineMetrics metrics,
                   Tracing tracing) {
        this.jdbc = jdbc;
        this.metrics = metrics;
        this.cursors = new PageCursors(vault);
        String nodeId = Ids.next("node");
        this.stats = new StatsRepository();
        this.statsWriter = new StatsWriter(jdbc, stats, metrics.minutes(), nodeId, clock);
        EndpointRepository endpointRepository = new EndpointRepository(vault);
        this.endpointRepository = endpointRepository;
        DeliveryRepository deliveryRepository = new DeliveryRepository();
        this.deliveryRepository = deliveryRepository;
        EventRepository eventRepository = new EventRepository();
        SigningKeys signingKeys = new SigningKeys(vault);
        this.registry = new EndpointRegistry(jdbc, endpointRepository, signingKeys, clock, config.dispatcher().merchantAllowList());
        this.http = WebhookHttpClient.create(config.outbound(), clock);
        NodeLiveness liveness = new NodeLiveness(jdbc, nodeId, clock, config.dispatcher().heartbeat(), config.dispatcher().deadAfter());
        EventWriter writer = new EventWriter(eventRepository, deliveryRepository, registry, nodeId, liveness);
        WebhookRequests requests = new WebhookRequests(config.outbound().userAgent());
        this.dispatcher = new Dispatcher(jdbc, deliveryRepository, endpointRepository, registry, writer, http,
                requests, clock, random, config.dispatcher(), nodeId, liveness, metrics, tracing);
        writer.admitBy(dispatcher::takes);
        metrics.watch(dispatcher::triesInFlight, dispatcher::openBreakers);
        this.audit = new AuditLog(jdbc, clock, vault);
        this.endpoints = new EndpointService(jdbc, endpointRepository, registry, signingKeys, AddressPolicy.create(config.outbound().allowPrivateAddresses()),
                config.outbound().httpsOnly(), clock, dispatcher, audit);
        this.deliveries = new DeliveryService(jdbc, deliveryRepository, endpoints, writer, dispatcher, clock, audit, requests);
        this.ingest = new IngestService(jdbc, writer, registry, dispatcher, clock, metrics, tracing);
        this.merchants = new MerchantService(jdbc, endpointRepository, registry, dispatcher, signingKeys, config.dispatcher().merchantAllowList(),
                config.outbound().allowPrivateAddresses() || config.outbound().allowLoopbackNetworks(), clock, audit, vault);
        this.notifications = new NotificationService(jdbc, merchants, endpoints, writer, dispatcher, config.dispatcher().merchantAllowList(), clock);
        this.events = new EventService(jdbc, eventRepository);
        this.catalog = new EventCatalog(jdbc, clock, audit, config.schemaValidation(), metrics);
        this.maintenance = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("herald-maintenance").daemon().factory());
        this.partitions = new PartitionMaintenance(ownerDataSource, clock, config.retention(),
                r -> metrics.partitions(r.days(), r.kept().size(), r.dropped().size(), r.movedFromDefault()));
        this.partitionJob = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("herald-partitions").daemon().factory());
        this.partitionEvery = config.retention().every();
    }

    /**
     * Wires an engine over a database migrated from {@link #MIGRATIONS}, unwrapping its data keys with the config's
     * master key (making the first on a new database); call {@link #start()} to begin sending.
     *
     * @throws dev.herald.seal.WrongMasterKeyException if the database's data keys were wrapped by another master key
     */
    public static Herald create(DataSource dataSource, Config config, Clock clock, RandomGenerator random) {
        return create(dataSource, config, clock, random, EngineMetrics.none(clock), OpenTelemetry.noop());
    }

    /**
     * As {@link #create(DataSource, Config, Clock, RandomGenerator)}, counting on {@code metrics} and tracing ingest,
     * deliveries and attempts through {@code openTelemetry} ({@link OpenTelemetry#noop()}: no spans, no cost; see
     * {@link Tracing}).
     */
    public static Herald create(DataSource dataSource, Config config, Clock clock, RandomGenerator random, EngineMetrics metrics,
                                OpenTelemetry openTelemetry) {
        return create(dataSource, dataSource, config, clock, random, metrics, openTelemetry);
    }

    /**
     * As {@link #create(DataSource, Config, Clock, RandomGenerator, EngineMetrics, OpenTelemetry)}, running the work on
     * {@code dataSource} and the partition DDL and maintenance ({@link PartitionMaintenance}) on {@code ownerDataSource},
     * the schema owner's (see {@code Database#ownerDataSource}): the runtime role needs no DDL rights.
     */
    public static Herald create(DataSource dataSource, DataSource ownerDataSource, Config config, Clock clock, RandomGenerator random,
                                EngineMetrics metrics, OpenTelemetry openTelemetry) {
        Jdbc jdbc = new Jdbc(dataSource);
        return new Herald(ownerDataSource, jdbc, Vault.open(jdbc, config.masterKey()), config, Clock.tick(clock, Duration.ofNanos(1000)), random, metrics,
                Tracing.of(openTelemetry));
    }

    /**
     * Seals secrets still stored in plaintext (written before sealing existed), a batch per transaction; rows are
     * locked {@code for update skip locked}, so nodes starting together seal each value once. Reads accept plaintext
     * meanwhile. Returns how many values were sealed.
     */
    int sealPlaintext() {
        int total = 0;
        int n;
        do {
            n = jdbc.inTransaction(c -> endpointRepository.sealPlaintext(c, SEAL_BATCH) + merchants.sealPlaintext(c, SEAL_BATCH));
            total += n;
        } while (n > 0);
        if (total > 0) {
            LoggerFactory.getLogger(Herald.class).info("sealed {} secrets stored in plaintext by an earlier version", total);
        }
        return total;
    }

    /**
     * Seals secrets left in plaintext by an earlier version (see {@link #sealPlaintext()}), makes the audit chain's key
     * on first use and writes its anchor to the log (then every minute it moved), loads endpoints, starts ingest, recovers deliveries left in flight by an earlier process and starts dispatching;
     * reloads the endpoints every 5 s, counts the pending backlog for metrics and writes the minute stats every 5 s and refreshes stale planner
     * statistics every 10 s in the background.
     */
    public Herald start() {
        partitions.ensurePartitions();
        sealPlaintext();
        audit.ensureKey();
        audit.logAnchor();
        catalog.seed();
        registry.reload();
        ingest.start();
        dispatcher.start();
        every(5, "endpoint reload", registry::reload);
        every(60, "writing the audit anchor to the log", audit::logAnchor);
        every(5, "counting the backlog for metrics", this::refreshMetrics);
        every(5, "writing the minute stats", statsWriter::flush);
        PlannerStatistics statistics = new PlannerStatistics(jdbc, List.of("deliveries", "events", "attempts", "endpoints"));
        every(10, "refreshing planner statistics", statistics::refreshStale);
        long every = partitionEvery.toMillis();
        partitionJob.scheduleWithFixedDelay(() -> {
            try {
                partitions.runOnce();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(Herald.class).warn("partition maintenance failed: {}", e.toString());
            }
        }, Math.min(every, 300_000), every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Counts the pending backlog (one short query) and recomputes the worst endpoints, for the metrics gauges. */
    void refreshMetrics() {
        DeliveryRepository.Backlog b = jdbc.inTransaction(deliveryRepository::backlog);
        metrics.backlog(b.pending(), b.oldestCreatedAt());
        metrics.refreshTopEndpoints();
    }

    /** Runs {@code task} in the background every {@code seconds}; a failure is logged and the next run tries again. */
    private void every(int seconds, String what, Runnable task) {
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(Herald.class).warn("{} failed: {}", what, e.toString());
            }
        }, seconds, seconds, TimeUnit.SECONDS);
    }

    public EndpointService endpoints() { return endpoints; }
    public DeliveryService deliveries() { return deliveries; }
    public IngestService ingest() { return ingest; }
    public MerchantService merchants() { return merchants; }
    /** Seals the page cursors a merchant's key is given (see {@link PageCursors}). */
    public PageCursors cursors() { return cursors; }
    public NotificationService notifications() { return notifications; }
    public EventService events() { return events; }
    /** The event catalog: types, schemas, examples, and the schema check at ingest. */
    public EventCatalog catalog() { return catalog; }
    public Dispatcher dispatcher() { return dispatcher; }
    /** The day partitions' maintenance: runs on its own schedule; tests and the soak benchmark also call it. */
    public PartitionMaintenance partitions() { return partitions; }
    /** The operator audit log of every control-plane change. */
    public AuditLog audit() { return audit; }
    /** Every node's per-minute totals for the console's charts (written every 5 s by each node). */
    public StatsRepository stats() { return stats; }

    @Override
    public void close() {
        maintenance.shutdownNow();
        partitionJob.shutdownNow();
        ingest.close();
        dispatcher.close();
        http.close();
        try {
            statsWriter.flush();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Herald.class).warn("writing the minute stats at shutdown failed: {}", e.toString());
        }
    }
}
