package dev.herald.http;

import dev.herald.testing.TestPki;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** mTLS, trust, pinning and protocol versions per profile, against real TLS servers on 127.0.0.1. */
class WebhookHttpClientTlsTest {

    private static final TestPki PKI = TestPki.get();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);
    private static final OutboundConfig CONFIG = new OutboundConfig(false, false, 8, Duration.ofSeconds(2), "Herald-Test/1").withLoopbackNetworks(true);
    /** Loopback is private: every profile here lists it; the node itself does not allow private addresses. */
    private static final OutboundProfile LOOPBACK = OutboundProfile.defaults().withPrivateNetworks(List.of("127.0.0.0/8"));
    private static final TlsSettings TRUST_SERVER_CA = TlsSettings.defaults().withCaCertificates(PKI.serverCaPem);

    private final ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
    private HttpsServer mtlsServer;
    private HttpsServer tls12Server;
    private WebhookHttpClient client;

    @BeforeEach
    void start() throws Exception {
        mtlsServer = server(PKI.serverContext(PKI.clientCaPem), true, null);
        tls12Server = server(PKI.serverContext(PKI.clientCaPem), false, new String[] {"TLSv1.2"});
        client = WebhookHttpClient.create(CONFIG, CLOCK);
    }

    @AfterEach
    void stop() {
        client.close();
        mtlsServer.stop(0);
        tls12Server.stop(0);
        serverThreads.close();
    }

    /** A server answering 200 with the client certificate's subject (or "anonymous") and its protocol. */
    private HttpsServer server(SSLContext context, boolean needClientAuth, String[] protocols) throws Exception {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = context.getDefaultSSLParameters();
                p.setNeedClientAuth(needClientAuth);
                if (protocols != null) {
                    p.setProtocols(protocols);
                }
                params.setSSLParameters(p);
            }
        });
        server.setExecutor(serverThreads);
        server.createContext("/hook", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                String who;
                try {
                    who = ((X509Certificate) ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0])
                            .getSubjectX500Principal().getName();
                } catch (SSLPeerUnverifiedException e) {
                    who = "anonymous";
                }
                byte[] body = (who + " " + ((HttpsExchange) exchange).getSSLSession().getProtocol()).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        return server;
    }

    private AttemptResult send(HttpsServer server, OutboundProfile profile) {
        URI url = URI.create("https://localhost:" + server.getAddress().getPort() + "/hook");
        return client.send(new OutboundRequest(url, Map.of("Content-Type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)).withProfile(profile));
    }

    private static OutboundProfile withTls(TlsSettings tls) {
        return LOOPBACK.withTls(tls);
    }

    private static TlsSettings clientCertificate() {
        return TRUST_SERVER_CA.withClientCertificate(PKI.clientCertPem, PKI.clientKeyPem);
    }

    @Test
    void theRightClientCertificateIsAccepted() {
        AttemptResult result = send(mtlsServer, withTls(clientCertificate()));

        assertThat(result.transportError()).as(result.errorMessage()).isNull();
        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.responseExcerpt()).startsWith("CN=herald-client");
    }

    @Test
    void aPkcs1ClientKeyWorksToo() {
        AttemptResult result = send(mtlsServer, withTls(TRUST_SERVER_CA.withClientCertificate(PKI.clientCertPem, PKI.clientKeyPkcs1Pem)));

        assertThat(result.statusCode()).as(result.errorMessage()).isEqualTo(200);
    }

    @Test
    void withoutAClientCertificateTheServerRefusesAsTls() {
        AttemptResult result = send(mtlsServer, withTls(TRUST_SERVER_CA));

        assertThat(result.transportError()).as(result.errorMessage()).isEqualTo(ErrorClass.TLS);
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefusedAsTls() {
        AttemptResult result = send(mtlsServer, withTls(TRUST_SERVER_CA.withClientCertificate(PKI.otherClientCertPem, PKI.otherClientKeyPem)));

        assertThat(result.transportError()).as(result.errorMessage()).isEqualTo(ErrorClass.TLS);
    }

    @Test
    void aServerOutsideTheProfilesCaBundleIsTls() {
        AttemptResult result = send(tls12Server, withTls(TlsSettings.defaults().withCaCertificates(PKI.otherCaPem)));

        assertThat(result.transportError()).as(result.errorMessage()).isEqualTo(ErrorClass.TLS);
    }

    @Test
    void aServerUntrustedByTheDefaultTrustStoreIsTls() {
        AttemptResult result = send(tls12Server, withTls(TlsSettings.defaults().withMinVersion("TLSv1.2")));

        assertThat(result.transportError()).as(result.errorMessage()).isEqualTo(ErrorClass.TLS);
    }

    @Test
    void aPinnedServerKeyIsAcceptedAndAnyOtherIsTls() throws Exception {
        String serverPin = ProfileTls.spkiSha256(PKI.serverCertificate());
        String otherPin = java.util.Base64.getEncoder().encodeToString(new byte[32]);

        AttemptResult pinned = send(tls12Server, withTls(TRUST_SERVER_CA.withPinnedSpkiSha256(List.of(otherPin, serverPin))));
        AttemptResult wrong = send(tls12Server, withTls(TRUST_SERVER_CA.withPinnedSpkiSha256(List.of(otherPin))));

        assertThat(pinned.statusCode()).as(pinned.errorMessage()).isEqualTo(200);
        assertThat(wrong.transportError()).as(wrong.errorMessage()).isEqualTo(ErrorClass.TLS);
    }

    @Test
    void aTls12OnlyServerFailsAsTlsWhenTheProfileRequiresTls13() {
        AttemptResult allowed = send(tls12Server, withTls(TRUST_SERVER_CA));
        AttemptResult refused = send(tls12Server, withTls(TRUST_SERVER_CA.withMinVersion("TLSv1.3")));

        assertThat(allowed.statusCode()).as(allowed.errorMessage()).isEqualTo(200);
        assertThat(allowed.responseExcerpt()).endsWith("TLSv1.2");
        assertThat(refused.transportError()).as(refused.errorMessage()).isEqualTo(ErrorClass.TLS);
    }

    @Test
    void aMerchantWithoutCertificateNeverRidesAnotherMerchantsConnection() {
        AttemptResult a = send(mtlsServer, withTls(clientCertificate()));
        AttemptResult b = send(mtlsServer, withTls(TRUST_SERVER_CA));
        AttemptResult aAgain = send(mtlsServer, withTls(clientCertificate()));

        assertThat(a.statusCode()).as(a.errorMessage()).isEqualTo(200);
        assertThat(b.transportError()).as(b.errorMessage()).isEqualTo(ErrorClass.TLS);
        assertThat(aAgain.statusCode()).as(aAgain.errorMessage()).isEqualTo(200);
        assertThat(client.profileClientCount()).isEqualTo(2);
    }

    @Test
    void theHostNameIsVerifiedAgainstTheCertificate() throws Exception {
        HttpsServer elsewhere = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 0);
        SSLContext context = PKI.serverContext(PKI.clientCaPem);
        elsewhere.setHttpsConfigurator(new HttpsConfigurator(context));
        elsewhere.createContext("/hook", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(200, -1);
            }
        });
        elsewhere.start();
        try {
            URI url = URI.create("https://127.0.0.2:" + elsewhere.getAddress().getPort() + "/hook"); // not in the SAN
            AttemptResult result = client.send(new OutboundRequest(url, Map.of(), new byte[0], Duration.ofSeconds(5))
                    .withProfile(withTls(TRUST_SERVER_CA)));

            assertThat(result.transportError()).as(result.errorMessage()).isEqualTo(ErrorClass.TLS);
        } finally {
            elsewhere.stop(0);
        }
    }
}
