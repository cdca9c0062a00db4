package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A Herald process killed with SIGKILL mid-delivery loses nothing: the next process delivers every accepted event. */
class CrashRecoveryTest {
    private static final String KEY = "crash-test-admin-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void killDashNineLosesNoAcceptedEventAndDuplicatesKeepTheirWebhookId() throws Exception {
        DatabaseConfig db = TestPostgres.embedded();
        String url = TestServer.databaseUrl(db); // with the embedded server's password
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.reply("/hook", Reply.hang());
            Child first = Child.start(url);
            int events = 20;
            List<String> ids = new ArrayList<>();
            try {
                post(first.port, "/v1/endpoints", "{\"url\":\"" + receiver.url("/hook") + "\",\"events\":[\"*\"],\"timeout_seconds\":300}");
                for (int i = 0; i < events; i++) {
                    JsonNode r = post(first.port, "/v1/events", "{\"event\":\"transfer.completed\",\"account_uuid\":\"acc-" + i + "\",\"data\":{\"n\":" + i + "}}");
                    ids.add(r.get("id").asText());
                }
                // the lane's slow start: a receiver that never answers gets 2 tries at once (none is delivered to open more)
                await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/hook").size() >= 2);
            } finally {
                first.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            int inFlightAtKill = receiver.received("/hook").size();

            receiver.reply("/hook", Reply.status(200));
            Child second = Child.start(url);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    JsonNode page = get(second.port, "/v1/deliveries?status=delivered&limit=100");
                    return page.get("data").size() == events;
                });
            } finally {
                second.process.destroy();
                second.process.waitFor(20, TimeUnit.SECONDS);
            }
            Set<String> webhookIds = new HashSet<>();
            receiver.received("/hook").forEach(r -> webhookIds.add(r.header("webhook-id")));
            assertThat(webhookIds).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(receiver.received("/hook").size()).as("duplicates are bounded by what was in flight at the kill")
                    .isLessThanOrEqualTo(events + inFlightAtKill);
        }
    }

    private JsonNode post(int port, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return JSON.readTree(r.body());
    }

    private JsonNode get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** A Herald server in its own JVM, on a random port. */
    private record Child(Process process, int port) {
        static Child start(String databaseUrl) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.herald.server.Main",
                    "serve", "--port", "0", "--host", "127.0.0.1", "--allow-private-addresses", "--database-url", databaseUrl);
            pb.environment().put("HERALD_ADMIN_KEY", KEY);
            pb.environment().put("HERALD_MASTER_KEY", TestServer.MASTER_KEY.encoded()); // every child seals under the same key
            pb.redirectErrorStream(true);
            Process p = pb.start();
            CompletableFuture<Integer> port = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        int at = line.indexOf("ready on http://localhost:");
                        if (at >= 0) {
                            port.complete(Integer.parseInt(line.substring(at + 26).split("\\s")[0]));
                        }
                    }
                } catch (Exception e) {
                    port.completeExceptionally(e);
                }
                port.completeExceptionally(new IllegalStateException("herald exited before it was ready: " + p.exitValue()));
            });
            return new Child(p, port.get(60, TimeUnit.SECONDS));
        }
    }
}
