package dev.herald.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.herald.bus.RabbitBus;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The RabbitMQ server on this machine that the bus scenarios publish to. Each phase gets a virtual host of its own,
 * {@code herald_bench_<run>_<phase>}, made before the phase and deleted after it (unless kept) with {@code rabbitmqctl}:
 * Herald's queue name ({@code herald.ingest}) is fixed and bound with wide patterns, so in a shared virtual host another
 * Herald (a test, a colleague's run) would take the phase's messages, and one phase's queue would catch the next phase's.
 */
final class RabbitBroker {
    private static final long RABBITMQCTL_TIMEOUT_SECONDS = 60;

    private final URI uri;
    private final String user;
    private final boolean keep;

    private RabbitBroker(URI uri, String user, boolean keep) {
        this.uri = uri;
        this.user = user;
        this.keep = keep;
    }

    /**
     * The broker of {@code amqpUrl} ({@code amqp://user:password@127.0.0.1:5672/}; its virtual host is not used, each
     * phase makes its own); {@code keep} leaves the phases' virtual hosts (and their queues) in place.
     */
    static RabbitBroker of(String amqpUrl, boolean keep) {
        URI u;
        try {
            u = new URI(amqpUrl);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--amqp-url must look like amqp://user:password@127.0.0.1:5672/, got " + RabbitBus.redact(amqpUrl));
        }
        if (!"amqp".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("--amqp-url must look like amqp://user:password@127.0.0.1:5672/, got " + RabbitBus.redact(amqpUrl));
        }
        if (!(u.getHost().equals("127.0.0.1") || u.getHost().equals("localhost") || u.getHost().equals("[::1]"))) {
            throw new IllegalArgumentException("--amqp-url must name a broker on this machine (127.0.0.1): its virtual hosts are made with rabbitmqctl");
        }
        String info = u.getUserInfo();
        String user = info == null ? "guest" : info.contains(":") ? info.substring(0, info.indexOf(':')) : info;
        return new RabbitBroker(u, user, keep);
    }

    String describe() {
        return "RabbitMQ at " + uri.getHost() + ":" + port();
    }

    private int port() {
        return uri.getPort() < 0 ? 5672 : uri.getPort();
    }

    /** Null when the broker answers an AMQP connection on its default virtual host, else why not. */
    String probe() {
        try (Connection c = factory(url("/")).newConnection("herald-bench-probe")) {
            return null;
        } catch (Exception e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** The AMQP URL of {@code vhost} on this broker, with the configured credentials. */
    String url(String vhost) {
        String info = uri.getRawUserInfo();
        return "amqp://" + (info == null ? "" : info + "@") + uri.getHost() + ":" + port() + "/"
                + URLEncoder.encode(vhost, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Makes virtual host {@code name} (any left from an earlier run of that name is deleted first), open to the configured user. */
    Vhost vhost(String name) {
        rabbitmqctl(List.of("delete_vhost", name), true);
        rabbitmqctl(List.of("add_vhost", name), false);
        rabbitmqctl(List.of("set_permissions", "-p", name, user, ".*", ".*", ".*"), false);
        return new Vhost(name, url(name));
    }

    /** A phase's virtual host; closing it deletes it with everything in it, unless the broker keeps them. */
    final class Vhost implements AutoCloseable {
        final String name;
        final String url;

        private Vhost(String name, String url) {
            this.name = name;
            this.url = url;
        }

        /** Messages of {@code queue} that wait for a consumer now (ready; unacknowledged ones are not counted), or -1. */
        long ready(String queue) {
            try (Connection c = factory(url).newConnection("herald-bench-check"); Channel ch = c.createChannel()) {
                return ch.queueDeclarePassive(queue).getMessageCount();
            } catch (Exception e) {
                return -1;
            }
        }

        @Override
        public void close() {
            if (!keep) {
                rabbitmqctl(List.of("delete_vhost", name), true);
            }
        }
    }

    private static ConnectionFactory factory(String url) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(url);
        f.setConnectionTimeout(3000);
        f.setAutomaticRecoveryEnabled(false);
        return f;
    }

    /** Runs {@code rabbitmqctl args}; a failure throws unless {@code mayFail}. */
    private static void rabbitmqctl(List<String> args, boolean mayFail) {
        List<String> cmd = new ArrayList<>(List.of("rabbitmqctl"));
        cmd.addAll(args);
        String out;
        int exit;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(RABBITMQCTL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                exit = -1;
            } else {
                exit = p.exitValue();
            }
        } catch (IOException e) {
            if (mayFail) {
                return;
            }
            throw new IllegalStateException("the bus scenarios make a virtual host per phase with rabbitmqctl, which could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + cmd);
        }
        if (exit != 0 && !mayFail) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + exit + "): " + out);
        }
    }
}
