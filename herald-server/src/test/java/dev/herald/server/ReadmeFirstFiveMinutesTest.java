package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "First five minutes", run as written, top to bottom: each line of its shell block is carried out (the
 * {@code ./herald} commands through {@link Main} on this JVM, every {@code curl} line by bash with the real curl), with
 * only the ports and the data directory moved off the defaults. A step this test does not know fails it, so the README
 * cannot grow a step that nobody ran.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReadmeFirstFiveMinutesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theFirstFiveMinutesWorkAsTheReadmeSaysFromAFreshDataDirectoryToAVerifiedDelivery() throws Exception {
        List<String> steps = steps(Files.readString(readme()));
        assertThat(steps).as("the README's first-five-minutes block").isNotEmpty();
        int port = freePort();
        int receiverPort = freePort();
        Map<String, String> vars = new HashMap<>();
        List<Running> running = new ArrayList<>();
        String lastAnswer = "";
        try {
            for (String step : steps) {
                String line = step.replace("localhost:8080", "localhost:" + port).replace("127.0.0.1:9000", "127.0.0.1:" + receiverPort)
                        .replace("receive --port 9000", "receive --port " + receiverPort);
                if (line.startsWith("./herald serve")) {
                    Running serve = Running.start(Map.of(), "Herald is ready", args(line, "--port", Integer.toString(port), "--host", "127.0.0.1",
                            "--data-dir", dir.resolve("herald-data").toString()));
                    running.add(serve);
                    Matcher key = Pattern.compile("\\b(hk_[0-9A-Za-z]{20,})\\b").matcher(serve.out.toString());
                    assertThat(key.find()).as("the first start prints the admin key: " + serve.out).isTrue();
                    vars.put("KEY", key.group(1));
                } else if (line.startsWith("export KEY=")) {
                    assertThat(vars).as("the key the first start printed").containsKey("KEY");
                } else if (line.startsWith("export HERALD_WEBHOOK_SECRET=")) {
                    String secret = JSON.readTree(lastAnswer).path("secret").asText();
                    assertThat(secret).as("the endpoint's secret, shown on creation: " + lastAnswer).startsWith("whsec_");
                    vars.put("HERALD_WEBHOOK_SECRET", secret);
                } else if (line.startsWith("./herald receive")) {
                    running.add(Running.start(Map.of("HERALD_WEBHOOK_SECRET", vars.get("HERALD_WEBHOOK_SECRET")), "receiving webhooks",
                            args(line)));
                } else if (line.startsWith("curl ")) {
                    if (line.contains("/v1/deliveries")) { // a person reads the log after the receiver printed the delivery
                        running.get(running.size() - 1).await("signature valid");
                    }
                    if (line.contains("dlv_…")) {
                        String id = JSON.readTree(lastAnswer).path("data").path(0).path("id").asText();
                        assertThat(id).as("a delivery id from the log: " + lastAnswer).startsWith("dlv_");
                        line = line.replace("dlv_…", id);
                    }
                    lastAnswer = bash(line, vars);
                    assertThat(lastAnswer).as(line).doesNotContain("\"status\":4").doesNotContain("\"status\":5").startsWith("{");
                } else {
                    fail("a step of the README that this test does not know how to run: " + step);
                }
            }
            JsonNode delivery = JSON.readTree(lastAnswer);
            assertThat(delivery.path("status").asText()).as("the last step shows the delivery, delivered: " + lastAnswer).isEqualTo("delivered");
            Running receiver = running.get(running.size() - 1);
            assertThat(receiver.out.toString()).as("the receiver verified the delivery").contains("event=account.created")
                    .contains("signature valid -> 200").doesNotContain("INVALID");
        } finally {
            for (int i = running.size() - 1; i >= 0; i--) {
                running.get(i).stop();
            }
        }
    }

    /** The command lines of the shell block under "## First five minutes": comments and blank lines out, continuations joined. */
    static List<String> steps(String readme) {
        int section = readme.indexOf("\n## First five minutes");
        assertThat(section).as("a 'First five minutes' section").isPositive();
        int start = readme.indexOf("```bash\n", section) + "```bash\n".length();
        int end = readme.indexOf("\n```", start);
        List<String> steps = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : readme.substring(start, end).split("\n")) {
            String line = raw.strip();
            int comment = line.startsWith("#") ? 0 : line.indexOf("  #");
            if (comment >= 0) {
                line = line.substring(0, comment).strip();
            }
            if (line.isEmpty()) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            steps.add(current.append(line).toString());
            current.setLength(0);
        }
        return steps;
    }

    /** The arguments of a {@code ./herald …} line, plus {@code extra}. */
    private static String[] args(String line, String... extra) {
        List<String> args = new ArrayList<>(List.of(line.substring("./herald ".length()).trim().split("\\s+")));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static String bash(String line, Map<String, String> vars) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", line + " --max-time 20").redirectErrorStream(true);
        pb.environment().putAll(vars);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(line + " -> " + out).isZero();
        return out.strip();
    }

    private static Path readme() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isRegularFile(p.resolve("herald"))) {
                return p.resolve("README.md");
            }
        }
        throw new IllegalStateException("no README.md above " + here);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A command running on a thread of this JVM, until {@link #stop} interrupts it. */
    private static final class Running {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        Thread thread;

        static Running start(Map<String, String> env, String line, String... args) throws InterruptedException {
            Running r = new Running();
            r.thread = Thread.ofPlatform().name("readme-" + args[0]).start(() -> Main.run(args, env, new PrintWriter(r.out), new PrintWriter(r.err)));
            r.await(line);
            return r;
        }

        /** Waits (up to 90 s) until {@code line} shows on its stdout or stderr. */
        void await(String line) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(out.toString() + err).contains(line)) {
                assertThat(thread.isAlive()).as("ended before '" + line + "': " + out + err).isTrue();
                assertThat(System.nanoTime()).as("no '" + line + "' yet: " + out + err).isLessThan(deadline);
                Thread.sleep(10);
            }
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(30_000);
        }
    }
}
