package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** An unexpected failure is answered as a bare 500 and logged once, under the trace id of the request's traceparent. */
class ProblemsLogTest {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";

    @Test
    void anUnexpectedErrorIsLoggedWithTheRequestsTraceIdAndAnsweredWithoutDetail() throws Exception {
        Logger log = (Logger) LoggerFactory.getLogger(Problems.class);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        log.addAppender(captured);
        try (HttpListener listener = HttpListener.start("problems", "127.0.0.1", 0, 64 * 1024, ConnectionLimits.defaults(), r -> {
            r.get("/boom", (req, res) -> {
                throw new IllegalStateException("secret-internal-detail");
            });
            Problems.register(r);
        })) {
            HttpClient client = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + listener.port() + "/boom");
            HttpResponse<String> traced = client.send(HttpRequest.newBuilder(uri).header("traceparent", "00-" + TRACE + "-b7ad6b7169203331-01").build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> malformed = client.send(HttpRequest.newBuilder(uri).header("traceparent", "00-NOT-HEX-01").build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(traced.statusCode()).isEqualTo(500);
            assertThat(traced.body()).doesNotContain("secret-internal-detail", "IllegalStateException");
            assertThat(malformed.statusCode()).isEqualTo(500);
        } finally {
            log.detachAppender(captured);
        }
        List<ILoggingEvent> errors = captured.list.stream().filter(e -> e.getFormattedMessage().contains("GET /boom")).toList();
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0).getMDCPropertyMap()).containsEntry("trace_id", TRACE);
        assertThat(errors.get(1).getMDCPropertyMap()).doesNotContainKey("trace_id");
        assertThat(MDC.get("trace_id")).isNull();
    }
}
