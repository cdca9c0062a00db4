package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.ConnectProxy;
import dev.herald.testing.TestPki;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Certificate control and the egress proxy through the API, against real servers on loopback, on a node that refuses
 * private addresses: a merchant's client certificate gets its deliveries into a receiver that demands one, another
 * merchant without it records {@code tls}; a merchant's proxy tunnels to the vetted address, and a destination its
 * rules no longer allow is refused at connect time before the proxy is asked.
 */
class OutboundControlsApiTest {
    private static final TestPki PKI = TestPki.get();
    private static final String PASSWORD = "s3cret-proxy-pass";

    private static TestServer server;
    private static HttpsServer receiver;
    private static ConnectProxy proxy;
    private static final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private static final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.startAllowingLoopbackNetworks(); // the receivers are on loopback
        SSLContext context = PKI.serverContext(PKI.clientCaPem);
        receiver = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                var p = context.getDefaultSSLParameters();
                p.setNeedClientAuth(true); // the bank's receiver: no client certificate, no connection
                params.setSSLParameters(p);
            }
        });
        receiver.setExecutor(threads);
        receiver.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                received.add(exchange.getRequestURI().getPath());
                byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, ok.length);
                exchange.getResponseBody().write(ok);
            }
        });
        receiver.start();
        proxy = new ConnectProxy("herald", PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        threads.close();
        if (server != null) {
            server.close();
        }
    }

    private static String url(String path) {
        return "https://127.0.0.1:" + receiver.getAddress().getPort() + path;
    }

    private static Response putMerchant(String id, Map<String, Object> body) {
        return server.send(server.request("/v1/merchants/" + id).PUT(java.net.http.HttpRequest.BodyPublishers.ofString(TestServer.toJson(body)))
                .header("Content-Type", "application/json").build());
    }

    private static Map<String, Object> tls(boolean withClientCertificate) {
        Map<String, Object> t = new HashMap<>(Map.of("ca_certificates", PKI.serverCaPem, "min_version", "TLSv1.2"));
        if (withClientCertificate) {
            t.put("client_certificate", PKI.clientCertPem);
            t.put("client_key", PKI.clientKeyPem);
        }
        return t;
    }

    private static final Map<String, Object> LOOPBACK = Map.of("private_networks", List.of("127.0.0.0/8"));

    /** Creates an endpoint of {@code merchant} for {@code type}, posts one event, and answers its delivery once settled. */
    private static JsonNode deliverOnce(String merchant, String path, String type) {
        Response ep = server.postJson("/v1/endpoints", Map.of("url", url(path), "events", List.of(type), "merchant_id", merchant,
                "retry_attempts", 0));
        assertThat(ep.status()).as(ep.body()).isEqualTo(201);
        return postAndSettle(type);
    }

    private static JsonNode postAndSettle(String type) {
        String event = server.postJson("/v1/events", Map.of("event", type, "data", Map.of("n", 1))).json().get("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode d = server.get("/v1/deliveries?event=" + event).json().get("data");
            return d.size() == 1 && !d.get(0).get("status").asText().equals("pending");
        });
        String id = server.get("/v1/deliveries?event=" + event).json().get("data").get(0).get("id").asText();
        return server.get("/v1/deliveries/" + id).json();
    }

    @Test
    void theMerchantsClientCertificateOpensTheReceiverAndAnotherMerchantWithoutOneRecordsTls() {
        Response m = putMerchant("mtls-bank", Map.of("url_rules", LOOPBACK, "tls", tls(true)));
        assertThat(m.status()).as(m.body()).isEqualTo(201);
        assertThat(m.json().get("tls").get("has_client_key").asBoolean()).isTrue();
        assertThat(m.body()).doesNotContain("PRIVATE KEY");
        assertThat(server.get("/v1/merchants/mtls-bank").body()).doesNotContain("PRIVATE KEY").contains("BEGIN CERTIFICATE");

        JsonNode ok = deliverOnce("mtls-bank", "/mtls-ok", "mtls.ok");
        assertThat(ok.get("status").asText()).as(ok.toString()).isEqualTo("delivered");
        assertThat(received).contains("/mtls-ok");

        assertThat(putMerchant("no-cert-bank", Map.of("url_rules", LOOPBACK, "tls", tls(false))).status()).isEqualTo(201);
        JsonNode refused = deliverOnce("no-cert-bank", "/mtls-refused", "mtls.refused");
        assertThat(refused.get("status").asText()).isEqualTo("failed");
        assertThat(refused.get("attempts").get(0).get("error_class").asText()).isEqualTo("tls");
        assertThat(received).doesNotContain("/mtls-refused");
    }

    @Test
    void anEndpointsOwnTlsOverridesItsMerchants() {
        assertThat(putMerchant("override-bank", Map.of("url_rules", LOOPBACK, "tls", tls(false))).status()).isEqualTo(201);
        Response ep = server.postJson("/v1/endpoints", Map.of("url", url("/override"), "events", List.of("mtls.override"),
                "merchant_id", "override-bank", "retry_attempts", 0, "tls", tls(true)));
        assertThat(ep.status()).as(ep.body()).isEqualTo(201);
        assertThat(ep.body()).doesNotContain("PRIVATE KEY");
        assertThat(postAndSettle("mtls.override").get("status").asText()).isEqualTo("delivered");
        String id = ep.json().get("id").asText();
        Response kept = server.patchJson("/v1/endpoints/" + id, Map.of("tls", Map.of("client_certificate", PKI.clientCertPem,
                "ca_certificates", PKI.serverCaPem)));
        assertThat(kept.status()).as("the same certificate without a key keeps the stored key: %s", kept.body()).isEqualTo(200);
        assertThat(kept.json().get("tls").get("has_client_key").asBoolean()).isTrue();
        assertThat(postAndSettle("mtls.override").get("status").asText()).isEqualTo("delivered");
    }

    @Test
    void theMerchantsProxyTunnelsToTheVettedAddressAndAForbiddenOneIsRefusedBeforeTheProxyIsAsked() {
        String proxyUrl = "http://herald:" + PASSWORD + "@127.0.0.1:" + proxy.port();
        Response m = putMerchant("line-bank", Map.of("url_rules", LOOPBACK, "tls", tls(true), "proxy", Map.of("url", proxyUrl)));
        assertThat(m.status()).as(m.body()).isEqualTo(201);
        assertThat(m.json().get("proxy").get("url").asText()).isEqualTo("http://herald:***@127.0.0.1:" + proxy.port());
        assertThat(m.body()).doesNotContain(PASSWORD);

        JsonNode through = deliverOnce("line-bank", "/through-proxy", "line.ok");
        assertThat(through.get("status").asText()).as(through.toString()).isEqualTo("delivered");
        assertThat(proxy.requestLines).contains("CONNECT 127.0.0.1:" + receiver.getAddress().getPort() + " HTTP/1.1");

        // the operator withdraws the private network: the endpoint stays, but the address is vetted again at connect time
        assertThat(putMerchant("line-bank", Map.of("url_rules", Map.of("private_networks", List.of()))).status()).isEqualTo(200);
        int asked = proxy.connections.get();
        JsonNode blocked = postAndSettle("line.ok");
        assertThat(blocked.get("status").asText()).isEqualTo("failed");
        assertThat(blocked.get("attempts").get(0).get("error_class").asText()).isEqualTo("blocked_address");
        assertThat(proxy.connections.get()).as("the proxy was never asked").isEqualTo(asked);
        assertThat(blocked.toString()).doesNotContain(PASSWORD);

        Response audit = server.get("/v1/audit?target=line-bank");
        assertThat(audit.status()).isEqualTo(200);
        assertThat(audit.json().get("data").findValuesAsText("action")).contains("merchant.create", "merchant.update");
        assertThat(audit.body()).as("the audit shows the change without the proxy password or the client key")
                .doesNotContain(PASSWORD).doesNotContain(PKI.clientKeyPem.lines().skip(1).findFirst().orElseThrow()).contains("127.0.0.1");
    }

    @Test
    void aProxyPasswordGivenApartOrLeftOutIsKeptForTheSameProxyOnly() {
        String port = Integer.toString(proxy.port());
        Response set = putMerchant("kept-bank", Map.of("url_rules", LOOPBACK, "tls", tls(true),
                "proxy", Map.of("url", "http://herald@127.0.0.1:" + port, "password", PASSWORD)));
        assertThat(set.status()).as(set.body()).isEqualTo(201);
        assertThat(set.json().get("proxy").get("url").asText()).isEqualTo("http://herald:***@127.0.0.1:" + port);
        assertThat(deliverOnce("kept-bank", "/kept", "kept.ok").get("status").asText()).as("the password given apart authenticates").isEqualTo("delivered");

        // the URL as shown, less ":***", changes nothing: the stored password stays, so the proxy still lets deliveries through
        Response kept = putMerchant("kept-bank", Map.of("proxy", Map.of("url", "http://herald@127.0.0.1:" + port)));
        assertThat(kept.status()).as(kept.body()).isEqualTo(200);
        assertThat(kept.json().get("proxy").get("url").asText()).isEqualTo("http://herald:***@127.0.0.1:" + port);
        assertThat(postAndSettle("kept.ok").get("status").asText()).isEqualTo("delivered");

        // another host (or port, or user) never gets the stored password
        Response moved = putMerchant("kept-bank", Map.of("proxy", Map.of("url", "http://herald@localhost:" + port)));
        assertThat(moved.status()).isEqualTo(200);
        assertThat(moved.json().get("proxy").get("url").asText()).isEqualTo("http://herald@localhost:" + port);

        Response noUser = putMerchant("kept-bank", Map.of("proxy", Map.of("url", "http://127.0.0.1:" + port, "password", PASSWORD)));
        assertThat(noUser.status()).isEqualTo(422);
        assertThat(noUser.json().get("field").asText()).isEqualTo("proxy.password");
        Response twice = putMerchant("kept-bank", Map.of("proxy", Map.of("url", "http://herald:" + PASSWORD + "@127.0.0.1:" + port, "password", PASSWORD)));
        assertThat(twice.json().get("field").asText()).isEqualTo("proxy.password");
        assertThat(noUser.body() + twice.body()).doesNotContain(PASSWORD);
        assertThat(server.get("/v1/audit?target=kept-bank").body()).doesNotContain(PASSWORD);
    }

    @Test
    void badCertificateAndProxySettingsAreNamedAndNothingIsStored() {
        record Case(Map<String, Object> body, String field) {}
        for (Case c : List.of(
                new Case(Map.of("tls", Map.of("client_certificate", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
                        "client_key", PKI.clientKeyPem)), "tls.client_certificate"),
                new Case(Map.of("tls", Map.of("client_certificate", PKI.clientCertPem, "client_key", PKI.otherClientKeyPem)), "tls.client_key"),
                new Case(Map.of("tls", Map.of("client_certificate", PKI.clientCertPem)), "tls.client_key"),
                new Case(Map.of("tls", Map.of("client_certificate", PKI.weakCertPem, "client_key", PKI.weakKeyPem)), "tls.client_key"),
                new Case(Map.of("tls", Map.of("ca_certificates", "garbage")), "tls.ca_certificates"),
                new Case(Map.of("tls", Map.of("pinned_spki_sha256", List.of("not-a-pin"))), "tls.pinned_spki_sha256[0]"),
                new Case(Map.of("tls", Map.of("min_version", "SSLv3")), "tls.min_version"),
                new Case(Map.of("tls", Map.of("client_cert", "x")), "tls.client_cert"),
                new Case(Map.of("proxy", Map.of("url", "socks5://user:" + PASSWORD + "@proxy.example:1080")), "proxy.url"),
                new Case(Map.of("proxy", Map.of("url", "http://user:" + PASSWORD + "@/nohost")), "proxy.url"),
                new Case(Map.of("url_rules", Map.of("private_networks", List.of("10.0.0.0/4"))), "url_rules.private_networks[0]"))) {
            Response r = putMerchant("bad-controls", c.body());
            assertThat(r.status()).as("%s: %s", c.field(), r.body()).isBetween(400, 422);
            assertThat(r.json().get("field").asText()).as(r.body()).isEqualTo(c.field());
            assertThat(r.body()).doesNotContain(PASSWORD).doesNotContain("PRIVATE KEY");
        }
        assertThat(server.get("/v1/merchants/bad-controls").status()).as("nothing stored").isEqualTo(404);
        Response httpUrl = server.postJson("/v1/endpoints", Map.of("url", "http://pay.example/x", "events", List.of("x.y"), "tls", tls(true)));
        assertThat(httpUrl.status()).isEqualTo(422);
        assertThat(httpUrl.json().get("field").asText()).isEqualTo("tls");
    }
}
