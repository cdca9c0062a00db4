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
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a node reports on itself: spans exported over OTLP/HTTP (protobuf) to {@code otlpEndpoint} (null: tracing off),
 * with {@code otlpHeaders} on each export (a collector's credentials: never printed, see {@link #toString()}), sampling
 * {@code samplingRatio} of the traces that start here (a producer's sampled flag is followed); and logs as text or JSON
 * lines.
 */
public record Telemetry(URI otlpEndpoint, LogFormat logFormat, double samplingRatio, Map<String, String> otlpHeaders) {
    /** The path OTLP/HTTP takes spans on, appended to an endpoint given without it. */
    public static final String TRACES_PATH = "/v1/traces";

    /** Log line formats. */
    public enum LogFormat { TEXT, JSON }

    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}");
    private static final int MAX_HEADERS = 20;

    public Telemetry {
        java.util.Objects.requireNonNull(logFormat, "logFormat");
        if (!(samplingRatio >= 0 && samplingRatio <= 1)) {
            throw new IllegalArgumentException("otlp-sampling-ratio must be a number from 0 to 1, got " + samplingRatio);
        }
        otlpHeaders = Map.copyOf(otlpHeaders);
        if (otlpEndpoint != null) {
            String scheme = otlpEndpoint.getScheme();
            if (!("http".equals(scheme) || "https".equals(scheme)) || otlpEndpoint.getHost() == null || otlpEndpoint.getUserInfo() != null
                    || otlpEndpoint.getQuery() != null || otlpEndpoint.getFragment() != null) {
                throw new IllegalArgumentException("otlp-endpoint must be an http(s) URL of an OTLP/HTTP collector without credentials,"
                        + " e.g. http://collector:4318");
            }
        }
    }

    /** Every trace sampled, no export headers. */
    public Telemetry(URI otlpEndpoint, LogFormat logFormat) {
        this(otlpEndpoint, logFormat, 1.0, Map.of());
    }

    /** Text logs, no tracing. */
    public static Telemetry off() {
        return new Telemetry(null, LogFormat.TEXT);
    }

    /**
     * The telemetry of the flags as {@link #parse(String, String)}, with a sampling ratio and export headers written
     * as {@code name=value,name2=value2} (values percent-decoded, the {@code OTEL_EXPORTER_OTLP_HEADERS} format; null
     * or blank: none).
     *
     * @throws IllegalArgumentException naming the setting at fault, never repeating a header's value
     */
    public static Telemetry parse(String otlpEndpoint, String logFormat, double samplingRatio, String otlpHeaders) {
        Telemetry t = parse(otlpEndpoint, logFormat);
        return new Telemetry(t.otlpEndpoint, t.logFormat, samplingRatio, headers(otlpHeaders));
    }

    private static Map<String, String> headers(String spec) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return headers;
        }
        for (String pair : spec.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = (eq < 0 ? pair : pair.substring(0, eq)).trim();
            if (eq < 0 || !HEADER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("otlp-headers must be name=value pairs separated by commas, with token names");
            }
            String value;
            try {
                value = URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("otlp-headers: the value of " + name + " is not percent-encoded correctly");
            }
            if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw new IllegalArgumentException("otlp-headers: the value of " + name + " holds control characters");
            }
            if (headers.put(name.toLowerCase(Locale.ROOT), value) != null || headers.size() > MAX_HEADERS) {
                throw new IllegalArgumentException("otlp-headers: " + name + " is repeated, or more than " + MAX_HEADERS + " headers");
            }
        }
        return headers;
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
        var exporterBuilder = OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl().toString());
        otlpHeaders.forEach(exporterBuilder::addHeader);
        OtlpHttpSpanExporter exporter = exporterBuilder.build();
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setResource(resource)
                        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(samplingRatio)))
                        .addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }

    /** The settings with every export header's value left out. */
    @Override
    public String toString() {
        return "Telemetry[otlpEndpoint=" + otlpEndpoint + ", logFormat=" + logFormat + ", samplingRatio=" + samplingRatio
                + ", otlpHeaders=" + otlpHeaders.keySet() + " (values redacted)]";
    }
}
