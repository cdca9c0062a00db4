package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.sdk.WebhookSigner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herald receive}, the receiver integrators copy (issue 18 item 4): 2xx only to a valid signature, 401 to a
 * forged, missing or stale one; the secret from HERALD_WEBHOOK_SECRET or --secret-file, an argument warned about.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReceiveTest {
    private static final String SECRET = WebhookSigner.generateSecret();
    private static final byte[] BODY = "{\"event\":\"account.created\",\"data\":{\"amount\":12.30}}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void onlyAValidSignatureIsAnsweredWithTheStatusAndEveryOtherWith401() throws Exception {
        try (Running r = Running.start(Map.of("HERALD_WEBHOOK_SECRET", SECRET), "receive", "--port", "0", "--status", "204");
             HttpClient http = HttpClient.newHttpClient()) {
            long now = System.currentTimeMillis() / 1000;
            assertThat(post(http, r.port, standard(SECRET, "msg_1", now, BODY), BODY)).as("valid").isEqualTo(204);

            Map<String, String> classic = Map.of("X-Webhook-Signature", WebhookSigner.classicSignature(SECRET, BODY));
            assertThat(post(http, r.port, classic, BODY)).as("valid classic signature").isEqualTo(204);

            String other = WebhookSigner.generateSecret();
            assertThat(post(http, r.port, standard(other, "msg_2", now, BODY), BODY)).as("forged: another secret").isEqualTo(401);
            Map<String, String> tampered = standard(SECRET, "msg_3", now, BODY);
            assertThat(post(http, r.port, tampered, "{\"event\":\"account.created\",\"data\":{\"amount\":99}}".getBytes(StandardCharsets.UTF_8)))
                    .as("forged: the body changed").isEqualTo(401);
            assertThat(post(http, r.port, Map.of(), BODY)).as("missing").isEqualTo(401);
            assertThat(post(http, r.port, standard(SECRET, "msg_4", now - 600, BODY), BODY)).as("stale: signed 10 minutes ago").isEqualTo(401);
            assertThat(post(http, r.port, Map.of("X-Webhook-Signature", "sha256=" + "0".repeat(64)), BODY)).as("forged classic").isEqualTo(401);

            assertThat(r.out.toString()).contains("signature valid -> 204", "signature INVALID (NO_MATCHING_SIGNATURE",
                    "signature INVALID (MISSING_HEADER", "signature INVALID (TIMESTAMP_TOO_OLD").doesNotContain(SECRET);
        }
    }

    @Test
    void theSecretComesFromAFileAndAnArgumentIsWarnedAbout() throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), SECRET + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (Running r = Running.start(Map.of(), "receive", "--port", "0", "--secret-file", file.toString());
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(post(http, r.port, standard(SECRET, "msg_1", System.currentTimeMillis() / 1000, BODY), BODY)).isEqualTo(200);
            assertThat(r.err.toString()).isEmpty();
        }
        try (Running r = Running.start(Map.of("HERALD_WEBHOOK_SECRET_FILE", file.toString()), "receive", "--port", "0")) {
            assertThat(r.err.toString()).isEmpty();
        }
        try (Running r = Running.start(Map.of(), "receive", "--port", "0", "--secret", SECRET)) {
            assertThat(r.err.toString()).contains("WARNING: --secret on the command line is visible to every user", "HERALD_WEBHOOK_SECRET",
                    "--secret-file").doesNotContain(SECRET);
        }
    }

    @Test
    void withoutASecretItDoesNotStart() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"receive", "--port", "0"}, Map.of(), new PrintWriter(out), new PrintWriter(err));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("herald receive: the endpoint's secret is needed").contains("HERALD_WEBHOOK_SECRET", "--secret-file");
        assertThat(err.toString().lines()).hasSize(1);
        assertThat(out.toString()).isEmpty();
    }

    private static Map<String, String> standard(String secret, String id, long timestamp, byte[] body) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("webhook-id", id);
        h.put("webhook-timestamp", Long.toString(timestamp));
        h.put("webhook-signature", WebhookSigner.standardSignature(secret, id, timestamp, body));
        h.put("X-Webhook-Signature", WebhookSigner.classicSignature(secret, body));
        return h;
    }

    private static int post(HttpClient http, int port, Map<String, String> headers, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hook")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** {@code herald receive} running on a thread of this JVM until closed (interrupted), on the port it printed. */
    private static final class Running implements AutoCloseable {
        private static final Pattern LISTENING = Pattern.compile("receiving webhooks on http://127\\.0\\.0\\.1:(\\d+)/");
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final AtomicInteger code = new AtomicInteger(-1);
        Thread thread;
        int port;

        static Running start(Map<String, String> env, String... args) throws InterruptedException {
            Running r = new Running();
            r.thread = Thread.ofPlatform().name("receive").start(() -> r.code.set(Main.run(args, env, new PrintWriter(r.out), new PrintWriter(r.err))));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Matcher m;
            while (!(m = LISTENING.matcher(r.out.toString())).find()) {
                assertThat(r.thread.isAlive()).as("receive ended: " + r.err).isTrue();
                assertThat(System.nanoTime()).as("receive did not start").isLessThan(deadline);
                Thread.sleep(10);
            }
            r.port = Integer.parseInt(m.group(1));
            return r;
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(10_000);
            assertThat(thread.isAlive()).isFalse();
            try (Socket s = new Socket("127.0.0.1", port)) {
                throw new AssertionError("receive still listens on " + port);
            } catch (IOException expected) {
                assertThat(expected).isInstanceOf(ConnectException.class);
            }
        }
    }
}
