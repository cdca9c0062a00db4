package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.ServerConfig;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} over real HTTP: deliveries to a real receiver move the counters and histograms, failures move the
 * error classes, the endpoint is guarded on the API port and open on the metrics port, and labels stay bounded.
 */
class MetricsTest {
    private static final String METRICS_KEY = "metrics-key-0123456789abcdef";
    private static final Pattern ENDPOINT_LABEL = Pattern.compile("endpoint_id=\"([^\"]+)\"");

    private static TestServer server;
    private static TestServer scraped; // with a metrics key, a metrics port and the top endpoint
    private static TestReceiver receiver;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        scraped = TestServer.start(true, new ServerConfig.Metrics("127.0.0.1", 0, METRICS_KEY, 1));
        receiver = TestReceiver.start();
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.close();
        }
        if (server != null) {
            server.close();
        }
        if (scraped != null) {
            scraped.close();
        }
    }

    @Test
    void deliveriesMoveTheCountersAndHistograms() {
        endpoint(server, "/metrics-ok", "metrics.ok", Map.of());
        for (int i = 0; i < 3; i++) {
            assertThat(server.postJson("/v1/events", Map.of("event", "metrics.ok")).status()).isEqualTo(202);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/metrics-ok").size() == 3);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String body = metrics(server);
            assertThat(sum(body, "herald_events_ingested_total")).isGreaterThanOrEqualTo(3);
            assertThat(sum(body, "herald_ingest_group_size_count")).isGreaterThanOrEqualTo(1);
            assertThat(sum(body, "herald_deliveries_total", "outcome=\"delivered\"")).isGreaterThanOrEqualTo(3);
            assertThat(sum(body, "herald_attempts_total", "error_class=\"none\"", "status_class=\"2xx\"")).isGreaterThanOrEqualTo(3);
            assertThat(sum(body, "herald_attempt_duration_seconds_count")).isGreaterThanOrEqualTo(3);
            assertThat(sum(body, "herald_attempt_duration_seconds_bucket", "le=\"+Inf\"")).isGreaterThanOrEqualTo(3);
            assertThat(sum(body, "herald_publish_to_receive_seconds_count")).isGreaterThanOrEqualTo(3);
            assertThat(sum(body, "herald_publish_to_receive_seconds_bucket", "le=\"60.0\"")).isGreaterThanOrEqualTo(3);
        });
        String body = metrics(server);
        assertThat(body).contains("herald_deliveries_pending ", "herald_oldest_pending_age_seconds ", "herald_tries_in_flight ",
                "herald_breakers_open ", "hikaricp_connections_active{", "jvm_memory_used_bytes{", "process_uptime_seconds ");
    }

    @Test
    void aFailingEndpointMovesTheErrorClassCounters() {
        endpoint(server, "/metrics-500", "metrics.broken", Map.of("retry_attempts", 0));
        receiver.reply("/metrics-500", Reply.status(500));
        server.postJson("/v1/events", Map.of("event", "metrics.broken"));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String body = metrics(server);
            assertThat(sum(body, "herald_attempts_total", "error_class=\"http_status\"", "status_class=\"5xx\"")).isGreaterThanOrEqualTo(1);
            assertThat(sum(body, "herald_deliveries_total", "outcome=\"failed\"")).isGreaterThanOrEqualTo(1);
        });
    }

    @Test
    void deletingAnEndpointCountsItsCancelledDeliveriesOnceTheDeleteCommits() {
        String id = endpoint(server, "/metrics-doomed", "metrics.doomed", Map.of("retry_attempts", 5));
        receiver.reply("/metrics-doomed", Reply.status(503));
        server.postJson("/v1/events", Map.of("event", "metrics.doomed"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received("/metrics-doomed").isEmpty());
        double before = sum(metrics(server), "herald_deliveries_total", "outcome=\"cancelled\"");

        assertThat(server.delete("/v1/endpoints/" + id).status()).isEqualTo(204);
        assertThat(sum(metrics(server), "herald_deliveries_total", "outcome=\"cancelled\"")).isEqualTo(before + 1);
        assertThat(server.delete("/v1/endpoints/" + id).status()).isEqualTo(404);
        assertThat(sum(metrics(server), "herald_deliveries_total", "outcome=\"cancelled\"")).isEqualTo(before + 1);
    }

    @Test
    void byDefaultNoEndpointIsNamedInAnyLabel() {
        String id = endpoint(server, "/metrics-quiet", "metrics.quiet", Map.of("retry_attempts", 0));
        receiver.reply("/metrics-quiet", Reply.status(503));
        server.postJson("/v1/events", Map.of("event", "metrics.quiet"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received("/metrics-quiet").isEmpty());

        String body = metrics(server);
        assertThat(body).doesNotContain("endpoint_id", id, "/metrics-quiet");
    }

    @Test
    void onTheApiPortOnlyAnAdminKeyMayRead() {
        Response none = send(HttpRequest.newBuilder(server.uri("/metrics")).GET().build());
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(none.body()).doesNotContain("herald_");

        assertThat(send(withKey(server.uri("/metrics"), "not-a-key-0123456789abcdef")).status()).isEqualTo(401);
        // the metrics key of another server means nothing here
        assertThat(send(withKey(server.uri("/metrics"), METRICS_KEY)).status()).isEqualTo(401);

        String publisher = server.postJson("/v1/api-keys", Map.of("name", "publisher", "scopes", List.of("events:publish"))).json().get("key").asText();
        Response forbidden = send(withKey(server.uri("/metrics"), publisher));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.body()).doesNotContain("herald_");

        Response admin = server.get("/metrics");
        assertThat(admin.status()).isEqualTo(200);
        assertThat(admin.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    }

    @Test
    void theMetricsKeyReadsOnTheApiPortAndTheMetricsPortNeedsNoKey() {
        assertThat(send(withKey(scraped.uri("/metrics"), METRICS_KEY)).status()).isEqualTo(200);
        assertThat(send(withKey(scraped.uri("/metrics"), METRICS_KEY + "x")).status()).isEqualTo(401);
        assertThat(scraped.get("/metrics").status()).as("an admin key still reads").isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(scraped.uri("/metrics")).GET().build()).status()).isEqualTo(401);

        int port = scraped.server().metricsPort().orElseThrow();
        assertThat(port).isNotEqualTo(scraped.port());
        Response open = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build());
        assertThat(open.status()).isEqualTo(200);
        assertThat(open.body()).contains("herald_attempts_total");
        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/endpoints")).GET().build()).status())
                .as("the metrics port serves nothing else").isEqualTo(404);
        assertThat(server.server().metricsPort()).isEmpty();
    }

    @Test
    void theTopEndpointsNameAtMostTheConfiguredNumber() {
        String worst = endpoint(scraped, "/metrics-worst", "metrics.top", Map.of("retry_attempts", 0));
        endpoint(scraped, "/metrics-bad", "metrics.top.bad", Map.of("retry_attempts", 0));
        receiver.reply("/metrics-worst", Reply.status(500)).reply("/metrics-bad", Reply.status(502));
        for (int i = 0; i < 3; i++) {
            scraped.postJson("/v1/events", Map.of("event", "metrics.top"));
        }
        scraped.postJson("/v1/events", Map.of("event", "metrics.top.bad"));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String body = metrics(scraped);
            assertThat(endpointLabels(body)).containsExactly(worst);
            assertThat(sum(body, "herald_endpoint_recent_failures", "endpoint_id=\"" + worst + "\"")).isEqualTo(3);
        });
    }

    @Test
    void withRabbitMqTheConsumerLagIsShown() {
        String amqp = dev.herald.bus.TestRabbit.uriOrSkip();
        try (TestServer withBus = TestServer.start(true, java.time.Clock.systemUTC(), dev.herald.testing.TestPostgres.embedded(), amqp, List.of("#"))) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(sum(metrics(withBus), "herald_bus_messages_ready", "queue=\"herald.ingest\"")).isGreaterThanOrEqualTo(0));
        }
        assertThat(metrics(server)).as("no broker, no lag").doesNotContain("herald_bus_messages_ready");
    }

    private static String endpoint(TestServer on, String path, String event, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", receiver.url(path).toString());
        body.put("events", List.of(event));
        body.putAll(extra);
        return on.createEndpoint(body).get("id").asText();
    }

    private static String metrics(TestServer on) {
        Response r = on.get("/metrics");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static HttpRequest withKey(URI uri, String key) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key).GET().build();
    }

    private static Response send(HttpRequest request) {
        return server.send(request);
    }

    private static Set<String> endpointLabels(String body) {
        Set<String> ids = new HashSet<>();
        Matcher m = ENDPOINT_LABEL.matcher(body);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** The sum of the samples of {@code name} whose labels include every one of {@code labels}. */
    static double sum(String body, String name, String... labels) {
        double total = 0;
        boolean found = false;
        for (String line : body.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + " ") || line.startsWith(name + "{"))) {
                continue;
            }
            String series = line.substring(0, line.lastIndexOf(' '));
            boolean all = true;
            for (String l : labels) {
                all &= series.contains(l);
            }
            if (all) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        assertThat(found).as("a sample of %s with %s in:%n%s", name, List.of(labels), body).isTrue();
        return total;
    }
}
