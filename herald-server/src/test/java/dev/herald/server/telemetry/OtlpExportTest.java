package dev.herald.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** With {@code --otlp-endpoint}, spans reach a collector as OTLP/HTTP protobuf posts to /v1/traces. */
class OtlpExportTest {
    private record Post(String path, String contentType, byte[] body) {}

    private final List<Post> posts = new CopyOnWriteArrayList<>();
    private HttpServer collector;

    @AfterEach
    void stop() {
        if (collector != null) {
            collector.stop(0);
        }
    }

    @Test
    void spansArePostedAsProtobufToTheCollectorWithHeraldAsTheService() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", ex -> {
            posts.add(new Post(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Content-Type"), ex.getRequestBody().readAllBytes()));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        collector.start();
        Telemetry t = Telemetry.parse("http://127.0.0.1:" + collector.getAddress().getPort(), "text");

        OpenTelemetry otel = t.openTelemetry("9.9.9");
        Span span = otel.getTracer("test").spanBuilder("herald.delivery").startSpan();
        span.end();
        ((Closeable) otel).close(); // flushes the batch

        assertThat(posts).hasSize(1);
        Post p = posts.getFirst();
        assertThat(p.path()).isEqualTo("/v1/traces");
        assertThat(p.contentType()).isEqualTo("application/x-protobuf");
        String body = new String(p.body(), StandardCharsets.ISO_8859_1);
        assertThat(body).contains("herald.delivery").contains("service.name").contains("herald").contains("9.9.9")
                .contains(new String(hex(span.getSpanContext().getTraceId()), StandardCharsets.ISO_8859_1));
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
