package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.telemetry.Telemetry;
import dev.herald.server.telemetry.Telemetry.LogFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --otlp-endpoint} and {@code --log-format}: defaults, environment, file, and refusals before anything starts. */
class TelemetryFlagsTest {
    @TempDir
    Path dir;

    private static Main.Serve serve(Map<String, String> env, Properties file, String... args) {
        Main.Serve s = new Main.Serve();
        new CommandLine(s).setDefaultValueProvider(new Main.EnvAndFileDefaults(env, file)).parseArgs(args);
        return s;
    }

    @Test
    void byDefaultNoTracingAndTextLogs() {
        Telemetry t = serve(Map.of(), new Properties()).telemetry();
        assertThat(t.otlpEndpoint()).isNull();
        assertThat(t.logFormat()).isEqualTo(LogFormat.TEXT);
        assertThat(t.openTelemetry("test")).isSameAs(io.opentelemetry.api.OpenTelemetry.noop());
    }

    @Test
    void flagsWinOverTheEnvironmentWhichWinsOverTheFile() {
        Properties file = new Properties();
        file.setProperty("otlp-endpoint", "http://file:4318");
        file.setProperty("log-format", "json");
        assertThat(serve(Map.of(), file).telemetry()).isEqualTo(new Telemetry(URI.create("http://file:4318"), LogFormat.JSON));
        Map<String, String> env = Map.of("HERALD_OTLP_ENDPOINT", "https://env:4318/", "HERALD_LOG_FORMAT", "TEXT");
        assertThat(serve(env, file).telemetry()).isEqualTo(new Telemetry(URI.create("https://env:4318/"), LogFormat.TEXT));
        assertThat(serve(env, file, "--otlp-endpoint", "http://flag:4318", "--log-format=json").telemetry())
                .isEqualTo(new Telemetry(URI.create("http://flag:4318"), LogFormat.JSON));
    }

    @Test
    void spansArePostedToTheTracesPathOfTheEndpoint() {
        assertThat(Telemetry.parse("http://collector:4318", "text").tracesUrl()).isEqualTo(URI.create("http://collector:4318/v1/traces"));
        assertThat(Telemetry.parse("http://collector:4318/", "text").tracesUrl()).isEqualTo(URI.create("http://collector:4318/v1/traces"));
        assertThat(Telemetry.parse("https://c/otel/v1/traces", "text").tracesUrl()).isEqualTo(URI.create("https://c/otel/v1/traces"));
    }

    @Test
    void aBadLogFormatOrEndpointIsAConfigurationErrorNamingTheFlag() {
        for (String[] bad : new String[][] {{"--log-format", "xml"}, {"--otlp-endpoint", "collector:4318"},
                {"--otlp-endpoint", "ftp://collector"}, {"--otlp-endpoint", "http://user:secret@collector:4318"}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new String[] {"serve", "--data-dir", dir.resolve("never").toString(), bad[0], bad[1]}, Map.of(),
                    new PrintWriter(out), new PrintWriter(err));
            assertThat(code).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(err.toString()).contains("invalid configuration").contains(bad[0].substring(2)).doesNotContain("secret");
        }
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void exportHeadersComeFromTheEnvironmentOrAFileAndAreNeverPrinted() throws Exception {
        Telemetry fromEnv = serve(Map.of("HERALD_OTLP_ENDPOINT", "http://c:4318", "HERALD_OTLP_HEADERS", "Authorization=Bearer%20s3cret,x-tenant=bank"),
                new Properties()).telemetry();
        assertThat(fromEnv.otlpHeaders()).containsExactlyInAnyOrderEntriesOf(Map.of("authorization", "Bearer s3cret", "x-tenant", "bank"));
        assertThat(fromEnv.toString()).contains("authorization").doesNotContain("s3cret");

        Path file = dir.resolve("otlp-headers");
        java.nio.file.Files.writeString(file, "api-key=from-file\n");
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(serve(Map.of(), new Properties(), "--otlp-headers-file", file.toString()).telemetry().otlpHeaders())
                .containsExactlyEntriesOf(Map.of("api-key", "from-file"));
    }

    @Test
    void samplingRatioDefaultsToEveryTraceAndIsBoundedToZeroToOne() {
        assertThat(serve(Map.of(), new Properties()).telemetry().samplingRatio()).isEqualTo(1.0);
        assertThat(serve(Map.of("HERALD_OTLP_SAMPLING_RATIO", "0.25"), new Properties()).telemetry().samplingRatio()).isEqualTo(0.25);
        for (String[] bad : new String[][] {{"--otlp-sampling-ratio", "1.5"}, {"--otlp-sampling-ratio", "-0.1"}, {"--otlp-sampling-ratio", "NaN"},
                {"--otlp-headers", "no-equals-sign"}, {"--otlp-headers", "bad name=s3cret"}, {"--otlp-headers", "a=%zz"}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new String[] {"serve", "--data-dir", dir.resolve("never").toString(), bad[0], bad[1]}, Map.of(),
                    new PrintWriter(out), new PrintWriter(err));
            assertThat(code).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", bad)).contains("invalid configuration").contains(bad[0].substring(2)).doesNotContain("s3cret");
        }
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void aZeroRatioSamplesNoNewTraceButFollowsASampledProducer() {
        var sdk = (io.opentelemetry.sdk.OpenTelemetrySdk) Telemetry.parse("http://127.0.0.1:9", "text", 0.0, null).openTelemetry("test");
        try {
            var tracer = sdk.getTracer("test");
            assertThat(tracer.spanBuilder("root").startSpan().getSpanContext().isSampled()).isFalse();
            var producer = io.opentelemetry.api.trace.SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                    io.opentelemetry.api.trace.TraceFlags.getSampled(), io.opentelemetry.api.trace.TraceState.getDefault());
            var child = tracer.spanBuilder("child").setParent(io.opentelemetry.context.Context.root().with(io.opentelemetry.api.trace.Span.wrap(producer)))
                    .startSpan();
            assertThat(child.getSpanContext().isSampled()).isTrue();
        } finally {
            sdk.getSdkTracerProvider().shutdown();
        }
    }
}
