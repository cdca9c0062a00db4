package dev.herald.bench;

import dev.herald.server.HeraldServer;
import dev.herald.catalog.ValidationMode;
import dev.herald.server.ServerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** Herald running in this JVM on 127.0.0.1 (HTTP API on an ephemeral port) against one database, set up through its own API. */
final class BenchHerald implements HeraldUnderTest {
    private final HeraldServer server;
    private final String apiKey;

    private BenchHerald(HeraldServer server, String apiKey) {
        this.server = server;
        this.apiKey = apiKey;
    }

    /** The master key sealing secrets in this run's (fresh, dropped) databases; child nodes get it as HERALD_MASTER_KEY. */
    static final dev.herald.seal.LocalMasterKey MASTER_KEY = dev.herald.seal.LocalMasterKey.generate();

    /** Starts Herald exactly as {@code herald serve} would, with loopback webhooks allowed. */
    static BenchHerald start(String databaseUrl, int maxInFlightPerEndpoint, long maxBodyBytes) {
        return start(databaseUrl, maxInFlightPerEndpoint, maxBodyBytes, null, List.of("#"));
    }

    /**
     * As {@link #start(String, int, long)}, taking events also from RabbitMQ at {@code amqpUrl} (as {@code herald serve
     * --amqp-url URL --amqp-bindings B} does: queue {@code herald.ingest} bound by {@code amqpBindings}); null: the in-process bus.
     */
    static BenchHerald start(String databaseUrl, int maxInFlightPerEndpoint, long maxBodyBytes, String amqpUrl, List<String> amqpBindings) {
        return start(databaseUrl, maxInFlightPerEndpoint, maxBodyBytes, amqpUrl, amqpBindings, ValidationMode.WARN);
    }

    /** As {@link #start(String, int, long, String, List)}, checking events against the catalog in {@code schemaValidation} (--schema-validation). */
    static BenchHerald start(String databaseUrl, int maxInFlightPerEndpoint, long maxBodyBytes, String amqpUrl, List<String> amqpBindings,
                             ValidationMode schemaValidation) {
        String key = "bench-" + UUID.randomUUID();
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, Path.of(System.getProperty("java.io.tmpdir"), "herald-bench-unused"),
                databaseUrl, true, false, maxBodyBytes, 10, maxInFlightPerEndpoint, 64, key, amqpUrl, amqpBindings).withMasterKey(MASTER_KEY)
                .withSchemaValidation(schemaValidation);
        return new BenchHerald(HeraldServer.start(cfg, Clock.systemUTC()), key);
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public int[] ports() {
        return new int[] {port()};
    }

    @Override
    public String apiKey() {
        return apiKey;
    }

    @Override
    public void close() {
        server.close();
    }
}
