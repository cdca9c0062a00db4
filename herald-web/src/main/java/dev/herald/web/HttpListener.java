package dev.herald.web;

import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
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
 *       started again on the same port ({@link #listening()} is false meanwhile); one request at start loads what a
 *       connection needs, so a flood cannot leave it unable to load it later ({@code warmUp}).</li>
 * </ul>
 */
public final class HttpListener implements AutoCloseable {
    /** How often the listener checks that its port still accepts connections. */
    public static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(HttpListener.class);
    /** Held strongly: JUL keeps loggers weakly, and a collected one would lose its filter. */
    private static final java.util.logging.Logger LOOM_SERVER = java.util.logging.Logger.getLogger("io.helidon.webserver.LoomServer");

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
        filterBindFailures();
        ConnectionGuard guard = new ConnectionGuard(limits, ClientFaults.shared());
        WebServer web = build(host, port, maxBodyBytes, limits, guard, routing).start();
        if (!web.isRunning() || web.port() <= 0) { // Helidon logs a failed bind and returns a server that is not running
            web.stop();
            requireAvailable(host, port);
            throw PortUnavailableException.unexplained(host, port);
        }
        HttpListener l;
        try {
            warmUp(host, web.port());
            l = new HttpListener(name, host, maxBodyBytes, limits, routing, guard, web);
        } catch (RuntimeException | Error e) {
            web.stop();
            throw e;
        }
        long tick = Math.clamp(Math.min(limits.idleTimeout().toMillis(), limits.headerTimeout().toMillis()) / 4, 10, 1000);
        l.clock.scheduleWithFixedDelay(l::guardTick, tick, tick, TimeUnit.MILLISECONDS);
        l.clock.scheduleWithFixedDelay(l::supervise, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return l;
    }

    /**
     * Fails at once, before anything is started, when {@code host:port} cannot be listened on now: the port is in use,
     * privileged, or the host is no address of this machine. Port 0 (an ephemeral port) always can.
     *
     * @throws PortUnavailableException naming host, port and the reason
     */
    public static void requireAvailable(String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as the server's own socket: a port left in TIME_WAIT is free
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw PortUnavailableException.of(host, port, e);
        }
    }

    /**
     * Drops Helidon's log record (an ERROR with a stack trace) of a listener that could not bind: {@link #start}
     * reports it as a {@link PortUnavailableException} instead.
     */
    private static synchronized void filterBindFailures() {
        if (LOOM_SERVER.getFilter() == null) {
            LOOM_SERVER.setFilter(r -> !causedByBind(r.getThrown()) && !"Helidon WebServer failed to start, shutting down".equals(r.getMessage()));
        }
    }

    private static boolean causedByBind(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.net.BindException) {
                return true;
            }
        }
        return false;
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
     * Sends one request through the new server and reads its answer, from a virtual thread that first waits for bytes the
     * server has no reason to send, so what a connection needs is loaded and initialised now rather than by the first
     * connection of a flood: the JDK's poller for virtual threads waiting on sockets (whose initialisation opens file
     * descriptors) and the classes on a connection's path (read from a class directory, as in the tests, each needs one;
     * a jar is already open). Done while the process has no descriptor left, either fails, and the JVM then refuses that
     * class for good: every later connection would fail with NoClassDefFoundError, and a listener started again after
     * the flood would accept connections and drop each one unanswered. The answer (a 404 for a path no API has) does not
     * matter; a warm-up that fails is only logged.
     */
    private static void warmUp(String host, int port) {
        Thread t = Thread.ofVirtual().name("listener-warm-up").start(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(probeAddress(host), port), 2000);
                s.setSoTimeout(50);
                try {
                    s.getInputStream().read();
                } catch (SocketTimeoutException expected) {
                    // nothing was sent yet, so this read waited on the poller, as a connection's first read does
                }
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /.well-known/herald-listener-warm-up HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput(); // the server's lingering close after an error answer ends at this end of input
                s.getInputStream().readAllBytes();
            } catch (IOException | RuntimeException e) {
                log.debug("warming the listener on port {} up failed", port, e);
            }
        });
        try {
            if (!t.join(Duration.ofSeconds(10))) {
                log.debug("warming the listener on port {} up took over 10 s; going on", port);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * True unless a connection to the port is refused. Failing to make the probe (no file descriptor left, a full
     * backlog that times out) says nothing about the listener, so it counts as accepting.
     */
    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(probeAddress(host), port), 1000);
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException inconclusive) {
            return true;
        }
    }

    private static InetAddress probeAddress(String host) throws UnknownHostException {
        InetAddress a = InetAddress.getByName(host);
        if (a.isAnyLocalAddress()) {
            return a instanceof java.net.Inet6Address ? InetAddress.getByName("::1") : InetAddress.getLoopbackAddress();
        }
        return a;
    }
}
