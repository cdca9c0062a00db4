package dev.herald.web;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Puts every HTTP/1.1 connection of a listener on a clock, which Helidon 4.5 does not: its idle timeout only
 * interrupts a connection still reading its request line, and nothing bounds headers or a body that stop arriving.
 * <ul>
 *   <li>No request in progress (a fresh connection, a partial request line, keep-alive between requests): closed
 *       after {@code idleTimeout}.</li>
 *   <li>Request line received, headers not complete: closed after {@code headerTimeout}.</li>
 *   <li>Body being read by {@link BodyReader}, or a response being written: closed when no byte moved for
 *       {@code idleTimeout}.</li>
 *   <li>After an error answer (e.g. 413) the connection is closed lingeringly: what the client still sends is read and
 *       discarded, up to {@link #LINGER_BYTES} and {@link #LINGER_TIME}, so that a client writing its whole body before
 *       reading sees the answer instead of a reset.</li>
 * </ul>
 * A connection that ends badly (timed out mid-request, cut off, refused by the transport) gets one short line through
 * {@link ClientFaults}. The clock is {@link #tick()}, called periodically by the listener.
 */
final class ConnectionGuard {
    /** Most bytes discarded after an error answer before the connection is closed anyway. */
    static final long LINGER_BYTES = 64L * 1024 * 1024;
    /** Longest time spent discarding after an error answer. */
    static final Duration LINGER_TIME = Duration.ofSeconds(30);

    private static final ThreadLocal<Guarded> CURRENT = new ThreadLocal<>();

    private final ConnectionLimits limits;
    private final ClientFaults faults;
    private final Set<Guarded> open = ConcurrentHashMap.newKeySet();

    ConnectionGuard(ConnectionLimits limits, ClientFaults faults) {
        this.limits = limits;
        this.faults = faults;
    }

    /** The HTTP/1.1 selector whose connections this guard watches (the listener's only one). */
    ServerConnectionSelector selector() {
        Http1ConnectionListener events = new Events();
        Http1ConnectionSelector http1 = Http1ConnectionSelector.builder()
                .config(Http1Config.builder().addReceiveListener(events).addSendListener(events).build())
                .build();
        return new ServerConnectionSelector() {
            @Override
            public int bytesToIdentifyConnection() {
                return http1.bytesToIdentifyConnection();
            }

            @Override
            public Support supports(BufferData data) {
                return http1.supports(data);
            }

            @Override
            public Set<String> supportedApplicationProtocols() {
                return http1.supportedApplicationProtocols();
            }

            @Override
            public ServerConnection connection(ConnectionContext ctx) {
                return new Guarded(ctx, http1.connection(ctx));
            }
        };
    }

    /** Connections open now. */
    int openConnections() {
        return open.size();
    }

    /** Closes the connections whose phase has outlasted its limit. */
    void tick() {
        long now = System.nanoTime();
        long idle = limits.idleTimeout().toNanos();
        long header = limits.headerTimeout().toNanos();
        for (Guarded c : open) {
            long quiet = now - c.since;
            switch (c.phase) {
                case WAITING -> {
                    if (quiet > idle) {
                        c.expire(c.requests == 0 ? "sent no request within " + Durations.format(limits.idleTimeout()) : null);
                    }
                }
                case HEAD -> {
                    if (quiet > header) {
                        c.expire("request headers not complete within " + Durations.format(limits.headerTimeout()));
                    }
                }
                case READING_BODY -> {
                    if (quiet > idle) {
                        c.expire("request body stalled for " + Durations.format(limits.idleTimeout()));
                    }
                }
                case RESPONDED -> {
                    if (quiet > idle) {
                        c.expire(null); // keep-alive connection at rest, or a client not reading its answer
                    }
                }
                case LINGERING -> {
                    if (quiet > idle || now - c.lingerStart > LINGER_TIME.toNanos()) {
                        c.expire(null);
                    }
                }
                case HANDLING -> {
                    // the application is working on the request: its own time
                }
            }
        }
        faults.flush();
    }

    // ------------------------------------------------------------------ hooks for code running on a connection's thread

    /** Notes {@code what} as the fault of the connection this thread serves; false when it serves none. */
    static boolean noteFault(String what) {
        Guarded c = CURRENT.get();
        if (c == null) {
            return false;
        }
        if (c.fault == null) {
            c.fault = what;
        }
        return true;
    }

    /** The application starts reading the request body: it is now on the idle clock. */
    static void bodyStarted() {
        Guarded c = CURRENT.get();
        if (c != null) {
            c.enter(Phase.READING_BODY);
        }
    }

    /** Bytes of the body arrived. */
    static void bodyProgress() {
        Guarded c = CURRENT.get();
        if (c != null) {
            c.since = System.nanoTime();
        }
    }

    /** The application is done reading the body. */
    static void bodyFinished() {
        Guarded c = CURRENT.get();
        if (c != null && c.phase == Phase.READING_BODY) {
            c.enter(Phase.HANDLING);
        }
    }

    enum Phase { WAITING, HEAD, HANDLING, READING_BODY, RESPONDED, LINGERING }

    /** Helidon's notifications of request lines, headers and response writes, all on the connection's thread. */
    private static final class Events implements Http1ConnectionListener {
        @Override
        public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
            Guarded c = CURRENT.get();
            if (c != null) {
                c.enter(Phase.HEAD);
            }
        }

        @Override
        public void headers(ConnectionContext ctx, Headers headers) {
            Guarded c = CURRENT.get();
            if (c != null && c.phase == Phase.HEAD) {
                c.enter(Phase.HANDLING);
            }
        }

        @Override
        public void status(ConnectionContext ctx, Status status) {
            Guarded c = CURRENT.get();
            if (c != null) {
                c.lastStatus = status.code();
                c.requests++;
                c.enter(Phase.RESPONDED);
            }
        }

        @Override
        public void data(ConnectionContext ctx, BufferData data) {
            Guarded c = CURRENT.get();
            if (c != null && c.phase == Phase.RESPONDED) {
                c.since = System.nanoTime();
            }
        }
    }

    /** One connection: Helidon's HTTP/1.1 connection with a phase, a clock and a lingering close. */
    private final class Guarded implements ServerConnection {
        private final ConnectionContext ctx;
        private final ServerConnection delegate;
        volatile Phase phase = Phase.WAITING;
        volatile long since = System.nanoTime();
        volatile long lingerStart;
        volatile int requests;
        volatile int lastStatus;
        volatile String fault;
        private volatile boolean expired;

        Guarded(ConnectionContext ctx, ServerConnection delegate) {
            this.ctx = ctx;
            this.delegate = delegate;
        }

        void enter(Phase p) {
            since = System.nanoTime();
            phase = p;
        }

        @Override
        public void handle(Limit limit) throws InterruptedException {
            CURRENT.set(this);
            open.add(this);
            Phase endedIn = Phase.WAITING;
            try {
                try {
                    delegate.handle(limit);
                } catch (CloseConnectionException e) {
                    endedBy(e);
                } catch (RuntimeException e) {
                    if (!ClientFaults.isClientFault(e)) {
                        throw e; // a server fault: Helidon logs it with its stack trace
                    }
                    endedBy(e);
                }
                endedIn = phase;
                if (!expired && lastStatus >= 400) {
                    linger();
                }
            } finally {
                open.remove(this);
                CURRENT.remove();
                String bad = fault != null ? fault : midRequest(endedIn) ? "closed before its request was complete" : null;
                if (bad != null) {
                    faults.report(peer(), bad);
                }
            }
        }

        private void endedBy(RuntimeException e) {
            if (!expired && (phase == Phase.HEAD || phase == Phase.READING_BODY || phase == Phase.HANDLING)
                    && ClientFaults.isClientFault(e) && fault == null) {
                fault = "connection broke mid-request (" + ClientFaults.describe(e) + ")";
            }
        }

        private boolean midRequest(Phase p) {
            return !expired && (p == Phase.HEAD || p == Phase.READING_BODY);
        }

        /** Reads and discards what the client still sends, within the linger bounds; the watchdog ends a stalled one. */
        private void linger() {
            lingerStart = System.nanoTime();
            enter(Phase.LINGERING);
            DataReader reader = ctx.dataReader();
            long discarded = 0;
            try {
                while (discarded < LINGER_BYTES && !expired) {
                    int n = reader.available();
                    if (n == 0) {
                        reader.pullData(); // end of stream, a reset or the watchdog's close ends this
                        since = System.nanoTime();
                    } else {
                        reader.skip(n);
                        discarded += n;
                    }
                }
            } catch (RuntimeException endOfStream) {
                // the client is done (or gone): close
            }
        }

        /** Closes the socket under the connection (its blocked read or write fails), noting why. */
        void expire(String why) {
            if (expired) {
                return;
            }
            expired = true;
            if (why != null && fault == null) {
                fault = why;
            }
            try {
                ctx.serverSocket().close();
            } catch (RuntimeException e) {
                delegate.close(true); // interrupts the connection's thread, which closes its channel
            }
        }

        private String peer() {
            try {
                return ctx.remotePeer().host();
            } catch (RuntimeException e) {
                return "(unknown)";
            }
        }

        @Override
        public Duration idleTime() {
            return delegate.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            delegate.close(interrupt);
        }
    }
}
