package dev.herald.server.listen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code herald listen} against a real node: the CLI in this JVM, a local receiver that verifies every signature with
 * the SDK, and a TCP relay between the CLI and the node that can cut or freeze the connections.
 */
class ListenTest {
    private static final Pattern SECRET = Pattern.compile("Signing secret: (whsec_\\S+)");
    private static TestServer server;
    private static Path keyFile;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(false);
        keyFile = Files.createTempFile("herald-listen-key", "");
        Files.writeString(keyFile, TestServer.ADMIN_KEY);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        Files.deleteIfExists(keyFile);
    }

    @Test
    void forwardsEachDeliverySignedAsAReceiverGetsItRecordsTheLocalAnswerAndDeletesItsEndpointWhenStopped() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Cli cli = Cli.start(server.port(), "--forward-to", receiver.url(), "--events", "fwd.*");
            receiver.trust(cli.secret());
            String endpoint = cli.endpointId();
            assertThat(server.get("/v1/endpoints/" + endpoint).json().get("url").asText()).startsWith("listen:cli-");
            cli.await("connected");
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                events.add(publish("fwd.paid", "acct-1", i));
            }
            publish("other.thing", "acct-1", 99); // not subscribed
            await(() -> receiver.received() == 5, "5 deliveries received: " + receiver.counts);
            assertThat(receiver.invalid).as("every signature checks out, classic and Standard Webhooks").isEmpty();
            assertThat(receiver.eventIds).containsExactlyInAnyOrderElementsOf(events);
            await(() -> cli.out().lines().filter(l -> l.contains("fwd.paid") && l.contains("-> 200")).count() == 5, "one line each: " + cli.out());

            for (String deliveryId : receiver.counts.keySet()) {
                JsonNode d = await(() -> delivered(deliveryId), "delivery " + deliveryId + " delivered");
                JsonNode attempt = d.get("attempts").get(0);
                assertThat(attempt.get("status_code").asInt()).isEqualTo(200);
                assertThat(attempt.get("response_excerpt").asText()).as("recorded all the same").isEqualTo("ok " + deliveryId + "\uFFFD");
            }
            cli.stop();
            assertThat(cli.code()).isZero();
            assertThat(cli.out()).contains("Deleted endpoint " + endpoint);
            assertThat(server.get("/v1/endpoints/" + endpoint).status()).isEqualTo(404);
        }
    }

    @Test
    void cuttingTheStreamMidTrafficAndRestartingTheCliLosesNothingAndDoublesNothing() throws Exception {
        try (Receiver receiver = new Receiver(); Relay relay = new Relay(server.port())) {
            Cli cli = Cli.start(relay.port(), "--forward-to", receiver.url(), "--events", "cut.*", "--name", "cutter");
            receiver.trust(cli.secret());
            String endpoint = cli.endpointId();
            cli.await("connected");
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            Thread producer = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 60; i++) {
                    events.add(publish("cut.paid", "acct-" + (i % 3), i));
                    sleep(40);
                }
            });
            await(() -> receiver.received() >= 10, "traffic flowing");
            relay.cut();
            cli.await("stream lost");
            await(() -> receiver.received() >= 25, "traffic flowing again after the cut");
            cli.stop(); // events keep coming while no listener is there
            assertThat(cli.out()).contains("Kept endpoint " + endpoint);
            sleep(500);
            Cli again = Cli.start(relay.port(), "--forward-to", receiver.url(), "--events", "cut.*", "--name", "cutter");
            assertThat(again.out()).contains("Resuming endpoint " + endpoint).doesNotContain("whsec_");
            relay.cut();
            producer.join();
            await(() -> receiver.eventIds.size() >= 60 && Set.copyOf(receiver.eventIds).containsAll(events), "all 60 events received");
            sleep(1500); // a second copy would come now
            assertThat(receiver.counts.values()).as("each delivery once").allMatch(n -> n.get() == 1);
            assertThat(receiver.counts).hasSize(60);
            assertThat(receiver.invalid).isEmpty();
            for (String deliveryId : receiver.counts.keySet()) {
                JsonNode d = await(() -> delivered(deliveryId), "delivered " + deliveryId);
                assertThat(d.get("endpoint_id").asText()).isEqualTo(endpoint);
                assertThat(d.get("attempts")).as("one recorded try each").hasSize(1);
            }
            again.stop();
            assertThat(server.delete("/v1/endpoints/" + endpoint).status()).isEqualTo(204);
        }
    }

    @Test
    void aDeadStreamIsNoticedWithinSecondsSaidAndWhatCameMeanwhileArrivesAfter() throws Exception {
        try (Receiver receiver = new Receiver(); Relay relay = new Relay(server.port())) {
            Cli cli = Cli.start(relay.port(), "--forward-to", receiver.url(), "--events", "dead.*");
            receiver.trust(cli.secret());
            cli.await("connected");
            publish("dead.paid", "acct-1", 0);
            await(() -> receiver.received() == 1, "first delivery");
            relay.freeze(); // the node stops answering, nothing is closed
            long frozen = System.nanoTime();
            String meanwhile = publish("dead.paid", "acct-1", 1);
            cli.await("stream lost: no heartbeat from the node for 3 s");
            assertThat(Duration.ofNanos(System.nanoTime() - frozen)).as("noticed within seconds").isLessThan(Duration.ofSeconds(10));
            assertThat(receiver.eventIds).doesNotContain(meanwhile);
            relay.thaw();
            cli.await("reconnected");
            await(() -> receiver.eventIds.contains(meanwhile), "what came meanwhile arrives after");
            assertThat(receiver.counts.values()).allMatch(n -> n.get() == 1);
            cli.stop();
            assertThat(cli.code()).isZero();
        }
    }

    @Test
    void aFifoEndpointKeepsEachKeysOrderThroughTheStreamAndItsDeliveriesWaitForAListenerWithoutSpendingTries() throws Exception {
        JsonNode made = server.createEndpoint(Map.of("name", "fifo-dev", "url", "listen:fifo-dev", "events", List.of("fifo.*"), "ordering", "fifo",
                "retry_schedule", List.of(1, 1, 1)));
        String endpoint = made.get("id").asText();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(publish("fifo.step", "acct-" + (i % 2), i));
        }
        sleep(1500);
        JsonNode pending = server.get("/v1/deliveries?endpoint_id=" + endpoint + "&limit=100").json().get("data");
        assertThat(pending).hasSize(20).allSatisfy(d -> {
            assertThat(d.get("status").asText()).isEqualTo("pending");
            assertThat(d.get("last_attempt_at").isNull()).as("no try without a listener").isTrue();
        });
        try (Receiver receiver = new Receiver()) {
            receiver.trust(made.get("secret").asText());
            String failOnce = sent.get(4);
            receiver.failOnce(failOnce); // a retried head holds its key back
            Cli cli = Cli.start(server.port(), "--forward-to", receiver.url(), "--name", "fifo-dev");
            await(() -> receiver.eventIds.size() == 21, "20 events, one twice: " + receiver.eventIds.size());
            for (String account : List.of("acct-0", "acct-1")) {
                List<Integer> order = receiver.accepted.stream().filter(a -> a.startsWith(account + ":")).map(a -> Integer.parseInt(a.split(":")[1])).toList();
                assertThat(order).as(account).isSorted().hasSize(10);
            }
            assertThat(cli.out()).contains("-> 503");
            String retried = receiver.deliveryOf.get(failOnce);
            JsonNode d = await(() -> delivered(retried), "the failed head delivered on its retry");
            assertThat(d.get("attempts")).hasSize(2);
            assertThat(d.get("attempts").get(0).get("status_code").asInt()).isEqualTo(503);
            assertThat(d.get("attempts").get(1).get("status_code").asInt()).isEqualTo(200);
            cli.stop();
            assertThat(cli.out()).contains("Kept endpoint " + endpoint);
        }
        assertThat(server.delete("/v1/endpoints/" + endpoint).status()).isEqualTo(204);
    }

    @Test
    void onlyAKeyThatMayChangeTheListenEndpointGetsItsStream() throws Exception {
        for (String m : List.of("m1", "m2")) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}").status()).isIn(200, 201);
        }
        String m1 = server.createEndpoint(Map.of("url", "listen:m1-dev", "events", List.of("*"), "merchant_id", "m1")).get("id").asText();
        String https = server.createEndpoint(Map.of("url", "https://example.com/hook", "events", List.of("*"), "is_active", false)).get("id").asText();
        String m2Writer = key("m2", "merchant:write");
        String m1Reader = key("m1", "merchant:read");
        String m1Writer = key("m1", "merchant:write");
        String q = "/stream?listener=listener-0001";
        assertThat(stream(m2Writer, "/v1/listen/" + m1 + q).status()).as("another merchant's").isEqualTo(404);
        assertThat(stream(m1Reader, "/v1/listen/" + m1 + q).status()).as("read-only key").isEqualTo(403);
        assertThat(stream(TestServer.ADMIN_KEY, "/v1/listen/" + https + q).status()).as("not a listen endpoint").isEqualTo(409);
        Response bad = stream(m1Writer, "/v1/listen/" + m1 + "/stream?listener=x");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("field").asText()).isEqualTo("listener");
        Response results = server.send(server.request("/v1/listen/" + m1 + "/results").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"listener\":\"listener-0001\",\"results\":[{\"try\":\"t\",\"status\":99}]}")).build());
        assertThat(results.status()).isEqualTo(422);
        assertThat(results.json().get("field").asText()).isEqualTo("results[0].status");

        try (Receiver receiver = new Receiver()) {
            Path m1Key = Files.writeString(Files.createTempFile("m1-key", ""), m1Writer);
            Files.setPosixFilePermissions(m1Key, PosixFilePermissions.fromString("rw-------"));
            Cli cli = Cli.start(server.port(), m1Key, "--forward-to", receiver.url(), "--name", "m1-dev");
            cli.await("connected");
            assertThat(stream(TestServer.ADMIN_KEY, "/v1/listen/" + m1 + "/stream?listener=another-listener").status())
                    .as("a second listener while one is connected").isEqualTo(409);
            cli.stop();
            Files.delete(m1Key);
        }
        assertThat(server.get("/v1/endpoints/" + m1).status()).as("kept: made before, named").isEqualTo(200);
    }

    @Test
    void deletingTheEndpointUnderARunningListenerStopsItWithOneLine() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Cli cli = Cli.start(server.port(), "--forward-to", receiver.url(), "--events", "gone.*", "--name", "doomed");
            cli.await("connected");
            assertThat(server.delete("/v1/endpoints/" + cli.endpointId()).status()).isEqualTo(204);
            cli.thread.join(15_000);
            assertThat(cli.thread.isAlive()).as("stopped by itself").isFalse();
            assertThat(cli.code()).isEqualTo(1);
            assertThat(cli.err()).isEqualTo("herald listen: the endpoint was deleted" + System.lineSeparator());
        }
    }

    @Test
    void ctrlCInARealProcessFinishesAndDeletesTheEndpointItMade() throws Exception {
        try (Receiver receiver = new Receiver()) {
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx128m", "-cp", System.getProperty("java.class.path"), "dev.herald.server.Main", "listen",
                    "--url", "http://127.0.0.1:" + server.port(), "--forward-to", receiver.url(), "--events", "sigint.*", "--heartbeat", "1");
            pb.environment().put("HERALD_API_KEY", TestServer.ADMIN_KEY);
            Process p = pb.start();
            StringBuffer out = new StringBuffer();
            StringBuffer err = new StringBuffer();
            Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
            Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
            await(() -> out.toString().contains("connected") || !p.isAlive(), "the CLI connected: " + out + err);
            Matcher m = Pattern.compile("endpoint (ep_\\S+?),").matcher(out);
            assertThat(m.find()).as(out.toString()).isTrue();
            String endpoint = m.group(1);
            receiver.trust(SECRET.matcher(out).results().findFirst().orElseThrow().group(1));
            publish("sigint.paid", "acct-1", 1);
            await(() -> receiver.received() == 1, "forwarded by the child");
            assertThat(new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor()).isZero();
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("stopped on Ctrl-C: " + out + err).isTrue();
            await(() -> out.toString().contains("Deleted endpoint " + endpoint), "cleaned up: " + out + err);
            assertThat(err.toString()).as("no stack trace").doesNotContain("Exception");
            assertThat(server.get("/v1/endpoints/" + endpoint).status()).isEqualTo(404);
        }
    }

    @Test
    void aStreamOutlivesTheListenersIdleTimeoutWhileItsHeartbeatsFlow() throws Exception {
        try (TestServer short_ = TestServer.start(dev.herald.web.ConnectionLimits.defaults().withIdleTimeout(Duration.ofSeconds(2)))) {
            String id = short_.createEndpoint(Map.of("url", "listen:idle", "events", List.of("*"))).get("id").asText();
            HttpResponse<java.util.stream.Stream<String>> r = short_.http().send(HttpRequest.newBuilder(
                    short_.uri("/v1/listen/" + id + "/stream?listener=idle-listener&heartbeat_seconds=1"))
                    .header("Authorization", "Bearer " + TestServer.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/x-ndjson");
            List<String> types = new CopyOnWriteArrayList<>();
            Thread reader = Thread.ofVirtual().start(() -> r.body().forEach(l -> types.add(l.replaceAll(".*\"type\":\"([a-z]+)\".*", "$1"))));
            Thread answers = Thread.ofVirtual().start(() -> { // the listener's heartbeat, as the CLI posts it
                while (!Thread.currentThread().isInterrupted()) {
                    short_.post("/v1/listen/" + id + "/results", "{\"listener\":\"idle-listener\"}");
                    sleep(500);
                }
            });
            sleep(5000);
            answers.interrupt();
            assertThat(types).first().isEqualTo("hello");
            assertThat(types).as("still open after 2.5 idle timeouts").doesNotContain("bye").filteredOn("heartbeat"::equals).hasSizeGreaterThanOrEqualTo(4);
            await(() -> types.contains("bye"), "bye once the listener fell silent for three beats: " + types);
            reader.join(5000);
            assertThat(reader.isAlive()).as("the stream ended").isFalse();
        }
    }

    @Test
    void inAClusterOnlyTheNodeThatSendsTheEndpointsDeliveriesTakesItsStream() throws Exception {
        dev.herald.store.DatabaseConfig db = dev.herald.testing.TestPostgres.embedded();
        try (TestServer a = TestServer.start(false, java.time.Clock.systemUTC(), db, null, List.of("#"));
             TestServer b = TestServer.start(false, java.time.Clock.systemUTC(), db, null, List.of("#"))) {
            String id = a.createEndpoint(Map.of("url", "listen:cluster", "events", List.of("*"))).get("id").asText();
            await(() -> a.server().herald().dispatcher().sends(id) != b.server().herald().dispatcher().sends(id), "one node sends it");
            TestServer owner = a.server().herald().dispatcher().sends(id) ? a : b;
            TestServer other = owner == a ? b : a;
            HttpResponse<String> refused = other.http().send(HttpRequest.newBuilder(other.uri("/v1/listen/" + id + "/stream?listener=cluster-listener"))
                    .header("Authorization", "Bearer " + TestServer.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(421);
            assertThat(refused.body()).contains("another node sends this endpoint's deliveries");
            assertThat(stream(owner, TestServer.ADMIN_KEY, "/v1/listen/" + id + "/stream?listener=cluster-listener").status()).isEqualTo(200);
        }
    }

    private static void copy(InputStream in, StringBuffer to) {
        try (in) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                to.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    private static String publish(String type, String account, int n) {
        Response r = server.postJson("/v1/events", Map.of("event", type, "account_uuid", account, "data", Map.of("n", n)));
        if (r.status() != 202) {
            throw new AssertionError("publish answered " + r);
        }
        return r.json().get("id").asText();
    }

    private static JsonNode delivered(String deliveryId) {
        JsonNode d = server.get("/v1/deliveries/" + deliveryId).json();
        return d.get("status").asText().equals("delivered") ? d : null;
    }

    private static String key(String merchant, String scope) {
        Response r = server.postJson("/v1/api-keys", Map.of("name", "listen-" + scope, "merchant_id", merchant, "scopes", List.of(scope)));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("key").asText();
    }

    /** Opens a stream with {@code key}: the answer of one that is refused (a 200 is closed at once). */
    private static Response stream(String key, String path) throws Exception {
        return stream(server, key, path);
    }

    private static Response stream(TestServer server, String key, String path) throws Exception {
        HttpResponse<InputStream> r = server.http().send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = r.body()) {
            return new Response(r.statusCode(), r.headers(), r.statusCode() == 200 ? new byte[0] : body.readAllBytes());
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            sleep(20);
        }
    }

    private static <T> T await(java.util.function.Supplier<T> value, String what) {
        AtomicReference<T> seen = new AtomicReference<>();
        await(() -> {
            seen.set(value.get());
            return seen.get() != null;
        }, what);
        return seen.get();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code herald listen} running in this JVM until {@link #stop()} interrupts it, as Ctrl-C does. */
    private static final class Cli {
        private final StringWriter out = new StringWriter();
        private final StringWriter err = new StringWriter();
        private final AtomicInteger code = new AtomicInteger(-1);
        private Thread thread;

        static Cli start(int port, String... args) {
            return start(port, keyFile, args);
        }

        static Cli start(int port, Path key, String... args) {
            Cli c = new Cli();
            List<String> all = new ArrayList<>(List.of("--url", "http://127.0.0.1:" + port, "--api-key-file", key.toString(), "--heartbeat", "1"));
            all.addAll(List.of(args));
            c.thread = Thread.ofPlatform().name("herald-listen-cli").start(() -> {
                CommandLine cl = new CommandLine(new ListenCommand());
                cl.setOut(new PrintWriter(c.out, true));
                cl.setErr(new PrintWriter(c.err, true));
                c.code.set(cl.execute(all.toArray(String[]::new)));
            });
            c.await("endpoint ");
            return c;
        }

        String out() {
            return out.toString();
        }

        String err() {
            return err.toString();
        }

        String secret() {
            Matcher m = SECRET.matcher(out());
            assertThat(m.find()).as("the secret is printed: " + out()).isTrue();
            return m.group(1);
        }

        String endpointId() {
            Matcher m = Pattern.compile("endpoint (ep_\\S+?)[,:]").matcher(out());
            assertThat(m.find()).as(out()).isTrue();
            return m.group(1);
        }

        void await(String text) {
            ListenTest.await(() -> out().contains(text) || !thread.isAlive(), "'" + text + "' in " + out() + err);
            assertThat(out()).as("stderr: " + err).contains(text);
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(30_000);
            assertThat(thread.isAlive()).isFalse();
        }

        int code() {
            return code.get();
        }
    }

    /** A local receiver that verifies every request with the SDK (both schemes) and counts each delivery id. */
    private static final class Receiver implements AutoCloseable {
        final HttpServer http;
        final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        final List<String> eventIds = new CopyOnWriteArrayList<>();
        final List<String> accepted = new CopyOnWriteArrayList<>();
        final List<String> invalid = new CopyOnWriteArrayList<>();
        final Set<String> failOnce = ConcurrentHashMap.newKeySet();
        final Map<String, String> deliveryOf = new ConcurrentHashMap<>();
        final AtomicReference<WebhookVerifier> verifier = new AtomicReference<>();

        Receiver() throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            http.createContext("/", ex -> {
                try (ex) {
                    byte[] body = ex.getRequestBody().readAllBytes();
                    var h = ex.getRequestHeaders();
                    String delivery = h.getFirst("X-Webhook-Delivery");
                    try {
                        verifier.get().verify(new LinkedHashMap<>(h), body);
                        verifier.get().verifyClassic(h.getFirst("X-Webhook-Signature"), body);
                    } catch (RuntimeException e) {
                        invalid.add(delivery + ": " + e);
                    }
                    JsonNode event = TestServer.JSON.readTree(body);
                    String eventId = event.get("id").asText();
                    eventIds.add(eventId);
                    deliveryOf.put(eventId, delivery);
                    boolean fail = failOnce.remove(eventId);
                    if (!fail) {
                        counts.computeIfAbsent(delivery, d -> new AtomicInteger()).incrementAndGet();
                        accepted.add(event.get("account_uuid").asText() + ":" + event.get("data").get("n").asInt());
                    }
                    byte[] answer = ("ok " + delivery + "\0").getBytes(StandardCharsets.UTF_8); // a NUL, which PostgreSQL cannot store
                    ex.sendResponseHeaders(fail ? 503 : 200, answer.length);
                    ex.getResponseBody().write(answer);
                }
            });
            http.start();
        }

        void trust(String secret) {
            verifier.set(WebhookVerifier.create(secret));
        }

        void failOnce(String eventId) {
            failOnce.add(eventId);
        }

        int received() {
            return counts.size();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort() + "/webhooks";
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    /** A TCP relay to the node whose connections can be cut (closed) or frozen (kept open, nothing passed on). */
    private static final class Relay implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private volatile boolean frozen;

        Relay(int target) throws IOException {
            this.target = target;
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket client = socket.accept();
                        Socket node = new Socket(InetAddress.getLoopbackAddress(), target);
                        open.add(client);
                        open.add(node);
                        Thread.ofVirtual().start(() -> pump(client, node));
                        Thread.ofVirtual().start(() -> pump(node, client));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    while (frozen) {
                        Thread.sleep(10);
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // cut
            } finally {
                close(from);
                close(to);
            }
        }

        void cut() {
            open.forEach(Relay::close);
            open.clear();
        }

        void freeze() {
            frozen = true;
        }

        void thaw() {
            frozen = false;
        }

        private static void close(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            cut();
        }
    }
}
