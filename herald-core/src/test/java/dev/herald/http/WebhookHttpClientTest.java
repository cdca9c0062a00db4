package dev.herald.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookHttpClientTest {

    private static final Instant NOW = Instant.parse("2030-01-02T03:04:05Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** What the receiver saw for one request. */
    private record Received(String method, String path, Map<String, List<String>> headers, byte[] body, int clientPort) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch releaseSlowHandlers = new CountDownLatch(1);
    private final ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
    private HttpServer server;
    private WebhookHttpClient client;

    @BeforeEach
    void startReceiverAndClient() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(serverThreads);
        server.start();
        client = WebhookHttpClient.create(config(true, false), CLOCK);
    }

    @AfterEach
    void stopEverything() {
        releaseSlowHandlers.countDown();
        client.close();
        server.stop(0);
        serverThreads.close();
    }

    private static OutboundConfig config(boolean allowPrivate, boolean httpsOnly) {
        return new OutboundConfig(allowPrivate, httpsOnly, 8, Duration.ofSeconds(2), "Herald-Test/1");
    }

    private interface Responder {
        void respond(HttpExchange exchange) throws Exception;
    }

    private void receiver(String path, Responder responder) {
        server.createContext(path, exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        Map.copyOf(exchange.getRequestHeaders()), body, exchange.getRemoteAddress().getPort()));
                responder.respond(exchange);
            } catch (Exception e) {
                throw new IOException(e);
            }
        });
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static OutboundRequest post(URI url, Map<String, String> headers, byte[] body, Duration timeout) {
        return new OutboundRequest(url, headers, body, timeout);
    }

    private static OutboundRequest post(URI url) {
        return post(url, Map.of("Content-Type", "application/json"), "{\"id\":1}".getBytes(StandardCharsets.UTF_8), TIMEOUT);
    }

    @Test
    void capturesStatusBodyAndHeadersOfSuccessfulResponse() {
        receiver("/hook", ex -> {
            ex.getResponseHeaders().add("X-Receipt", "r-42");
            ex.getResponseHeaders().add("X-Multi", "a");
            ex.getResponseHeaders().add("X-Multi", "b");
            reply(ex, 202, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
        });

        AttemptResult result = client.send(post(url("/hook")));

        assertThat(result.gotResponse()).isTrue();
        assertThat(result.statusCode()).isEqualTo(202);
        assertThat(result.transportError()).isNull();
        assertThat(result.responseExcerpt()).isEqualTo("{\"ok\":true}");
        assertThat(result.responseHeaders()).containsEntry("x-receipt", "r-42").containsEntry("x-multi", "a, b");
        assertThat(result.startedAt()).isEqualTo(NOW);
        assertThat(result.duration()).isPositive();
    }

    @Test
    void truncatesLargeResponseBodyToExactly4096BytesWithoutFailing() {
        byte[] big = "0123456789abcdef".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        receiver("/hook", ex -> reply(ex, 200, big));

        AttemptResult result = client.send(post(url("/hook")));

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.transportError()).isNull();
        assertThat(result.responseExcerpt().getBytes(StandardCharsets.UTF_8)).hasSize(4096)
                .isEqualTo(java.util.Arrays.copyOf(big, 4096));
    }

    @Test
    void reusesTheConnectionForConsecutiveSmallResponses() {
        receiver("/hook", ex -> reply(ex, 200, "ok".getBytes(StandardCharsets.UTF_8)));

        AttemptResult first = client.send(post(url("/hook")));
        AttemptResult second = client.send(post(url("/hook")));

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(received).hasSize(2);
        assertThat(received.get(1).clientPort()).as("same client connection").isEqualTo(received.get(0).clientPort());
    }

    @Test
    void readsABodyOfExactlyTheExcerptSizeWholeAndKeepsTheConnection() {
        byte[] body = java.util.Arrays.copyOf(patternBlock(), 4096);
        receiver("/hook", ex -> reply(ex, 200, body));

        AttemptResult first = client.send(post(url("/hook")));
        AttemptResult second = client.send(post(url("/hook")));

        assertThat(first.responseExcerpt().getBytes(StandardCharsets.US_ASCII)).isEqualTo(body);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(received.get(1).clientPort()).as("same client connection").isEqualTo(received.get(0).clientPort());
    }

    /** A body longer than any receiver should send: 2 GiB. */
    private static final long HUGE_BODY = 2L << 30;
    /** What loopback socket buffers on both sides may absorb before the server's writes block or fail. */
    private static final long SOCKET_BUFFER_ALLOWANCE = 16L << 20;

    /** Pattern whose first 4096 bytes are the expected excerpt. */
    private static byte[] patternBlock() {
        byte[] block = new byte[64 * 1024];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) ('a' + i % 26);
        }
        return block;
    }

    /** Streams up to 2 GiB (declared by Content-Length, or chunked when {@code declaredLength} is 0), counting what it wrote. */
    private void hugeReceiver(long declaredLength, AtomicLong written, CountDownLatch stopped) {
        byte[] block = patternBlock();
        receiver("/huge", ex -> {
            ex.getResponseHeaders().add("X-Receipt", "r-huge");
            try {
                ex.sendResponseHeaders(201, declaredLength);
                OutputStream out = ex.getResponseBody();
                while (written.get() < HUGE_BODY) {
                    out.write(block);
                    written.addAndGet(block.length);
                }
            } catch (IOException clientWentAway) {
                // expected: Herald stops reading and closes the connection
            } finally {
                stopped.countDown();
            }
        });
    }

    @ParameterizedTest(name = "Content-Length {0} (0 = chunked)")
    @ValueSource(longs = {0, HUGE_BODY})
    void stopsReadingAHugeBodyOnceTheExcerptIsFullAndClosesThatConnection(long declaredLength) throws Exception {
        AtomicLong written = new AtomicLong();
        CountDownLatch stopped = new CountDownLatch(1);
        hugeReceiver(declaredLength, written, stopped);
        receiver("/small", ex -> reply(ex, 200, "ok".getBytes(StandardCharsets.UTF_8)));

        AttemptResult result = client.send(post(url("/huge")));

        assertThat(result.statusCode()).isEqualTo(201);
        assertThat(result.transportError()).isNull();
        assertThat(result.errorMessage()).isNull();
        assertThat(result.responseExcerpt().getBytes(StandardCharsets.US_ASCII)).isEqualTo(java.util.Arrays.copyOf(patternBlock(), 4096));
        assertThat(result.responseHeaders()).containsEntry("x-receipt", "r-huge");
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        assertThat(stopped.await(5, TimeUnit.SECONDS)).as("server saw the connection closed").isTrue();
        assertThat(written.get()).isLessThan(SOCKET_BUFFER_ALLOWANCE);

        AttemptResult next = client.send(post(url("/small"))); // the closed connection was not pooled
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.responseExcerpt()).isEqualTo("ok");
        assertThat(received.get(1).clientPort()).isNotEqualTo(received.get(0).clientPort());
    }

    @Test
    void stopsOnceTheExcerptIsFullEvenWhenTheRestOfTheBodyOnlyTrickles() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        receiver("/drip", ex -> {
            try {
                ex.sendResponseHeaders(200, HUGE_BODY);
                OutputStream out = ex.getResponseBody();
                byte[] piece = java.util.Arrays.copyOf(patternBlock(), 1024);
                for (int i = 0; i < 1000; i++) {
                    out.write(piece);
                    out.flush();
                    Thread.sleep(50);
                }
            } catch (IOException clientWentAway) {
                // expected
            } finally {
                stopped.countDown();
            }
        });

        AttemptResult result = client.send(post(url("/drip")));

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.responseExcerpt()).hasSize(4096);
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        assertThat(stopped.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void slowDripShorterThanTheExcerptIsBoundedByTheTotalTimeout() {
        receiver("/drip", ex -> {
            try {
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                while (releaseSlowHandlers.getCount() > 0) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(50);
                }
            } catch (IOException clientWentAway) {
                // expected
            }
        });

        AttemptResult result = client.send(post(url("/drip"), Map.of(), new byte[0], Duration.ofMillis(500)));

        assertThat(result.transportError()).isEqualTo(ErrorClass.TIMEOUT);
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void endlessInterimContinueResponsesAreBoundedByTheTotalTimeout() throws Exception {
        try (ServerSocket raw = rawReceiver(socket -> {
            readRequestHead(socket);
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < 300; i++) { // 30 s of "wait, more is coming" and never a final answer
                out.write(ascii("HTTP/1.1 100 Continue\r\n\r\n"));
                out.flush();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        })) {
            long start = System.nanoTime();
            AttemptResult result = client.send(post(URI.create("http://127.0.0.1:" + raw.getLocalPort() + "/hook"), Map.of(), "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(1)));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(result.gotResponse()).isFalse();
            assertThat(result.transportError()).isEqualTo(ErrorClass.TIMEOUT);
            assertThat(result.duration()).isLessThan(Duration.ofMillis(2500));
            assertThat(took).as("the 1 s timeout bounds the try (it took 6.4 s: the timeout plus a 5 s grace)").isLessThan(Duration.ofMillis(2500));
        }
    }

    @Test
    void replacesMalformedUtf8InExcerpt() {
        receiver("/hook", ex -> reply(ex, 200, new byte[] {'o', 'k', (byte) 0xff}));

        assertThat(client.send(post(url("/hook"))).responseExcerpt()).isEqualTo("ok\uFFFD");
    }

    @Test
    void returnsRedirectStatusWithoutFollowingLocation() {
        receiver("/hook", ex -> {
            ex.getResponseHeaders().add("Location", url("/target").toString());
            reply(ex, 302, new byte[0]);
        });
        receiver("/target", ex -> reply(ex, 200, new byte[0]));

        AttemptResult result = client.send(post(url("/hook")));

        assertThat(result.statusCode()).isEqualTo(302);
        assertThat(result.responseHeaders()).containsEntry("location", url("/target").toString());
        assertThat(received).extracting(Received::path).containsExactly("/hook");
    }

    @Test
    void reportsTimeoutWhenReceiverRespondsTooSlowly() {
        receiver("/slow", ex -> {
            releaseSlowHandlers.await();
            reply(ex, 200, new byte[0]);
        });

        AttemptResult result = client.send(post(url("/slow"), Map.of(), new byte[0], Duration.ofMillis(300)));

        assertThat(result.gotResponse()).isFalse();
        assertThat(result.statusCode()).isZero();
        assertThat(result.transportError()).isEqualTo(ErrorClass.TIMEOUT);
        assertThat(result.errorMessage()).isNotBlank();
    }

    @Test
    void reportsConnectErrorForClosedPort() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        AttemptResult result = client.send(post(URI.create("http://127.0.0.1:" + closedPort + "/hook")));

        assertThat(result.statusCode()).isZero();
        assertThat(result.transportError()).isEqualTo(ErrorClass.CONNECT);
    }

    @Test
    void reportsConnectErrorForUnresolvableHost() {
        AttemptResult result = client.send(post(URI.create("http://no-such-host.invalid/hook")));

        assertThat(result.transportError()).isEqualTo(ErrorClass.CONNECT);
    }

    @Test
    void reportsTransportErrorWhenReceiverResetsConnectionAfterReadingRequest() throws Exception {
        try (ServerSocket raw = rawReceiver(socket -> {
            readRequestHead(socket);
            socket.setSoLinger(true, 0); // close with RST
        })) {
            AttemptResult result = client.send(post(URI.create("http://127.0.0.1:" + raw.getLocalPort() + "/hook")));

            assertThat(result.gotResponse()).isFalse();
            assertThat(result.transportError()).isIn(ErrorClass.NETWORK, ErrorClass.CONNECT);
        }
    }

    @Test
    void reportsNetworkErrorWhenResponseIsCutOffMidBody() throws Exception {
        try (ServerSocket raw = rawReceiver(socket -> {
            readRequestHead(socket);
            socket.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial"));
            socket.getOutputStream().flush();
            socket.setSoLinger(true, 0);
        })) {
            AttemptResult result = client.send(post(URI.create("http://127.0.0.1:" + raw.getLocalPort() + "/hook")));

            assertThat(result.gotResponse()).isFalse();
            assertThat(result.transportError()).isEqualTo(ErrorClass.NETWORK);
        }
    }

    @Test
    void reportsTlsOrNetworkErrorForHttpsToPlainHttpPort() throws Exception {
        try (ServerSocket raw = rawReceiver(socket -> { // answers the ClientHello like a plain HTTP server would
            socket.getInputStream().read(new byte[512]);
            socket.getOutputStream().write(ascii("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
            socket.getOutputStream().flush();
        })) {
            AttemptResult result = client.send(post(URI.create("https://127.0.0.1:" + raw.getLocalPort() + "/hook")));

            assertThat(result.gotResponse()).isFalse();
            assertThat(result.transportError()).isIn(ErrorClass.TLS, ErrorClass.NETWORK);
        }
    }

    private interface SocketScript {
        void run(Socket socket) throws IOException;
    }

    /** A loopback socket server that runs {@code script} on its first connection, for misbehaving receivers. */
    private static ServerSocket rawReceiver(SocketScript script) throws IOException {
        ServerSocket raw = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            try (Socket socket = raw.accept()) {
                script.run(socket);
            } catch (IOException ignored) {
                // the test observes the effect on the client
            }
        });
        return raw;
    }

    private static void readRequestHead(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] terminator = ascii("\r\n\r\n");
        int matched = 0;
        for (int b; matched < 4 && (b = in.read()) >= 0; ) {
            matched = b == terminator[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void blocksLoopbackLiteralWhenPrivateAddressesAreDisallowed() {
        receiver("/hook", ex -> reply(ex, 200, new byte[0]));
        try (WebhookHttpClient strict = WebhookHttpClient.create(config(false, false), CLOCK)) {
            AttemptResult result = strict.send(post(url("/hook")));

            assertThat(result.transportError()).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
            assertThat(result.statusCode()).isZero();
        }
        assertThat(received).isEmpty();
    }

    @Test
    void blocksObfuscatedLoopbackLiteralWithoutConnecting() {
        receiver("/hook", ex -> reply(ex, 200, new byte[0]));
        int port = server.getAddress().getPort();
        try (WebhookHttpClient strict = WebhookHttpClient.create(config(false, false), CLOCK)) {
            for (String host : List.of("0x7f000001", "2130706433", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]")) {
                AttemptResult result = strict.send(post(URI.create("http://" + host + ":" + port + "/hook")));

                assertThat(result.transportError()).as(host).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
            }
        }
        assertThat(received).isEmpty();
    }

    @Test
    void blocksHostNameResolvingToLoopbackAtConnectTime() {
        receiver("/hook", ex -> reply(ex, 200, new byte[0]));
        try (WebhookHttpClient strict = WebhookHttpClient.create(config(false, false), CLOCK)) {
            AttemptResult result = strict.send(post(URI.create("http://localhost:" + server.getAddress().getPort() + "/hook")));

            assertThat(result.transportError()).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
            assertThat(result.errorMessage()).contains("localhost");
        }
        assertThat(received).isEmpty();
    }

    @Test
    void blockedHostMessageSaysWhatWasRefusedWithoutTheResolvedAddresses() {
        try (WebhookHttpClient strict = WebhookHttpClient.create(config(false, false), CLOCK)) {
            AttemptResult result = strict.send(post(URI.create("http://localhost:" + server.getAddress().getPort() + "/hook")));

            assertThat(result.transportError()).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
            assertThat(result.errorMessage()).isEqualTo("host localhost resolves only to addresses Herald may not connect to"
                    + " (private, loopback, link-local or metadata ranges)");
        }
    }

    /** Loopback in the spellings the JDK and Jetty print. */
    private static void assertRevealsNoLoopbackAddress(String message) {
        assertThat(message).isNotBlank().doesNotContain("127.0.0.1").doesNotContain("0:0:0:0:0:0:0:1").doesNotContain("::1");
    }

    @Test
    void connectFailureMessageForAHostNameDoesNotRevealItsAddresses() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        AttemptResult result = client.send(post(URI.create("http://localhost:" + closedPort + "/hook")));

        assertThat(result.transportError()).isEqualTo(ErrorClass.CONNECT);
        assertRevealsNoLoopbackAddress(result.errorMessage());
    }

    @Test
    void cutOffResponseMessageForAHostNameDoesNotRevealConnectionAddresses() throws Exception {
        try (ServerSocket raw = rawReceiver(socket -> {
            readRequestHead(socket);
            socket.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial"));
            socket.getOutputStream().flush();
        })) {
            AttemptResult result = client.send(post(URI.create("http://localhost:" + raw.getLocalPort() + "/hook")));

            assertThat(result.transportError()).isEqualTo(ErrorClass.NETWORK);
            assertRevealsNoLoopbackAddress(result.errorMessage());
        }
    }

    @Test
    void malformedResponseMessageForAHostNameDoesNotRevealConnectionAddresses() throws Exception {
        try (ServerSocket raw = rawReceiver(socket -> {
            readRequestHead(socket);
            socket.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"));
            socket.getOutputStream().flush();
        })) {
            AttemptResult result = client.send(post(URI.create("http://localhost:" + raw.getLocalPort() + "/hook")));

            assertThat(result.gotResponse()).isFalse();
            assertRevealsNoLoopbackAddress(result.errorMessage());
        }
    }

    @Test
    void describedFailuresHaveAddressesAndConnectionDumpsRemoved() {
        String dump = WebhookHttpClient.describe(new java.io.EOFException(
                "HttpConnectionOverHTTP@5e1f0a2b(l:/10.1.2.3:51234 <-> r:hooks.example.com/203.0.113.9:443,closed=false)"
                        + "=>HttpChannelOverHTTP@7a3b[send=HttpSenderOverHTTP@1c2d]"));
        String v6 = WebhookHttpClient.describe(new RuntimeException(
                new java.net.ConnectException("Connection refused: hooks.example.com/[2001:db8:0:0:0:0:0:5]:443")));
        String mapped = WebhookHttpClient.describe(new java.io.IOException("peer ::ffff:10.0.0.5 and fd00::1 and 10.0.0.5:8443"));

        assertThat(dump).startsWith("EOFException").doesNotContain("10.1.2.3").doesNotContain("203.0.113.9")
                .doesNotContain("51234").doesNotContain("HttpChannelOverHTTP");
        assertThat(v6).isEqualTo("RuntimeException caused by ConnectException: Connection refused: hooks.example.com/[address]");
        assertThat(mapped).isEqualTo("IOException: peer [address] and [address] and [address]");
        assertThat(WebhookHttpClient.describe(new java.util.concurrent.TimeoutException("Total timeout 10000 ms elapsed")))
                .isEqualTo("TimeoutException: Total timeout 10000 ms elapsed");
    }

    @Test
    void deliversExactBodyBytesAndCustomHeaders() {
        receiver("/hook", ex -> reply(ex, 204, new byte[0]));
        byte[] body = new byte[256];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        Map<String, String> headers = Map.of(
                "Content-Type", "application/json; charset=utf-8",
                "X-Herald-Signature", "t=1,v1=abc==",
                "X-Herald-Event-Id", "evt_123");

        AttemptResult result = client.send(post(url("/hook?x=1"), headers, body, TIMEOUT));

        assertThat(result.statusCode()).isEqualTo(204);
        assertThat(received).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.body()).isEqualTo(body);
            assertThat(r.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
            assertThat(r.header("X-Herald-Signature")).isEqualTo("t=1,v1=abc==");
            assertThat(r.header("X-Herald-Event-Id")).isEqualTo("evt_123");
            assertThat(r.header("User-Agent")).isEqualTo("Herald-Test/1");
            assertThat(r.headers().get("Content-type")).hasSize(1);
        });
    }

    @Test
    void defaultsContentTypeToJsonWhenHeadersOmitIt() {
        receiver("/hook", ex -> reply(ex, 200, new byte[0]));

        client.send(post(url("/hook"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8), TIMEOUT));

        assertThat(received).singleElement().extracting(r -> r.header("Content-Type")).isEqualTo("application/json");
    }

    @Test
    void rejectsUnusableUrlsWithoutSending() {
        receiver("/hook", ex -> reply(ex, 200, new byte[0]));

        assertThat(client.send(post(URI.create("ftp://127.0.0.1/hook"))).transportError()).isEqualTo(ErrorClass.INVALID_URL);
        try (WebhookHttpClient httpsOnly = WebhookHttpClient.create(config(true, true), CLOCK)) {
            AttemptResult result = httpsOnly.send(post(url("/hook")));

            assertThat(result.transportError()).isEqualTo(ErrorClass.INVALID_URL);
            assertThat(result.errorMessage()).contains("https");
        }
        assertThat(received).isEmpty();
    }

    @Test
    void capsResponseHeaderCountAndValueLength() {
        HttpFields.Mutable fields = HttpFields.build();
        fields.add("X-Long", "v".repeat(5000));
        for (int i = 0; i < 60; i++) {
            fields.add("X-H" + i, "value" + i);
        }

        Map<String, String> headers = WebhookHttpClient.headerMap(fields);

        assertThat(headers).hasSize(50).containsEntry("x-h0", "value0").doesNotContainKey("x-h59");
        assertThat(headers.get("x-long")).hasSize(1024);
    }

    @Test
    void classifiesFailuresByTheirCauseChain() {
        assertThat(WebhookHttpClient.classify(new IOException(new javax.net.ssl.SSLHandshakeException("bad cert"))))
                .isEqualTo(ErrorClass.TLS);
        assertThat(WebhookHttpClient.classify(new java.util.concurrent.TimeoutException("Total timeout")))
                .isEqualTo(ErrorClass.TIMEOUT);
        assertThat(WebhookHttpClient.classify(new java.net.SocketTimeoutException("Connect Timeout")))
                .isEqualTo(ErrorClass.CONNECT);
        assertThat(WebhookHttpClient.classify(new RuntimeException(new java.net.ConnectException("refused"))))
                .isEqualTo(ErrorClass.CONNECT);
        assertThat(WebhookHttpClient.classify(new java.io.EOFException("reset"))).isEqualTo(ErrorClass.NETWORK);
    }
}
