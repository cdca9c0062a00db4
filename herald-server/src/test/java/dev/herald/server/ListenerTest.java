package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.web.ConnectionLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Herald's API listener under the attacks (items 12 and 14), with its limits made small through configuration:
 * idle and half-sent connections no longer hold the server, and a client that writes a whole oversize body before
 * reading (Python's urllib) reads a 413 problem instead of a broken pipe.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListenerTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(new ConnectionLimits(8, Duration.ofMillis(500), Duration.ofMillis(500)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void idleAndHalfSentConnectionsAreClosedSoTheServerStaysReachable() throws Exception {
        List<Socket> attack = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) { // twice the cap: half of them wait in the backlog
                Socket s = new Socket("127.0.0.1", server.port());
                if (i % 2 == 1) {
                    s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                }
                attack.add(s);
            }
            long start = System.nanoTime();
            TestServer.Response live = server.get("/health/live"); // waits its turn, then is answered
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.json().get("status").asText()).isEqualTo("live");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            for (Socket s : attack) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                while (in.read() >= 0) {
                    // the server closes every one of them
                }
            }
        } finally {
            for (Socket s : attack) {
                s.close();
            }
        }
    }

    @Test
    void aTenMebibyteEventPostedWithoutExpectContinueReadsThe413Problem() throws IOException {
        byte[] body = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) ' ');
        String head = "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestServer.ADMIN_KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        String answer = writeWholeThenRead(head, body);
        assertThat(answer).startsWith("HTTP/1.1 413").contains("application/problem+json", "request body exceeds the limit of 262144 bytes");
    }

    @Test
    void aTenMebibyteChunkedEventReadsThe413ProblemToo() throws IOException {
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) ' ');
        for (int i = 0; i < 160; i++) {
            chunked.writeBytes("10000\r\n".getBytes(StandardCharsets.US_ASCII));
            chunked.writeBytes(chunk);
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String head = "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestServer.ADMIN_KEY
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertThat(writeWholeThenRead(head, chunked.toByteArray())).startsWith("HTTP/1.1 413").contains("request body exceeds the limit of 262144 bytes");
    }

    @Test
    void halfOpenAndGarbageConnectionsLeaveShortLinesAndNoStackTraces() throws Exception {
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install(); // as Main does: Helidon's JUL records reach Logback
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
        log.start();
        root.addAppender(log);
        String auth = "Authorization: Bearer " + TestServer.ADMIN_KEY + "\r\n";
        String[] bad = {
                "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + auth,                                                        // head cut off
                "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 500\r\n\r\n{\"type\":",            // body cut off
                "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n",        // broken chunk
                "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003garbage\r\n\r\n"};                // TLS on plain HTTP
        try {
            for (int i = 0; i < 400; i++) {
                try (Socket s = new Socket("127.0.0.1", server.port())) {
                    s.getOutputStream().write(bad[i % bad.length].getBytes(StandardCharsets.ISO_8859_1));
                    if (i % 2 == 0) {
                        s.shutdownOutput(); // half-closed
                    } else {
                        s.setSoLinger(true, 0); // reset
                    }
                }
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.get("/health/live").status() == 200);
            Thread.sleep(1000); // the last connections' lines
        } finally {
            root.detachAppender(log);
        }
        List<ch.qos.logback.classic.spi.ILoggingEvent> events = new ArrayList<>(log.list);
        assertThat(events).allSatisfy(e -> assertThat(e.getThrowableProxy()).as(e.getLoggerName() + ": " + e.getFormattedMessage()).isNull());
        long bytes = events.stream().mapToLong(e -> e.getFormattedMessage().length() + 80).sum();
        assertThat(bytes).as("logged for 400 bad connections (was ~1,150 bytes each)").isLessThan(12 * 1024);
    }

    /** Writes everything before reading, as Python's urllib does; a reset while writing fails the test. */
    private static String writeWholeThenRead(String head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
