package dev.herald.http;

import dev.herald.testing.ConnectProxy;
import dev.herald.testing.TestPki;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhooks through an HTTP CONNECT proxy: Herald vets the destination, the proxy only ever sees the vetted IP. */
class WebhookHttpClientProxyTest {

    private static final TestPki PKI = TestPki.get();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);
    private static final OutboundConfig CONFIG = new OutboundConfig(false, false, 8, Duration.ofSeconds(2), "Herald-Test/1").withLoopbackNetworks(true);
    private static final String PASSWORD = "pr0xy-S3cret";
    private static final OutboundProfile LOOPBACK = OutboundProfile.defaults().withPrivateNetworks(List.of("127.0.0.0/8"))
            .withTls(TlsSettings.defaults().withCaCertificates(PKI.serverCaPem));

    private final ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<String> hostHeaders = new CopyOnWriteArrayList<>();
    private HttpsServer httpsServer;
    private HttpServer httpServer;
    private ConnectProxy proxy;
    private ConnectProxy authProxy;
    private WebhookHttpClient client;

    @BeforeEach
    void start() throws Exception {
        httpsServer = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        httpsServer.setHttpsConfigurator(new HttpsConfigurator(PKI.serverContext(PKI.clientCaPem)));
        httpServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        for (var server : List.of(httpsServer, httpServer)) {
            server.setExecutor(serverThreads);
            server.createContext("/hook", exchange -> {
                try (exchange) {
                    exchange.getRequestBody().readAllBytes();
                    hostHeaders.add(exchange.getRequestHeaders().getFirst("Host"));
                    byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                }
            });
            server.start();
        }
        proxy = new ConnectProxy(null, null);
        authProxy = new ConnectProxy("herald", PASSWORD);
        client = WebhookHttpClient.create(CONFIG, CLOCK);
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        proxy.close();
        authProxy.close();
        httpsServer.stop(0);
        httpServer.stop(0);
        serverThreads.close();
    }

    private static ProxySettings proxyAt(int port, String userInfo) {
        return new ProxySettings("http://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + port);
    }

    private static AttemptResult send(WebhookHttpClient client, String url, OutboundProfile profile) {
        return client.send(new OutboundRequest(URI.create(url), Map.of("Content-Type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)).withProfile(profile));
    }

    private String httpsUrl() {
        return "https://localhost:" + httpsServer.getAddress().getPort() + "/hook";
    }

    @Test
    void httpsGoesThroughTheProxyAsConnectToTheVettedAddress() {
        AttemptResult result = send(client, httpsUrl(), LOOPBACK.withProxy(proxyAt(proxy.port(), null)));

        assertThat(result.statusCode()).as(result.errorMessage()).isEqualTo(200);
        assertThat(proxy.requestLines).containsExactly("CONNECT 127.0.0.1:" + httpsServer.getAddress().getPort() + " HTTP/1.1");
        assertThat(hostHeaders).containsExactly("localhost:" + httpsServer.getAddress().getPort()); // TLS name and Host unchanged
    }

    @Test
    void plainHttpIsTunnelledToo() {
        String url = "http://localhost:" + httpServer.getAddress().getPort() + "/hook";

        AttemptResult result = send(client, url, LOOPBACK.withProxy(proxyAt(proxy.port(), null)));

        assertThat(result.statusCode()).as(result.errorMessage()).isEqualTo(200);
        assertThat(proxy.requestLines).containsExactly("CONNECT 127.0.0.1:" + httpServer.getAddress().getPort() + " HTTP/1.1");
    }

    @Test
    void credentialsAreSentAsBasicProxyAuthorization() {
        AttemptResult result = send(client, httpsUrl(), LOOPBACK.withProxy(proxyAt(authProxy.port(), "herald:" + PASSWORD)));

        assertThat(result.statusCode()).as(result.errorMessage()).isEqualTo(200);
        assertThat(authProxy.requestLines).containsExactly("CONNECT 127.0.0.1:" + httpsServer.getAddress().getPort() + " HTTP/1.1");
    }

    @Test
    void wrongCredentialsAreAProxyErrorThatNeverShowsThePassword() {
        String wrong = "Wr0ng-" + PASSWORD;
        AttemptResult result = send(client, httpsUrl(), LOOPBACK.withProxy(proxyAt(authProxy.port(), "herald:" + wrong)));

        assertThat(result.transportError()).isEqualTo(ErrorClass.PROXY);
        assertThat(result.errorMessage()).contains("407").doesNotContain(wrong).doesNotContain(PASSWORD)
                .doesNotContain(Base64.getEncoder().encodeToString(("herald:" + wrong).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void missingCredentialsAreAProxyError() {
        AttemptResult result = send(client, httpsUrl(), LOOPBACK.withProxy(proxyAt(authProxy.port(), null)));

        assertThat(result.transportError()).isEqualTo(ErrorClass.PROXY);
        assertThat(result.errorMessage()).contains("407");
    }

    @Test
    void anUnreachableProxyIsAProxyError() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        AttemptResult result = send(client, httpsUrl(), LOOPBACK.withProxy(proxyAt(closedPort, "herald:" + PASSWORD)));

        assertThat(result.transportError()).isEqualTo(ErrorClass.PROXY);
        assertThat(result.errorMessage()).doesNotContain(PASSWORD);
    }

    @Test
    void aProxyThatNeverAnswersIsAProxyError() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) { // accepts via backlog, never replies
            AttemptResult result = send(client, httpsUrl(), LOOPBACK.withProxy(proxyAt(silent.getLocalPort(), null)));

            assertThat(result.transportError()).isEqualTo(ErrorClass.PROXY);
            assertThat(result.errorMessage()).contains("in time");
        }
    }

    @Test
    void aForbiddenDestinationIsRefusedBeforeTheProxyIsContacted() throws IOException {
        try (WebhookHttpClient viaEgress = WebhookHttpClient.create(CONFIG.withEgressProxy(proxyAt(proxy.port(), null)), CLOCK)) {
            AttemptResult literal = send(viaEgress, "http://127.0.0.1:" + httpServer.getAddress().getPort() + "/hook", null);
            AttemptResult byName = send(viaEgress, "http://localhost:" + httpServer.getAddress().getPort() + "/hook", null);
            AttemptResult notListed = send(viaEgress, httpsUrl(), OutboundProfile.defaults().withPrivateNetworks(List.of("10.0.0.0/8")));
            AttemptResult metadata = send(viaEgress, "http://169.254.169.254/latest/meta-data",
                    OutboundProfile.defaults().withPrivateNetworks(List.of("169.254.0.0/16")));
            AttemptResult mappedMetadata = send(viaEgress, "http://[::ffff:169.254.169.254]/latest/meta-data",
                    OutboundProfile.defaults().withPrivateNetworks(List.of("169.254.0.0/16")));

            assertThat(List.of(literal, byName, notListed, metadata, mappedMetadata))
                    .extracting(AttemptResult::transportError).containsOnly(ErrorClass.BLOCKED_ADDRESS);
        }
        assertThat(proxy.connections).hasValue(0);
    }

    @Test
    void theNodeEgressProxyIsTrustedAndUsedWhenTheProfileHasNoProxy() throws IOException {
        try (WebhookHttpClient viaEgress = WebhookHttpClient.create(CONFIG.withEgressProxy(proxyAt(proxy.port(), null)), CLOCK)) {
            AttemptResult result = send(viaEgress, httpsUrl(), LOOPBACK);

            assertThat(result.statusCode()).as(result.errorMessage()).isEqualTo(200);
        }
        assertThat(proxy.requestLines).containsExactly("CONNECT 127.0.0.1:" + httpsServer.getAddress().getPort() + " HTTP/1.1");
    }

    @Test
    void aProfilesOwnProxyOverridesTheNodeEgressProxy() throws IOException {
        try (WebhookHttpClient viaEgress = WebhookHttpClient.create(CONFIG.withEgressProxy(proxyAt(proxy.port(), null)), CLOCK)) {
            AttemptResult result = send(viaEgress, httpsUrl(), LOOPBACK.withProxy(proxyAt(authProxy.port(), "herald:" + PASSWORD)));

            assertThat(result.statusCode()).as(result.errorMessage()).isEqualTo(200);
        }
        assertThat(authProxy.requestLines).hasSize(1);
        assertThat(proxy.connections).hasValue(0);
    }

    @Test
    void aProfilesOwnProxyMustBeAnAddressTheProfileMayReach() throws IOException {
        HttpServer elsewhere = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 0);
        elsewhere.createContext("/hook", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(204, -1);
            }
        });
        elsewhere.start();
        try {
            String url = "http://127.0.0.2:" + elsewhere.getAddress().getPort() + "/hook";
            OutboundProfile onlyDestination = OutboundProfile.defaults().withPrivateNetworks(List.of("127.0.0.2/32"));

            AttemptResult direct = send(client, url, onlyDestination);
            AttemptResult viaLoopbackProxy = send(client, url, onlyDestination.withProxy(proxyAt(proxy.port(), null)));

            assertThat(direct.statusCode()).as(direct.errorMessage()).isEqualTo(204);
            assertThat(viaLoopbackProxy.transportError()).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
            assertThat(viaLoopbackProxy.errorMessage()).contains("proxy");
            assertThat(proxy.connections).hasValue(0);
        } finally {
            elsewhere.stop(0);
        }
    }
}
