package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.herald.server.telemetry.Telemetry;
import dev.herald.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's done-when, through the public API: a trace of one delivery, as a collector receives it over OTLP, shows
 * ingest, delivery and attempt spans under the producer's trace id, and the webhook's traceparent names the attempt.
 */
class TracedServerTest {
    private static final String PRODUCER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PRODUCER_SPAN = "00f067aa0ba902b7";

    private final List<byte[]> exported = new CopyOnWriteArrayList<>();
    private final List<String> hookTraceparents = new CopyOnWriteArrayList<>();
    private HttpServer collector;
    private HeraldServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (collector != null) {
            collector.stop(0);
        }
    }

    @Test
    void aDeliveryIsTracedUnderTheProducersTraceIdAndExportedOverOtlp() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", ex -> {
            exported.add(ex.getRequestBody().readAllBytes());
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        collector.createContext("/hook", ex -> {
            ex.getRequestBody().readAllBytes();
            hookTraceparents.add(ex.getRequestHeaders().getFirst("traceparent"));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        collector.start();
        String base = "http://127.0.0.1:" + collector.getAddress().getPort();
        Path dir = Files.createTempDirectory("herald-traced");
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, dir, TestServer.databaseUrl(TestPostgres.embedded()), true, false, 256 * 1024, 10, 16, 64,
                TestServer.ADMIN_KEY).withMasterKey(TestServer.MASTER_KEY);
        server = HeraldServer.start(cfg, Clock.systemUTC(), Telemetry.parse(base, "text"));

        assertThat(post("/v1/endpoints", "{\"url\":\"" + base + "/hook\",\"events\":[\"account.*\"]}", null)).isEqualTo(201);
        assertThat(post("/v1/events", "{\"event\":\"account.created\",\"account_uuid\":\"a1\",\"data\":{\"n\":1}}",
                "00-" + PRODUCER_TRACE + "-" + PRODUCER_SPAN + "-01")).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).until(() -> !hookTraceparents.isEmpty());
        server.close(); // flushes the batched spans
        server = null;

        String sent = hookTraceparents.getFirst();
        assertThat(sent).startsWith("00-" + PRODUCER_TRACE + "-").endsWith("-01");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        exported.forEach(all::writeBytes);
        byte[] otlp = all.toByteArray();
        assertThat(contains(otlp, "herald.ingest".getBytes())).isTrue();
        assertThat(contains(otlp, "herald.delivery".getBytes())).isTrue();
        assertThat(contains(otlp, "herald.attempt".getBytes())).isTrue();
        assertThat(contains(otlp, HexFormat.of().parseHex(PRODUCER_TRACE))).isTrue();
        assertThat(contains(otlp, HexFormat.of().parseHex(PRODUCER_SPAN))).as("the ingest span's parent").isTrue();
        assertThat(contains(otlp, HexFormat.of().parseHex(sent.substring(36, 52)))).as("the attempt span the webhook named").isTrue();
    }

    private int post(String path, String json, String traceparent) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TestServer.ADMIN_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (traceparent != null) {
            b.header("traceparent", traceparent);
        }
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
