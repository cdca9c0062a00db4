package dev.herald.server.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * How a node reports on itself: spans exported over OTLP/HTTP (protobuf) to {@code otlpEndpoint} (null: tracing off),
 * and logs as text or JSON lines.
 */
public record Telemetry(URI otlpEndpoint, LogFormat logFormat) {
    /** The path OTLP/HTTP takes spans on, appended to an endpoint given without it. */
    public static final String TRACES_PATH = "/v1/traces";

    /** Log line formats. */
    public enum LogFormat { TEXT, JSON }

    public Telemetry {
        java.util.Objects.requireNonNull(logFormat, "logFormat");
        if (otlpEndpoint != null) {
            String scheme = otlpEndpoint.getScheme();
            if (!("http".equals(scheme) || "https".equals(scheme)) || otlpEndpoint.getHost() == null || otlpEndpoint.getUserInfo() != null
                    || otlpEndpoint.getQuery() != null || otlpEndpoint.getFragment() != null) {
                throw new IllegalArgumentException("otlp-endpoint must be an http(s) URL of an OTLP/HTTP collector without credentials,"
                        + " e.g. http://collector:4318");
            }
        }
    }

    /** Text logs, no tracing. */
    public static Telemetry off() {
        return new Telemetry(null, LogFormat.TEXT);
    }

    /**
     * The telemetry of the {@code --otlp-endpoint} and {@code --log-format} values (blank endpoint: none).
     *
     * @throws IllegalArgumentException naming the flag at fault
     */
    public static Telemetry parse(String otlpEndpoint, String logFormat) {
        LogFormat format;
        try {
            format = LogFormat.valueOf(logFormat.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("log-format must be text or json, got '" + logFormat + "'");
        }
        if (otlpEndpoint == null || otlpEndpoint.isBlank()) {
            return new Telemetry(null, format);
        }
        try {
            return new Telemetry(new URI(otlpEndpoint.trim()), format);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("otlp-endpoint must be an http(s) URL, e.g. http://collector:4318");
        }
    }

    /** Where spans are posted: the endpoint with {@value #TRACES_PATH} unless it names that path already; null when off. */
    public URI tracesUrl() {
        if (otlpEndpoint == null) {
            return null;
        }
        String s = otlpEndpoint.toString();
        if (s.endsWith(TRACES_PATH)) {
            return otlpEndpoint;
        }
        return URI.create((s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + TRACES_PATH);
    }

    /**
     * A new SDK exporting Herald's spans (service.name {@code herald}) in batches to {@link #tracesUrl()}, with W3C trace
     * context; {@link OpenTelemetry#noop()} when tracing is off. The caller closes an SDK (flushing what is queued).
     */
    public OpenTelemetry openTelemetry(String serviceVersion) {
        if (otlpEndpoint == null) {
            return OpenTelemetry.noop();
        }
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), "herald", AttributeKey.stringKey("service.version"), serviceVersion)));
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl().toString()).build();
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setResource(resource).addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }
}
