package dev.herald.testing;

import dev.herald.Herald;
import dev.herald.audit.Actor;
import dev.herald.audit.AuditContext;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.DeliveryRepository;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.event.EventInput;
import dev.herald.http.OutboundConfig;
import dev.herald.ingest.IngestService;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * A Herald engine on a test database with a hand-driven clock: the due-scanner only runs when a test calls
 * {@link #scan()}, so retries happen exactly when the test moves the clock.
 */
public final class EngineHarness implements AutoCloseable {
    /** Tries in flight across one merchant's endpoints (each endpoint allows 4). */
    public static final int MERCHANT_CAP = 6;
    /** The operator the engine tests act as: every change they make is audited as made by this key. */
    public static final AuditContext OP = new AuditContext(new Actor("key_engine_test", "engine test", null), "127.0.0.1",
            "4bf92f3577b34da6a3ce929d0e0e4736");
    public final MutableClock clock;
    public final Database database;
    /** The test's own handle on the engine's database (the engine does not hand out its own). */
    public final Jdbc jdbc;
    public final Herald herald;
    /** The master key every harness seals its secrets under. */
    public static final dev.herald.seal.MasterKey MASTER_KEY = dev.herald.seal.LocalMasterKey.generate();

    private EngineHarness(DatabaseConfig db, int autoDisableAfter) {
        this(db, autoDisableAfter, UnaryOperator.identity());
    }

    private EngineHarness(DatabaseConfig db, int autoDisableAfter, UnaryOperator<Dispatcher.Config> tune) {
        this(db, autoDisableAfter, tune, io.opentelemetry.api.OpenTelemetry.noop());
    }

    private EngineHarness(DatabaseConfig db, int autoDisableAfter, UnaryOperator<Dispatcher.Config> tune, io.opentelemetry.api.OpenTelemetry otel) {
        this(db, autoDisableAfter, tune, otel, dev.herald.retention.PartitionMaintenance.Config.defaults(), MutableClock.startingNow());
    }

    private EngineHarness(DatabaseConfig db, int autoDisableAfter, UnaryOperator<Dispatcher.Config> tune, io.opentelemetry.api.OpenTelemetry otel,
                          dev.herald.retention.PartitionMaintenance.Config retention, MutableClock clock) {
        this(db, autoDisableAfter, tune, otel, retention, clock, UnaryOperator.identity());
    }

    private EngineHarness(DatabaseConfig db, int autoDisableAfter, UnaryOperator<Dispatcher.Config> tune, io.opentelemetry.api.OpenTelemetry otel,
                          dev.herald.retention.PartitionMaintenance.Config retention, MutableClock clock, UnaryOperator<DataSource> engineDataSource) {
        this.clock = clock;
        this.database = Database.open(db, Herald.MIGRATIONS);
        this.jdbc = new Jdbc(database.dataSource());
        Dispatcher.Config dc = new Dispatcher.Config(4, MERCHANT_CAP, 1000, 20_000, Duration.ofDays(1), 500, autoDisableAfter, 5, Duration.ofSeconds(30),
                Duration.ofSeconds(2), Duration.ofSeconds(10), false);
        OutboundConfig out = new OutboundConfig(true, false, 16, Duration.ofSeconds(2), "Herald-Webhook/test");
        this.herald = Herald.create(engineDataSource.apply(database.dataSource()), new Herald.Config(out, tune.apply(dc), MASTER_KEY, retention), clock, new SplittableRandom(42), dev.herald.metrics.EngineMetrics.none(clock), otel).start();
    }

    public static EngineHarness open(DatabaseConfig db) {
        return new EngineHarness(db, 10);
    }

    /** An engine whose every statement goes through {@code log}, which notes those of the threads it watches. */
    public static EngineHarness open(DatabaseConfig db, StatementLog log) {
        return new EngineHarness(db, 10, UnaryOperator.identity(), io.opentelemetry.api.OpenTelemetry.noop(),
                dev.herald.retention.PartitionMaintenance.Config.defaults(), MutableClock.startingNow(), log::wrap);
    }

    /**
     * An engine keeping work as {@code retention} says, its clock starting at {@code start} (the maintenance job runs
     * only when a test calls it: its first scheduled run is minutes away).
     */
    public static EngineHarness open(DatabaseConfig db, dev.herald.retention.PartitionMaintenance.Config retention, java.time.Instant start) {
        return new EngineHarness(db, 10, UnaryOperator.identity(), io.opentelemetry.api.OpenTelemetry.noop(), retention, new MutableClock(start));
    }

    /** A second engine on the same database and clock as this one (another node), keeping work as {@code retention} says. */
    public EngineHarness secondNode(DatabaseConfig db, dev.herald.retention.PartitionMaintenance.Config retention) {
        return new EngineHarness(db, 10, UnaryOperator.identity(), io.opentelemetry.api.OpenTelemetry.noop(), retention, clock);
    }

    /** An engine whose dispatcher limits {@code tune} changes (e.g. the merchant allow-list mode). */
    public static EngineHarness open(DatabaseConfig db, UnaryOperator<Dispatcher.Config> tune) {
        return new EngineHarness(db, 10, tune);
    }

    /** An engine tracing through {@code otel}, disabling an endpoint after {@code autoDisableAfter} failures in a row. */
    public static EngineHarness open(DatabaseConfig db, int autoDisableAfter, io.opentelemetry.api.OpenTelemetry otel) {
        return new EngineHarness(db, autoDisableAfter, UnaryOperator.identity(), otel);
    }

    public static EngineHarness open(DatabaseConfig db, int autoDisableAfter) {
        return new EngineHarness(db, autoDisableAfter);
    }

    /** A second engine on the same database (a restarted process). */
    public EngineHarness restart(DatabaseConfig db) {
        return new EngineHarness(db, 10);
    }

    public Endpoint endpoint(String url, List<String> events) {
        return herald.endpoints().create(OP, new EndpointDraft(null, "test", null, url, events, null, null, null, null, null, null, 2));
    }

    public Endpoint endpoint(EndpointDraft draft) {
        return herald.endpoints().create(OP, draft);
    }

    public IngestService.Accepted publish(String type) {
        return publish(new EventInput(null, type, null, "acc-1", JsonNodeFactory.instance.objectNode().put("amount", 100), null, 0, null, null));
    }

    public IngestService.Accepted publish(EventInput in) {
        return herald.ingest().ingest(List.of(in)).getFirst();
    }

    /** Moves the clock and runs one due-scan. */
    public int advanceAndScan(Duration d) {
        clock.advance(d);
        return scan();
    }

    public int scan() {
        return herald.dispatcher().scanOnce();
    }

    public List<Delivery> deliveriesOf(String eventId) {
        return herald.deliveries().list(new DeliveryRepository.Filter(null, null, eventId, null, null, null, 100));
    }

    public Delivery onlyDeliveryOf(String eventId) {
        List<Delivery> ds = deliveriesOf(eventId);
        if (ds.size() != 1) {
            throw new AssertionError("expected one delivery of " + eventId + ", got " + ds);
        }
        return ds.getFirst();
    }

    @Override
    public void close() {
        herald.close();
        database.close();
    }
}
