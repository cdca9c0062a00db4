package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Issue item 12: ~20,000 idle connections made accept() fail with "Too many open files", after which Helidon closed
 * its server socket for good while the process stayed up. Reproduced here with a child JVM limited to 256 open files
 * ({@code ulimit -n 256}) running {@link ListenerMain}, and a few hundred idle connections from this JVM. On a loaded
 * machine the flood's connections may be handled only once no descriptor is left; whatever they were first to load then
 * (a class from target/classes, the JDK's socket poller) failed for good, and the restarted listener dropped every
 * connection unanswered — hence the listener's warm-up at start, and the wait here for an answer, not a connect.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenFilesLimitTest {
    private Process child;
    private final StringBuffer output = new StringBuffer();
    private final List<Socket> flood = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        closeFlood();
        if (child != null) {
            child.getOutputStream().close();
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    @Test
    void whenAcceptRunsOutOfFilesTheListenerIsStartedAgainAndServesOnceTheFloodIsGone() throws Exception {
        int port = startChild("1000", "30s"); // a cap far above what 256 files allow: accept() will fail
        openFlood(port, 400);
        // Helidon logs the failed accept and closes its server socket
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> output.toString().contains("Too many open files"));
        closeFlood();

        awaitLive(port); // answered, not merely accepted: a restarted listener that cannot load a class drops each connection
        assertThat(output.toString()).contains("stopped accepting connections", "accepts connections again (restart 1)");
    }

    @Test
    void theDefaultCapKeepsAcceptWithinTheFileLimitAndTheIdleTimeoutFreesTheSlots() throws Exception {
        int port = startChild("default", "1s");
        assertThat(output.toString()).contains("limits=16 files=256"); // (256 - 256 reserved) / 2, at least 16
        openFlood(port, 400);
        Thread.sleep(3000); // the first connections are accepted, sit idle for 1 s and are closed; the rest wait
        closeFlood();

        awaitLive(port);
        assertThat(output.toString()).doesNotContain("Too many open files").doesNotContain("stopped accepting");
    }

    /** Waits until the child answers /health/live with 200; a timeout fails with what the child printed. */
    private void awaitLive(int port) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> live(port) == 200);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the child did not answer /health/live within 30 s; it printed:\n" + output, e);
        }
    }

    @Test
    void whatAConnectionNeedsIsLoadedBeforeTheListenerIsAnnounced(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("class-init.log");
        startChild("default", "30s", "-Xlog:class+init=info:file=" + log);
        // before any client: the warm-up request has initialised them, so no flood can be first to need them
        assertThat(Files.readString(log)).contains("Initializing 'dev/herald/web/ConnectionGuard$Guarded'")
                .contains("Initializing 'sun/nio/ch/Poller'"); // the JDK's poller for virtual threads waiting on sockets
    }

    private int startChild(String maxConnections, String idleTimeout, String... jvmOptions) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -n 256 && exec '" + java + "' -Xmx256m -XX:+UseSerialGC " + String.join(" ", jvmOptions) + " -cp '" + System.getProperty("java.class.path") + "' "
                + ListenerMain.class.getName() + " " + maxConnections + " " + idleTimeout;
        child = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = lines.readLine()) != null; ) {
                    output.append(line).append('\n');
                }
            } catch (IOException ignored) {
                // the child is gone
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> output.toString().contains("port=") || !child.isAlive());
        String out = output.toString();
        int at = out.indexOf("port=");
        assertThat(at).as(out).isNotNegative();
        return Integer.parseInt(out.substring(at + 5, out.indexOf('\n', at)).trim());
    }

    private void openFlood(int port, int n) {
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                flood.add(s);
            } catch (IOException refusedOrFull) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing to close
                }
            }
        }
    }

    private void closeFlood() throws IOException {
        for (Socket s : flood) {
            s.close();
        }
        flood.clear();
    }

    private static int live(int port) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live")).timeout(Duration.ofSeconds(2)).build();
            return http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
