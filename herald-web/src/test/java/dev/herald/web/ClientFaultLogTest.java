package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Issue item 15: half-open and garbage connections once wrote a WARN with a 16-line stack trace each (2,000 of them:
 * 2.3 MB). Now each bad connection is at most one short line, rate-limited, with a count of the lines suppressed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientFaultLogTest {

    @Test
    void manyBrokenConnectionsLogShortLinesAtALimitedRateAndNoStackTraces() throws Exception {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install(); // Helidon logs through JUL, as in the real process (Main installs the bridge)
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        AtomicReference<HttpListener> ref = new AtomicReference<>();
        ConnectionLimits limits = new ConnectionLimits(1000, Duration.ofMillis(300), Duration.ofMillis(300));
        try (HttpListener listener = HttpListener.start("logs", "127.0.0.1", 0, 64 * 1024, limits, r -> ListenerMain.routing(r, 64 * 1024, ref))) {
            ref.set(listener);
            String[] bad = {
                    "GET /health/live HTTP/1.1\r\nHost: x\r\n",                                          // head cut off
                    "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",            // body cut off
                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",         // broken chunk
                    "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003garbage\r\n\r\n",  // TLS to a plain port
                    "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",                                               // malformed path
                    "GET / HTTP/1.1\r\nHost: x\r\nX-Half: open"};                                         // left hanging: timeout
            int connections = 600;
            for (int batch = 0; batch < connections / 100; batch++) {
                List<Socket> open = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    int n = batch * 100 + i;
                    Socket s = new Socket("127.0.0.1", listener.port());
                    OutputStream out = s.getOutputStream();
                    out.write(bad[n % bad.length].getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    switch (n % 3) {
                        case 0 -> s.shutdownOutput();        // half-closed
                        case 1 -> s.setSoLinger(true, 0);    // reset on close
                        default -> { }                       // plain close
                    }
                    open.add(s);
                }
                Thread.sleep(batch % 2 == 0 ? 50 : 400); // some are closed by the client, some by the server's timeouts
                for (Socket s : open) {
                    s.close();
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> listener.openConnections() == 0);
        } finally {
            root.detachAppender(captured);
        }

        List<ILoggingEvent> events = new ArrayList<>(captured.list);
        long size = events.stream().mapToLong(ClientFaultLogTest::printedSize).sum();
        List<ILoggingEvent> clientLines = events.stream().filter(e -> e.getLoggerName().equals("dev.herald.web.ClientConnections")).toList();
        assertThat(events).as("no stack traces").allSatisfy(e -> assertThat(e.getThrowableProxy()).as(e.getFormattedMessage()).isNull());
        assertThat(events).as("nothing from Helidon above INFO")
                .noneMatch(e -> e.getLoggerName().startsWith("io.helidon") && e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN));
        assertThat(clientLines).as("some bad connections are reported").isNotEmpty();
        assertThat(clientLines.size()).as("at most the rate, plus one line per window boundary").isLessThanOrEqualTo(2 * ClientFaults.LINES_PER_WINDOW + 2);
        assertThat(clientLines).allSatisfy(e -> assertThat(e.getFormattedMessage().length()).isLessThan(300));
        assertThat(size).as("bytes logged for 600 bad connections").isLessThan(16 * 1024);
    }

    @Test
    void linesOverTheRateAreCountedAndTheCountIsReported() {
        AtomicLong now = new AtomicLong();
        Logger logger = (Logger) LoggerFactory.getLogger("dev.herald.web.ClientConnections");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        logger.addAppender(captured);
        try {
            ClientFaults faults = new ClientFaults(now::get);
            for (int i = 0; i < 100; i++) {
                faults.report("192.0.2.1", "sent no request within 30s");
            }
            assertThat(captured.list).hasSize(ClientFaults.LINES_PER_WINDOW);
            assertThat(captured.list.getFirst().getFormattedMessage()).isEqualTo("client connection from 192.0.2.1: sent no request within 30s");

            faults.flush();
            assertThat(captured.list).as("the window is not over").hasSize(ClientFaults.LINES_PER_WINDOW);
            now.addAndGet(ClientFaults.WINDOW_NANOS);
            faults.flush();
            assertThat(captured.list.getLast().getFormattedMessage()).isEqualTo("80 more bad client connections were not logged in the last 10 s");

            for (int i = 0; i < 25; i++) {
                faults.report("192.0.2.1", "request headers not complete within 10s");
            }
            now.addAndGet(ClientFaults.WINDOW_NANOS);
            faults.report("192.0.2.2", "request body stalled for 30s");
            assertThat(captured.list.getLast().getFormattedMessage())
                    .isEqualTo("client connection from 192.0.2.2: request body stalled for 30s (5 more like it suppressed before this)");
        } finally {
            logger.detachAppender(captured);
        }
    }

    private static long printedSize(ILoggingEvent e) {
        long n = e.getFormattedMessage().length() + 60;
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            n += t.getMessage() == null ? 0 : t.getMessage().length();
            for (StackTraceElementProxy s : t.getStackTraceElementProxyArray()) {
                n += s.getSTEAsString().length();
            }
        }
        return n;
    }
}
