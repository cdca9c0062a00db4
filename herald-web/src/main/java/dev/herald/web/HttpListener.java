package dev.herald.web;

import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An API's HTTP listener (Helidon SE), set up the same way for every Herald API:
 * <ul>
 *   <li>at most {@link ConnectionLimits#maxConnections()} connections; the next clients wait in the accept backlog;</li>
 *   <li>idle, header and stall timeouts and a lingering close after error answers ({@link ConnectionGuard});</li>
 *   <li>request bodies over 4 × {@code maxBodyBytes} refused by the transport, answered as problem+json by
 *       {@link Problems#directHandler}; smaller ones left to {@link BodyReader};</li>
 *   <li>client faults logged as one short rate-limited line each ({@link ClientFaults}), not as stack traces;</li>
 *   <li>supervised: Helidon's accept loop closes the server socket for good on any accept failure (for example
 *       "Too many open files"), so the listener is probed every {@link #PROBE_INTERVAL} and, when it no longer accepts,
 *       started again on the same port ({@link #listening()} is false meanwhile).</li>
 * </ul>
 */
public final class HttpListener implements AutoCloseable {
    /** How often the listener checks that its port still accepts connections. */
    public static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(HttpListener.class);

    private final String name;
    private final String host;
    private final long maxBodyBytes;
    private final ConnectionLimits limits;
    private final Consumer<HttpRouting.Builder> routing;
    private final ConnectionGuard guard;
    private final ScheduledExecutorService clock;
    private final int port;
    private volatile WebServer web;
    private volatile boolean listening;
    private volatile boolean closed;
    private int restarts;
    private long nextRestartNanos;
    private long backoffMillis = 100;

    private HttpListener(String name, String host, long maxBodyBytes, ConnectionLimits limits, Consumer<HttpRouting.Builder> routing,
                         ConnectionGuard guard, WebServer web) {
        this.name = name;
        this.host = host;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
        this.routing = routing;
        this.guard = guard;
        this.clock = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name + "-listener-guard").daemon().factory());
        this.web = web;
        this.port = web.port();
        this.listening = true;
    }

    /**
     * Starts {@code routing} on {@code host:port} (0: an ephemeral port, kept across restarts).
     *
     * @param name         names the listener in logs and thread names, e.g. "herald" or "bank"
     * @param maxBodyBytes the API's body limit ({@link BodyReader}); the transport refuses bodies over four times this
     */
    public static HttpListener start(String name, String host, int port, long maxBodyBytes, ConnectionLimits limits,
                                     Consumer<HttpRouting.Builder> routing) {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(routing, "routing");
        ClientFaults.filterHelidonLogs();
        ConnectionGuard guard = new ConnectionGuard(limits, ClientFaults.shared());
        WebServer web = build(host, port, maxBodyBytes, limits, guard, routing).start();
        HttpListener l = new HttpListener(name, host, maxBodyBytes, limits, routing, guard, web);
        long tick = Math.clamp(Math.min(limits.idleTimeout().toMillis(), limits.headerTimeout().toMillis()) / 4, 10, 1000);
        l.clock.scheduleWithFixedDelay(l::guardTick, tick, tick, TimeUnit.MILLISECONDS);
        l.clock.scheduleWithFixedDelay(l::supervise, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return l;
    }

    /** The port listened on. */
    public int port() {
        return port;
    }

    /** False while the listener is down and being started again (then {@code /health/live} should say not live). */
    public boolean listening() {
        return listening && !closed;
    }

    /** How many times the listener was started again after it stopped accepting. */
    public synchronized int restarts() {
        return restarts;
    }

    /** Connections open now. */
    public int openConnections() {
        return guard.openConnections();
    }

    /** The limits this listener applies. */
    public ConnectionLimits limits() {
        return limits;
    }

    @Override
    public void close() {
        closed = true;
        clock.shutdownNow();
        try {
            clock.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            web.stop();
        }
    }

    private static WebServer build(String host, int port, long maxBodyBytes, ConnectionLimits limits, ConnectionGuard guard,
                                   Consumer<HttpRouting.Builder> routing) {
        DirectHandler problems = Problems.directHandler(maxBodyBytes);
        return WebServer.builder()
                .host(host)
                .port(port)
                .shutdownHook(false)
                .maxPayloadSize(maxBodyBytes * 4)
                .maxTcpConnections(limits.maxConnections())
                // ConnectionGuard keeps the clock; Helidon's own idle check (which cannot close a connection stuck in its
                // headers or body) only backs it up
                .idleConnectionTimeout(limits.idleTimeout().multipliedBy(2))
                .idleConnectionPeriod(limits.idleTimeout().compareTo(Duration.ofSeconds(60)) < 0 ? limits.idleTimeout() : Duration.ofSeconds(60))
                .protocolsDiscoverServices(false)
                .addConnectionSelector(guard.selector())
                .directHandlers(d -> {
                    for (DirectHandler.EventType t : DirectHandler.EventType.values()) {
                        d.addHandler(t, problems);
                    }
                })
                .routing(routing)
                .build();
    }

    private void guardTick() {
        try {
            guard.tick();
        } catch (RuntimeException e) {
            log.warn("{} listener: connection check failed", name, e);
        }
    }

    /** Probes the port; when it refuses connections, starts a new server on it (with a growing pause between failed tries). */
    private void supervise() {
        if (closed) {
            return;
        }
        try {
            if (listening) {
                if (accepts()) {
                    return;
                }
                listening = false;
                log.error("{} listener on port {} stopped accepting connections (Helidon closes its server socket after an accept "
                        + "failure such as 'Too many open files'); starting it again", name, port);
            }
            if (System.nanoTime() - nextRestartNanos < 0) {
                return;
            }
            restart();
        } catch (RuntimeException e) {
            log.warn("{} listener: supervision failed: {}", name, e.toString());
        }
    }

    private synchronized void restart() {
        if (closed) {
            return;
        }
        try {
            web.stop();
        } catch (RuntimeException e) {
            log.debug("stopping the dead server failed", e);
        }
        WebServer next = null;
        try {
            next = build(host, port, maxBodyBytes, limits, guard, routing).start();
        } catch (RuntimeException e) {
            log.warn("{} listener: cannot listen on port {} yet: {}", name, port, e.toString());
        }
        if (next != null && next.isRunning() && next.port() == port) {
            web = next;
            listening = true;
            restarts++;
            backoffMillis = 100;
            log.warn("{} listener on port {} accepts connections again (restart {})", name, port, restarts);
        } else {
            if (next != null) {
                next.stop();
            }
            nextRestartNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
            backoffMillis = Math.min(backoffMillis * 2, 5000);
        }
    }

    /**
     * True unless a connection to the port is refused. Failing to make the probe (no file descriptor left, a full
     * backlog that times out) says nothing about the listener, so it counts as accepting.
     */
    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(probeAddress(), port), 1000);
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException inconclusive) {
            return true;
        }
    }

    private InetAddress probeAddress() throws UnknownHostException {
        InetAddress a = InetAddress.getByName(host);
        if (a.isAnyLocalAddress()) {
            return a instanceof java.net.Inet6Address ? InetAddress.getByName("::1") : InetAddress.getLoopbackAddress();
        }
        return a;
    }
}
