package dev.herald.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-request profiles: private networks, https-only, and which profiles share a connection pool. */
class WebhookHttpClientProfileTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);
    private static final OutboundConfig STRICT = new OutboundConfig(false, false, 8, Duration.ofSeconds(2), "Herald-Test/1").withLoopbackNetworks(true);
    private static final OutboundProfile LOOPBACK = OutboundProfile.defaults().withPrivateNetworks(List.of("127.0.0.0/8"));

    private final ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
    /** The client port of each request the receiver saw: equal ports mean a reused connection. */
    private final List<Integer> clientPorts = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private WebhookHttpClient client;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(serverThreads);
        server.createContext("/hook", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                clientPorts.add(exchange.getRemoteAddress().getPort());
                exchange.sendResponseHeaders(204, -1);
            }
        });
        server.start();
        client = WebhookHttpClient.create(STRICT, CLOCK);
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop(0);
        serverThreads.close();
    }

    private String url(String host) {
        return "http://" + host + ":" + server.getAddress().getPort() + "/hook";
    }

    private static AttemptResult send(WebhookHttpClient client, String url, OutboundProfile profile) {
        return client.send(new OutboundRequest(URI.create(url), Map.of(), "{}".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(10)).withProfile(profile));
    }

    @Test
    void loopbackIsReachableOnlyWhenTheProfileListsIt() {
        AttemptResult listed = send(client, url("127.0.0.1"), LOOPBACK);
        AttemptResult listedByName = send(client, url("localhost"), LOOPBACK);
        AttemptResult noProfile = send(client, url("127.0.0.1"), null);
        AttemptResult byNameNoProfile = send(client, url("localhost"), null);
        AttemptResult otherNetwork = send(client, url("127.0.0.1"), OutboundProfile.defaults().withPrivateNetworks(List.of("10.0.0.0/8")));

        assertThat(listed.statusCode()).as(listed.errorMessage()).isEqualTo(204);
        assertThat(listedByName.statusCode()).as(listedByName.errorMessage()).isEqualTo(204);
        assertThat(List.of(noProfile, byNameNoProfile, otherNetwork)).extracting(AttemptResult::transportError)
                .containsOnly(ErrorClass.BLOCKED_ADDRESS);
        assertThat(clientPorts).hasSize(2);
    }

    @Test
    void metadataStaysBlockedInsideAListedNetwork() {
        OutboundProfile linkLocal = OutboundProfile.defaults().withPrivateNetworks(List.of("169.254.0.0/16", "fd00::/16"));

        for (String host : List.of("169.254.169.254", "[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]",
                "[fd00:ec2::254]")) {
            AttemptResult result = send(client, "http://" + host + "/latest/meta-data", linkLocal);
            assertThat(result.transportError()).as(host).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
        }
    }

    @Test
    void aProfileCanRequireHttps() {
        AttemptResult required = send(client, url("127.0.0.1"), LOOPBACK.withHttpsOnly(true));
        AttemptResult notRequired = send(client, url("127.0.0.1"), LOOPBACK);

        assertThat(required.transportError()).isEqualTo(ErrorClass.INVALID_URL);
        assertThat(required.errorMessage()).contains("https");
        assertThat(notRequired.statusCode()).isEqualTo(204);
    }

    @Test
    void theNodesHttpsRuleHoldsWhateverTheProfileSays() {
        try (WebhookHttpClient httpsNode = WebhookHttpClient.create(
                new OutboundConfig(false, true, 8, Duration.ofSeconds(2), "Herald-Test/1").withLoopbackNetworks(true), CLOCK)) {
            assertThat(send(httpsNode, url("127.0.0.1"), LOOPBACK.withHttpsOnly(false)).transportError()).isEqualTo(ErrorClass.INVALID_URL);
        }
    }

    @Test
    void profilesDifferingOnlyInWhatDoesNotTouchTheConnectionShareAPool() {
        OutboundProfile a = OutboundProfile.defaults().withPrivateNetworks(List.of("127.0.0.0/8", "10.0.0.0/8"));
        OutboundProfile sameNetworksReordered = OutboundProfile.defaults().withPrivateNetworks(List.of("10.0.0.0/8", "127.0.0.1/8"));
        OutboundProfile sameButHttpsOnlyOff = a.withHttpsOnly(false);

        assertThat(send(client, url("127.0.0.1"), a).statusCode()).isEqualTo(204);
        assertThat(send(client, url("127.0.0.1"), sameNetworksReordered).statusCode()).isEqualTo(204);
        assertThat(send(client, url("127.0.0.1"), sameButHttpsOnlyOff).statusCode()).isEqualTo(204);

        assertThat(client.profileClientCount()).isEqualTo(1);
        assertThat(clientPorts).hasSize(3).containsOnly(clientPorts.getFirst()); // one kept-alive connection
    }

    @Test
    void profilesDifferingInNetworksOrTlsGetSeparatePools() {
        OutboundProfile other = LOOPBACK.withPrivateNetworks(List.of("127.0.0.0/8", "192.168.0.0/16"));
        OutboundProfile tls13 = LOOPBACK.withTls(TlsSettings.defaults().withMinVersion("TLSv1.3"));

        send(client, url("127.0.0.1"), LOOPBACK);
        send(client, url("127.0.0.1"), other);
        send(client, url("127.0.0.1"), tls13);
        send(client, url("127.0.0.1"), LOOPBACK);

        assertThat(client.profileClientCount()).isEqualTo(3);
        assertThat(clientPorts).hasSize(4);
        assertThat(clientPorts.subList(0, 3)).doesNotHaveDuplicates();
        assertThat(clientPorts.get(3)).isEqualTo(clientPorts.get(0));
    }

    @Test
    void aProfileThatChangesNothingUsesTheDefaultClient() {
        try (WebhookHttpClient open = WebhookHttpClient.create(new OutboundConfig(true, false, 8, Duration.ofSeconds(2), "Herald-Test/1"), CLOCK)) {
            assertThat(send(open, url("127.0.0.1"), null).statusCode()).isEqualTo(204);
            assertThat(send(open, url("127.0.0.1"), OutboundProfile.defaults()).statusCode()).isEqualTo(204);
            assertThat(send(open, url("127.0.0.1"), LOOPBACK.withHttpsOnly(false)).statusCode()).isEqualTo(204); // networks moot here

            assertThat(open.profileClientCount()).isZero();
            assertThat(clientPorts).hasSize(3).containsOnly(clientPorts.getFirst());
        }
    }

    @Test
    void theLeastRecentlyUsedIdleClientIsClosedBeyondTheLimit() {
        try (WebhookHttpClient limited = WebhookHttpClient.create(STRICT, CLOCK, 2)) {
            OutboundProfile a = LOOPBACK;
            OutboundProfile b = LOOPBACK.withPrivateNetworks(List.of("127.0.0.0/8", "10.1.0.0/16"));
            OutboundProfile c = LOOPBACK.withPrivateNetworks(List.of("127.0.0.0/8", "10.2.0.0/16"));

            send(limited, url("127.0.0.1"), a);
            send(limited, url("127.0.0.1"), b);
            send(limited, url("127.0.0.1"), a); // a is now more recent than b
            send(limited, url("127.0.0.1"), c); // evicts b
            assertThat(limited.profileClientCount()).isEqualTo(2);
            send(limited, url("127.0.0.1"), a); // still pooled
            AttemptResult bAgain = send(limited, url("127.0.0.1"), b); // made anew, evicting c

            assertThat(bAgain.statusCode()).as(bAgain.errorMessage()).isEqualTo(204);
            assertThat(limited.profileClientCount()).isEqualTo(2);
            assertThat(clientPorts).hasSize(6);
            assertThat(clientPorts.get(2)).isEqualTo(clientPorts.get(0));
            assertThat(clientPorts.get(4)).isEqualTo(clientPorts.get(0));
            assertThat(clientPorts.get(5)).isNotEqualTo(clientPorts.get(1)); // b's old connection went with its client

            // evicted clients stop in the background; the shared threads must outlive them
            await().atMost(Duration.ofSeconds(10)).until(() -> limited.profileClientsClosed() == 2);
            OutboundProfile d = LOOPBACK.withPrivateNetworks(List.of("127.0.0.0/8", "10.3.0.0/16"));
            assertThat(send(limited, url("127.0.0.1"), d).statusCode()).isEqualTo(204);
            assertThat(send(limited, url("127.0.0.1"), a).statusCode()).isEqualTo(204);
        }
    }
}
