package dev.herald.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.Delivery.Status;
import dev.herald.endpoint.Endpoint;
import dev.herald.event.EventInput;
import dev.herald.ingest.IngestService;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The producer's trace through ingest, delivery and each attempt, onto the receiver's request (DESIGN §8). */
class DeliveryTracingTest {
    private static final String PRODUCER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PRODUCER_SPAN = "00f067aa0ba902b7";
    private static final String PRODUCER_TRACEPARENT = "00-" + PRODUCER_TRACE + "-" + PRODUCER_SPAN + "-01";

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
    private final TestReceiver receiver = TestReceiver.start();
    private EngineHarness h;

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
        receiver.close();
        otel.close();
    }

    private static EventInput event(String traceId) {
        return new EventInput(null, "account.created", null, "acc-1", JsonNodeFactory.instance.objectNode().put("amount", 100), null, 0,
                traceId, null);
    }

    private IngestService.Accepted publish(EventInput in, String traceparent) {
        return h.herald.ingest().ingest(List.of(in), traceparent).getFirst();
    }

    private List<SpanData> named(String name) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
    }

    private Delivery awaitStatus(String eventId, Status status, int attempts) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Delivery d = h.onlyDeliveryOf(eventId);
            return d.status() == status && d.attempts() == attempts;
        });
        return h.onlyDeliveryOf(eventId);
    }

    @Test
    void aDeliveryShowsIngestDeliveryAndAttemptSpansUnderTheProducersTrace() {
        h = EngineHarness.open(TestPostgres.embedded(), 10, otel);
        Endpoint ep = h.endpoint(receiver.url("/ok").toString(), List.of("account.*"));
        IngestService.Accepted a = publish(event(null), PRODUCER_TRACEPARENT);
        Delivery d = awaitStatus(a.id(), Status.DELIVERED, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> named(Tracing.DELIVERY).size() == 1);

        SpanData ingest = named(Tracing.INGEST).getFirst();
        SpanData delivery = named(Tracing.DELIVERY).getFirst();
        SpanData attempt = named(Tracing.ATTEMPT).getFirst();
        assertThat(List.of(ingest, delivery, attempt)).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(PRODUCER_TRACE));
        assertThat(ingest.getParentSpanId()).isEqualTo(PRODUCER_SPAN);
        assertThat(ingest.getParentSpanContext().isRemote()).isTrue();
        assertThat(delivery.getParentSpanId()).isEqualTo(ingest.getSpanId());
        assertThat(attempt.getParentSpanId()).isEqualTo(delivery.getSpanId());
        assertThat(attempt.getKind()).isEqualTo(SpanKind.CLIENT);

        assertThat(ingest.getAttributes().get(Tracing.EVENT_ID)).isEqualTo(a.id());
        assertThat(delivery.getAttributes().get(Tracing.DELIVERY_ID)).isEqualTo(d.id());
        assertThat(delivery.getAttributes().get(Tracing.ENDPOINT_ID)).isEqualTo(ep.id());
        assertThat(delivery.getAttributes().get(Tracing.EVENT_ID)).isEqualTo(a.id());
        assertThat(delivery.getAttributes().get(Tracing.OUTCOME)).isEqualTo("delivered");
        assertThat(delivery.getAttributes().get(Tracing.HTTP_STATUS)).isEqualTo(200L);
        assertThat(attempt.getAttributes().get(Tracing.HTTP_STATUS)).isEqualTo(200L);

        TestReceiver.Received r = receiver.received("/ok").getFirst();
        assertThat(r.header("traceparent")).isEqualTo("00-" + PRODUCER_TRACE + "-" + attempt.getSpanId() + "-01");
        assertThat(h.herald.events().get(a.id(), null, null).traceId()).isEqualTo(PRODUCER_TRACE);
    }

    @Test
    void retriesAreTracedPerTryWithTheirOutcomeAndErrorClass() {
        h = EngineHarness.open(TestPostgres.embedded(), 10, otel);
        receiver.reply("/down", Reply.status(503));
        h.endpoint(receiver.url("/down").toString(), List.of("*"));
        IngestService.Accepted a = publish(event(null), PRODUCER_TRACEPARENT);
        Delivery d = awaitStatus(a.id(), Status.PENDING, 1);
        receiver.reply("/down", Reply.status(200));
        h.advanceAndScan(Duration.between(d.lastAttemptAt(), d.nextAttemptAt()).plusSeconds(1));
        awaitStatus(a.id(), Status.DELIVERED, 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> named(Tracing.DELIVERY).size() == 2);

        SpanData ingest = named(Tracing.INGEST).getFirst();
        List<SpanData> tries = named(Tracing.DELIVERY);
        assertThat(tries).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(PRODUCER_TRACE);
            assertThat(s.getParentSpanId()).isEqualTo(ingest.getSpanId());
        });
        SpanData first = tries.stream().filter(s -> "retry".equals(s.getAttributes().get(Tracing.OUTCOME))).findFirst().orElseThrow();
        assertThat(first.getAttributes().get(Tracing.HTTP_STATUS)).isEqualTo(503L);
        assertThat(first.getAttributes().get(Tracing.ERROR_CLASS)).isNotBlank();
        assertThat(first.getAttributes().get(Tracing.ATTEMPT_NUMBER)).isEqualTo(1L);
        assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(tries).anySatisfy(s -> {
            assertThat(s.getAttributes().get(Tracing.OUTCOME)).isEqualTo("delivered");
            assertThat(s.getAttributes().get(Tracing.ATTEMPT_NUMBER)).isEqualTo(2L);
        });
        List<String> sentParents = receiver.received("/down").stream().map(r -> r.header("traceparent")).toList();
        List<String> attemptParents = named(Tracing.ATTEMPT).stream().map(s -> "00-" + s.getTraceId() + "-" + s.getSpanId() + "-01").toList();
        assertThat(sentParents).containsExactlyInAnyOrderElementsOf(attemptParents);
    }

    @Test
    void withoutAProducerTraceparentANewTraceStartsAndTheEventKeepsItsId() {
        h = EngineHarness.open(TestPostgres.embedded(), 10, otel);
        h.endpoint(receiver.url("/ok").toString(), List.of("account.*"));
        IngestService.Accepted a = publish(event(null), null);
        awaitStatus(a.id(), Status.DELIVERED, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> named(Tracing.ATTEMPT).size() == 1);

        SpanData ingest = named(Tracing.INGEST).getFirst();
        assertThat(ingest.getParentSpanContext().isValid()).isFalse();
        assertThat(ingest.getTraceId()).isNotEqualTo(PRODUCER_TRACE);
        assertThat(named(Tracing.DELIVERY).getFirst().getParentSpanId()).isEqualTo(ingest.getSpanId());
        assertThat(h.herald.events().get(a.id(), null, null).traceId()).isEqualTo(ingest.getTraceId());
        SpanData attempt = named(Tracing.ATTEMPT).getFirst();
        assertThat(receiver.received("/ok").getFirst().header("traceparent"))
                .isEqualTo("00-" + ingest.getTraceId() + "-" + attempt.getSpanId() + "-" + attempt.getSpanContext().getTraceFlags().asHex());
    }

    @Test
    void anEventWithOnlyATraceIdJoinsThatTrace() {
        h = EngineHarness.open(TestPostgres.embedded(), 10, otel);
        h.endpoint(receiver.url("/ok").toString(), List.of("account.*"));
        String bodyTrace = "0af7651916cd43dd8448eb211c80319c";
        IngestService.Accepted a = publish(event(bodyTrace), PRODUCER_TRACEPARENT); // the body's trace_id wins over the header's
        awaitStatus(a.id(), Status.DELIVERED, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> named(Tracing.ATTEMPT).size() == 1);

        assertThat(spans.getFinishedSpanItems()).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(bodyTrace));
        assertThat(named(Tracing.INGEST).getFirst().getParentSpanId()).isNotEqualTo(PRODUCER_SPAN);
        assertThat(named(Tracing.DELIVERY).getFirst().getParentSpanId()).isEqualTo(named(Tracing.INGEST).getFirst().getSpanId());
    }

    @Test
    void withTracingOffDeliveriesStillCarryTheEventsTraceId() {
        h = EngineHarness.open(TestPostgres.embedded(), 10, io.opentelemetry.api.OpenTelemetry.noop());
        h.endpoint(receiver.url("/ok").toString(), List.of("account.*"));
        IngestService.Accepted a = publish(event(null), PRODUCER_TRACEPARENT);
        awaitStatus(a.id(), Status.DELIVERED, 1);

        String sent = receiver.received("/ok").getFirst().header("traceparent");
        String stored = h.herald.events().get(a.id(), null, null).traceId();
        assertThat(sent).matches("00-" + stored + "-[0-9a-f]{16}-01");
        assertThat(spans.getFinishedSpanItems()).isEmpty();
    }
}
