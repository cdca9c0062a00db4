package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./herald serve} on its embedded PostgreSQL: the database is brought back, and /health/live says when it cannot be. */
@Timeout(180)
class EmbeddedDatabaseTest {
    private static final String KEY = "embedded-db-test-admin-key-0123";

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void afterKillDashNineOfItsPostgresTheNodeServesAgainAndIsNotLiveWhileThatFails() throws Exception {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, tmp.resolve("herald-data"), null, true, false, 256 * 1024, 10, 16, 64, KEY);
        Path pgData = tmp.resolve("herald-data").resolve("postgres");
        try (HeraldServer server = HeraldServer.start(cfg, Clock.systemUTC())) {
            int port = server.port();
            assertThat(status(port, "GET", "/health/live")).isEqualTo(200);
            assertThat(createEndpoint(port)).isEqualTo(201);

            killPostmaster(pgData);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> createEndpoint(port) == 201);
            assertThat(status(port, "GET", "/health/live")).isEqualTo(200);

            // now make the restart impossible: PostgreSQL cannot use a data directory it may not enter
            Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("---------"));
            try {
                killPostmaster(pgData);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                        .until(() -> status(port, "GET", "/health/live") == 503);
                assertThat(createEndpoint(port)).isEqualTo(503);
            } finally {
                Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> status(port, "GET", "/health/live") == 200 && createEndpoint(port) == 201);
        }
    }

    private static void killPostmaster(Path pgData) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).getFirst().trim());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL
    }

    private int createEndpoint(int port) throws Exception {
        return send(port, "POST", "/v1/endpoints", "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"*\"]}");
    }

    private int status(int port, String method, String path) throws Exception {
        return send(port, method, path, null);
    }

    private int send(int port, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + KEY)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
