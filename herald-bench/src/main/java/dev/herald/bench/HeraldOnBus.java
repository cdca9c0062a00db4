package dev.herald.bench;

import dev.herald.bus.RabbitBus;
import dev.herald.bus.Topology;
import java.util.List;
import java.util.Map;

/**
 * Herald in this JVM taking events from RabbitMQ as {@code herald serve --amqp-url URL --amqp-bindings B} does: its
 * bus ingest consumes {@code herald.ingest}. Endpoints are created first through the API of a Herald started without the
 * broker, which then stops (leaving the cluster at once); {@code herald.ingest} is declared, so events published from
 * then on wait for the Herald that {@link #start} starts on the same database.
 */
final class HeraldOnBus implements BusConsumer {
    private final PgServer pg;
    private final String database;
    private final String amqpUrl;
    private final List<String> bindings;
    private final int maxInFlight;
    private final long maxBodyBytes;
    private BenchHerald herald;

    private HeraldOnBus(PgServer pg, String database, String amqpUrl, List<String> bindings, int maxInFlight, long maxBodyBytes) {
        this.pg = pg;
        this.database = database;
        this.amqpUrl = amqpUrl;
        this.bindings = bindings;
        this.maxInFlight = maxInFlight;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Creates the fleet's endpoints in {@code database} (of {@code pg}) and declares Herald's queue at {@code amqpUrl}. */
    static HeraldOnBus prepare(Bench b, String database, Workload w, String amqpUrl, List<String> bindings) throws Exception {
        Settings s = b.settings;
        try (BenchHerald setup = BenchHerald.start(b.pg.url(database), s.maxInFlight(), s.maxBodyBytes())) {
            AdminApi.createEndpoints(setup, b.fleet, w, AdminApi.EndpointOptions.of(s));
        }
        try (RabbitBus bus = RabbitBus.connect(amqpUrl)) {
            bus.declare(Topology.heraldIngest(bindings));
        }
        return new HeraldOnBus(b.pg, database, amqpUrl, bindings, s.maxInFlight(), s.maxBodyBytes());
    }

    @Override
    public String describe() {
        return "Herald (--amqp-url, --amqp-bindings " + String.join(",", bindings) + ", --max-in-flight-per-endpoint " + maxInFlight + ")";
    }

    @Override
    public String queue() {
        return Topology.heraldIngest(bindings).name();
    }

    @Override
    public void start() {
        herald = BenchHerald.start(pg.url(database), maxInFlight, maxBodyBytes, amqpUrl, bindings);
    }

    @Override
    public void running(Map<String, Object> m) {
        m.put("ingest", "bus");
    }

    @Override
    public void close() {
        if (herald != null) {
            herald.close();
            herald = null;
        }
    }

    @Override
    public Map<String, Object> closed() throws Exception {
        return pg.stats(database);
    }
}
