package dev.herald.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.delivery.Delivery.Status;
import dev.herald.endpoint.Endpoint;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@code --log-format json}: one JSON object per stdout line, with the delivery's ids where a delivery logs. */
class JsonLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final TestReceiver receiver = TestReceiver.start();
    private PrintStream original;
    private ConsoleAppender<ILoggingEvent> console;
    private Encoder<ILoggingEvent> textEncoder;
    private EngineHarness h;

    @BeforeEach
    @SuppressWarnings("unchecked")
    void captureStdout() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        console = (ConsoleAppender<ILoggingEvent>) context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("OUT");
        textEncoder = console.getEncoder();
        original = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        if (h != null) {
            h.close();
        }
        receiver.close();
        System.setOut(original);
        console.stop();
        console.setEncoder(textEncoder);
        console.start();
    }

    private List<JsonNode> lines() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : stdout.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line)); // every line must be one JSON object
            }
        }
        return out;
    }

    @Test
    void aDeliveryThatDisablesItsEndpointLogsAJsonLineWithItsIdsAndTraceAndNoSecret() throws Exception {
        Logs.use(Telemetry.LogFormat.JSON);
        assertThat(console.getEncoder()).isInstanceOf(JsonLineEncoder.class);
        h = EngineHarness.open(TestPostgres.embedded(), 1);
        receiver.reply("/down", Reply.status(500));
        Endpoint ep = h.endpoint(receiver.url("/down").toString(), List.of("account.*"));
        String eventId = h.publish("account.created").id();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.onlyDeliveryOf(eventId).attempts() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> stdout.toString(StandardCharsets.UTF_8).contains("disabled after this try"));

        List<JsonNode> lines = lines();
        JsonNode disabled = lines.stream().filter(n -> n.path("message").asText().contains("disabled after this try")).findFirst().orElseThrow();
        assertThat(disabled.path("level").asText()).isEqualTo("WARN");
        assertThat(disabled.path("logger").asText()).isEqualTo("dev.herald.delivery.Dispatcher");
        assertThat(disabled.path("thread").isTextual()).isTrue();
        assertThat(disabled.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(disabled.path("delivery_id").asText()).isEqualTo(h.onlyDeliveryOf(eventId).id());
        assertThat(disabled.path("endpoint_id").asText()).isEqualTo(ep.id());
        assertThat(disabled.path("trace_id").asText()).isEqualTo(h.herald.events().get(eventId, null, null).traceId());
        assertThat(h.onlyDeliveryOf(eventId).status()).isIn(Status.PENDING, Status.FAILED);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).doesNotContain(ep.secret());
        assertThat(lines).allSatisfy(n -> assertThat(n.has("level") && n.has("logger") && n.has("message")).isTrue());
    }

    @Test
    void logsOutsideADeliveryCarryNoDeliveryIdsAndMessagesAreEscaped() throws Exception {
        Logs.use(Telemetry.LogFormat.JSON);
        LoggerFactory.getLogger("dev.herald.test").warn("a \"quoted\"\nmessage", new IllegalStateException("boom"));

        JsonNode n = lines().stream().filter(l -> l.path("logger").asText().equals("dev.herald.test")).findFirst().orElseThrow();
        assertThat(n.path("message").asText()).isEqualTo("a \"quoted\"\nmessage");
        assertThat(n.has("delivery_id")).isFalse();
        assertThat(n.has("trace_id")).isFalse();
        assertThat(n.path("exception").asText()).contains("IllegalStateException: boom");
    }

    @Test
    void textFormatLeavesTheConfiguredPattern() {
        Logs.use(Telemetry.LogFormat.TEXT);
        assertThat(console.getEncoder()).isSameAs(textEncoder);
    }
}
