package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A whole Herald server (HTTP API, engine, fresh database on the shared embedded PostgreSQL) for API tests, with a
 * small HTTP client that authenticates with {@link #ADMIN_KEY}.
 */
public final class TestServer implements AutoCloseable {
    /** The admin key every test server is started with (HERALD_ADMIN_KEY). */
    public static final String ADMIN_KEY = "test-admin-key-0123456789abcdef";
    public static final ObjectMapper JSON = new ObjectMapper();
    /** The master key every test server (and child process) seals secrets under (HERALD_MASTER_KEY). */
    public static final dev.herald.seal.LocalMasterKey MASTER_KEY = dev.herald.seal.LocalMasterKey.generate();

    private final HeraldServer server;
    private final HttpClient http;
    private final Path dataDir;
    private final Database database;

    private TestServer(HeraldServer server, Path dataDir, DatabaseConfig db) {
        this.server = server;
        this.dataDir = dataDir;
        this.database = Database.open(db.withMaxPoolSize(2).withApplicationName("herald-test"), "classpath:db/none");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Starts a server on 127.0.0.1, an ephemeral port and a fresh database; {@code allowPrivate} lets webhooks reach loopback. */
    public static TestServer start(boolean allowPrivate) {
        return start(allowPrivate, Clock.systemUTC());
    }

    public static TestServer start(boolean allowPrivate, Clock clock) {
        return start(allowPrivate, clock, TestPostgres.embedded(), null, java.util.List.of("#"));
    }

    /** A server refusing private addresses whose merchants may list loopback networks (--allow-loopback-networks). */
    public static TestServer startAllowingLoopbackNetworks() {
        return start(false, Clock.systemUTC(), TestPostgres.embedded(), null, java.util.List.of("#"), ADMIN_KEY,
                dev.herald.web.ConnectionLimits.defaults(), ServerConfig.Metrics.defaults(), true);
    }

    /** A server whose HTTP listener applies {@code limits} (e.g. short timeouts). */
    public static TestServer start(dev.herald.web.ConnectionLimits limits) {
        return start(false, Clock.systemUTC(), TestPostgres.embedded(), null, java.util.List.of("#"), ADMIN_KEY, limits);
    }

    /** A server on database {@code db} taking events from RabbitMQ at {@code amqpUrl} (null: an in-process bus). */
    public static TestServer start(boolean allowPrivate, Clock clock, DatabaseConfig db, String amqpUrl, java.util.List<String> amqpBindings) {
        return start(allowPrivate, clock, db, amqpUrl, amqpBindings, ADMIN_KEY, dev.herald.web.ConnectionLimits.defaults());
    }

    /** As {@link #start(boolean, Clock, DatabaseConfig, String, java.util.List)}, configured with {@code adminKey} (HERALD_ADMIN_KEY). */
    public static TestServer start(boolean allowPrivate, Clock clock, DatabaseConfig db, String amqpUrl, java.util.List<String> amqpBindings,
                                   String adminKey) {
        return start(allowPrivate, clock, db, amqpUrl, amqpBindings, adminKey, dev.herald.web.ConnectionLimits.defaults());
    }

    /** A server with {@code /metrics} served as {@code metrics} says. */
    public static TestServer start(boolean allowPrivate, ServerConfig.Metrics metrics) {
        return start(allowPrivate, Clock.systemUTC(), TestPostgres.embedded(), null, java.util.List.of("#"), ADMIN_KEY,
                dev.herald.web.ConnectionLimits.defaults(), metrics);
    }

    private static TestServer start(boolean allowPrivate, Clock clock, DatabaseConfig db, String amqpUrl, java.util.List<String> amqpBindings,
                                    String adminKey, dev.herald.web.ConnectionLimits limits) {
        return start(allowPrivate, clock, db, amqpUrl, amqpBindings, adminKey, limits, ServerConfig.Metrics.defaults());
    }

    private static TestServer start(boolean allowPrivate, Clock clock, DatabaseConfig db, String amqpUrl, java.util.List<String> amqpBindings,
                                    String adminKey, dev.herald.web.ConnectionLimits limits, ServerConfig.Metrics metrics) {
        return start(allowPrivate, clock, db, amqpUrl, amqpBindings, adminKey, limits, metrics, false);
    }

    private static TestServer start(boolean allowPrivate, Clock clock, DatabaseConfig db, String amqpUrl, java.util.List<String> amqpBindings,
                                    String adminKey, dev.herald.web.ConnectionLimits limits, ServerConfig.Metrics metrics, boolean loopbackNetworks) {
        return start(allowPrivate, clock, db, amqpUrl, amqpBindings, adminKey, limits, metrics, loopbackNetworks, c -> c);
    }

    /** A server on {@code db} (fresh: {@code TestPostgres.embedded()}) whose configuration {@code tweak} changes, e.g. {@code withSchemaValidation}. */
    public static TestServer start(boolean allowPrivate, DatabaseConfig db, String amqpUrl, java.util.function.UnaryOperator<ServerConfig> tweak) {
        return start(allowPrivate, Clock.systemUTC(), db, amqpUrl, java.util.List.of("#"), ADMIN_KEY, dev.herald.web.ConnectionLimits.defaults(),
                ServerConfig.Metrics.defaults(), false, tweak);
    }

    private static TestServer start(boolean allowPrivate, Clock clock, DatabaseConfig db, String amqpUrl, java.util.List<String> amqpBindings,
                                    String adminKey, dev.herald.web.ConnectionLimits limits, ServerConfig.Metrics metrics, boolean loopbackNetworks,
                                    java.util.function.UnaryOperator<ServerConfig> tweak) {
        Path dir;
        try {
            dir = Files.createTempDirectory("herald-server-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, dir, databaseUrl(db), allowPrivate, false, 256 * 1024, 10, 16, 64, adminKey,
                amqpUrl, amqpBindings).withConnectionLimits(limits).withMasterKey(MASTER_KEY)
                .withMetrics(metrics).withLoopbackNetworks(loopbackNetworks);
        return new TestServer(HeraldServer.start(tweak.apply(cfg), clock), dir, db);
    }

    /** The {@code jdbc:postgresql://…?user=…} URL of {@code db}, as --database-url takes it. */
    public static String databaseUrl(DatabaseConfig db) {
        StringBuilder url = new StringBuilder(db.jdbcUrl()).append(db.jdbcUrl().contains("?") ? '&' : '?')
                .append("user=").append(URLEncoder.encode(db.user(), StandardCharsets.UTF_8));
        if (db.password() != null && !db.password().isEmpty()) {
            url.append("&password=").append(URLEncoder.encode(db.password(), StandardCharsets.UTF_8));
        }
        return url.toString();
    }

    public HeraldServer server() {
        return server;
    }

    /** The test's own handle on the server's database, to look at what it stored. */
    public Jdbc jdbc() {
        return new Jdbc(database.dataSource());
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public int port() {
        return server.port();
    }

    public HttpClient http() {
        return http;
    }

    /** An authenticated request builder for {@code path}. */
    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ADMIN_KEY);
    }

    /** Sends {@code request}; its answer must keep /openapi.json ({@link ContractCheck}), else an AssertionError. */
    public Response send(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            ContractCheck.check(request.method(), request.uri(), r.statusCode(), r.headers().firstValue("content-type").orElse(null), r.body());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Response get(String path) {
        return send(request(path).GET().build());
    }

    public Response delete(String path) {
        return send(request(path).DELETE().build());
    }

    public Response post(String path) {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    public Response post(String path, String body, String... headers) {
        return send(method("POST", path, body, headers));
    }

    public Response put(String path, String body, String... headers) {
        return send(method("PUT", path, body, headers));
    }

    public Response patch(String path, String body, String... headers) {
        return send(method("PATCH", path, body, headers));
    }

    public Response postJson(String path, Object body, String... headers) {
        return post(path, toJson(body), headers);
    }

    public Response patchJson(String path, Object body, String... headers) {
        return patch(path, toJson(body), headers);
    }

    private HttpRequest method(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates an endpoint (201 expected) and returns its JSON, including the one-time {@code secret}. */
    public JsonNode createEndpoint(Map<String, ?> body) {
        Response r = postJson("/v1/endpoints", body);
        if (r.status() != 201) {
            throw new AssertionError("endpoint creation answered " + r.status() + ": " + r.body());
        }
        return r.json();
    }

    @Override
    public void close() {
        server.close();
        database.close();
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover empty temp directory is harmless
        }
    }

    /** An HTTP answer with its body as bytes. */
    public record Response(int status, HttpHeaders headers, byte[] bytes) {
        public String body() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + body(), e);
            }
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** The same assertions for an answer read off a raw socket. */
        public static Response of(RawHttp.Answer a) {
            Map<String, java.util.List<String>> h = new java.util.LinkedHashMap<>();
            a.headers().forEach((k, v) -> h.put(k, java.util.List.of(v)));
            return new Response(a.status(), HttpHeaders.of(h, (k, v) -> true), a.body());
        }

        public String contentType() {
            return header("Content-Type");
        }

        @Override
        public String toString() {
            return status + " " + body();
        }
    }
}
