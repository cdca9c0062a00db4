package dev.herald.bench;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Herald running in this JVM on 127.0.0.1 (HTTP API on an ephemeral port) against one database, set up through its own API. */
final class BenchHerald implements AutoCloseable {
    private final HeraldServer server;
    private final String apiKey;

    private BenchHerald(HeraldServer server, String apiKey) {
        this.server = server;
        this.apiKey = apiKey;
    }

    /** Starts Herald exactly as {@code herald serve} would, with loopback webhooks allowed. */
    static BenchHerald start(String databaseUrl, int maxInFlightPerEndpoint, long maxBodyBytes) {
        String key = "bench-" + UUID.randomUUID();
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, Path.of(System.getProperty("java.io.tmpdir"), "herald-bench-unused"),
                databaseUrl, true, false, maxBodyBytes, 10, maxInFlightPerEndpoint, 64, key);
        return new BenchHerald(HeraldServer.start(cfg, Clock.systemUTC()), key);
    }

    int port() {
        return server.port();
    }

    String apiKey() {
        return apiKey;
    }

    /**
     * Creates endpoint i → {@code fleet.url(i)}, subscribed to its workload group's type, through {@code POST /v1/endpoints}.
     * Flaky endpoints retry every second (so their deliveries converge within a run); {@code timeoutSeconds} > 0 sets the
     * request timeout of every endpoint.
     */
    void createEndpoints(Fleet fleet, Workload workload, int timeoutSeconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("http://127.0.0.1:" + port() + "/v1/endpoints");
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < workload.endpoints(); i++) {
                int ep = i;
                done.add(pool.submit(() -> {
                    StringBuilder json = new StringBuilder("{\"name\":\"bench-").append(ep).append("\",\"url\":\"").append(fleet.url(ep))
                            .append("\",\"events\":[\"").append(workload.subscription(ep)).append("\"]");
                    if (timeoutSeconds > 0) {
                        json.append(",\"timeout_seconds\":").append(timeoutSeconds);
                    }
                    if (fleet.behaviour(ep) instanceof Behaviour.Flaky) {
                        json.append(",\"retry_schedule\":[1],\"retry_attempts\":50");
                    }
                    json.append('}');
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                            .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(json.toString())).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 201) {
                        throw new IllegalStateException("creating endpoint " + ep + " answered " + r.statusCode() + ": " + r.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            http.close();
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
