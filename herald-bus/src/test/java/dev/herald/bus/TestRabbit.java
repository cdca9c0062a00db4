package dev.herald.bus;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;

/**
 * The RabbitMQ at 127.0.0.1:5672 (guest/guest) for tests: skipped when it does not answer, except under {@code CI=true}
 * where an unreachable broker is an {@link AssertionError}.
 */
public final class TestRabbit {
    public static final String URI = "amqp://guest:guest@127.0.0.1:5672/";
    private static volatile Optional<String> available;
    private static volatile String failure;

    private TestRabbit() {}

    /** The broker URI, or empty when it does not answer (an AssertionError instead under CI=true). */
    public static synchronized Optional<String> uri() {
        if (available == null) {
            try (Connection c = factory().newConnection("herald-test-probe")) {
                available = Optional.of(URI);
            } catch (Exception e) {
                failure = e.toString();
                available = Optional.empty();
            }
        }
        if (available.isEmpty() && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true requires RabbitMQ at 127.0.0.1:5672: " + failure);
        }
        return available;
    }

    /**
     * Parameters for a test that runs on every bus: the in-process one (null) and RabbitMQ's URI when a broker answers.
     * Use as {@code @MethodSource("dev.herald.bus.TestRabbit#buses")}.
     */
    public static Stream<Named<String>> buses() {
        return Stream.concat(Stream.of(Named.of("in-process bus", (String) null)), uri().map(u -> Named.of("RabbitMQ", u)).stream());
    }

    /** The broker URI; the calling test is skipped (outside CI) when there is no broker. */
    public static String uriOrSkip() {
        Optional<String> u = uri();
        Assumptions.assumeTrue(u.isPresent(), "RabbitMQ at 127.0.0.1:5672 does not answer");
        return u.get();
    }

    /** Deletes a test queue, if the broker is there. */
    public static void deleteQueue(String name) {
        try (Connection c = factory().newConnection("herald-test-admin"); Channel ch = c.createChannel()) {
            ch.queueDelete(name);
        } catch (Exception ignored) {
            // best effort
        }
    }

    /** Runs {@code rabbitmqctl args...} and fails the test if it does not succeed within a minute. */
    public static void rabbitmqctl(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("rabbitmqctl"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(cmd + " failed: " + out);
            }
        } catch (IOException e) {
            throw new AssertionError(cmd + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(cmd + " interrupted", e);
        }
    }

    private static ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(5672);
        f.setUsername("guest");
        f.setPassword("guest");
        f.setConnectionTimeout(3000);
        f.setAutomaticRecoveryEnabled(false);
        return f;
    }
}
