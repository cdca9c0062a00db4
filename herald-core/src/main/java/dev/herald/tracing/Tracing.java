package dev.herald.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Herald's spans (DESIGN §8): {@code herald.ingest} per accepted event, {@code herald.delivery} per try and its child
 * {@code herald.attempt} (client) around the HTTP call. Delivery is asynchronous, possibly on another node, so the
 * ingest span's {@code traceparent} is stored with the event and parents the delivery spans.
 *
 * <p>Off (the default), every method returns {@link Span#getInvalid()} without touching OpenTelemetry, so the hot path
 * costs a branch. Spans carry ids and outcomes only, never a secret, header or body.
 */
public final class Tracing {
    public static final String INGEST = "herald.ingest";
    public static final String DELIVERY = "herald.delivery";
    public static final String ATTEMPT = "herald.attempt";
    public static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("herald.event_id");
    public static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("herald.event_type");
    public static final AttributeKey<String> DELIVERY_ID = AttributeKey.stringKey("herald.delivery_id");
    public static final AttributeKey<String> ENDPOINT_ID = AttributeKey.stringKey("herald.endpoint_id");
    public static final AttributeKey<String> MERCHANT_ID = AttributeKey.stringKey("herald.merchant_id");
    public static final AttributeKey<Long> ATTEMPT_NUMBER = AttributeKey.longKey("herald.attempt");
    /** {@code delivered}, {@code retry} or {@code failed}. */
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("herald.outcome");
    public static final AttributeKey<String> ERROR_CLASS = AttributeKey.stringKey("herald.error_class");
    public static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

    private static final Tracing OFF = new Tracing(null);
    private static final TextMapGetter<String> HEADER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    private final Tracer tracer;

    private Tracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** No spans at all. */
    public static Tracing off() {
        return OFF;
    }

    /** Spans through {@code otel}; {@link OpenTelemetry#noop()} (or null) is {@link #off()}. */
    public static Tracing of(OpenTelemetry otel) {
        return otel == null || otel == OpenTelemetry.noop() ? OFF : new Tracing(otel.getTracer("dev.herald"));
    }

    public boolean on() {
        return tracer != null;
    }

    /**
     * Starts the ingest span of an event. Its parent is the producer's {@code traceparent} when that is valid and of
     * the event's {@code traceId} (or the event has none); an event with only a trace id (e.g. a body's
     * {@code trace_id}) joins that trace under a parent span id made up here, which no exporter has seen; an event with
     * neither starts a new trace.
     */
    public Span ingest(String traceId, String producerTraceparent) {
        if (tracer == null) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder(INGEST).setParent(parent(traceId, producerTraceparent)).setSpanKind(SpanKind.INTERNAL).startSpan();
    }

    /** Starts the span of one try of a delivery, under the stored ingest span (see {@link #ingest}). */
    public Span delivery(String traceId, String storedTraceparent) {
        if (tracer == null) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder(DELIVERY).setParent(parent(traceId, storedTraceparent)).setSpanKind(SpanKind.INTERNAL).startSpan();
    }

    /** Starts the client span of a try's HTTP call under {@code delivery}. */
    public Span attempt(Span delivery) {
        if (tracer == null) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder(ATTEMPT).setParent(Context.root().with(delivery)).setSpanKind(SpanKind.CLIENT).startSpan();
    }

    /** The W3C {@code traceparent} value naming {@code span}, or null for an invalid (tracing off) span. */
    public static String traceparent(Span span) {
        SpanContext c = span.getSpanContext();
        return c.isValid() ? "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex() : null;
    }

    private static Context parent(String traceId, String traceparent) {
        Context extracted = traceparent == null ? Context.root()
                : W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, HEADER);
        SpanContext p = Span.fromContext(extracted).getSpanContext();
        if (p.isValid() && (traceId == null || p.getTraceId().equals(traceId))) {
            return extracted;
        }
        if (traceId == null) {
            return Context.root();
        }
        SpanContext madeUp = SpanContext.createFromRemoteParent(traceId, SpanId.fromLong(ThreadLocalRandom.current().nextLong() | 1L),
                TraceFlags.getSampled(), TraceState.getDefault());
        return madeUp.isValid() ? Context.root().with(Span.wrap(madeUp)) : Context.root();
    }
}
