package dev.herald.web;

import dev.herald.store.StoreException;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.socket.SocketWriterException;
import io.helidon.webserver.ServerConnectionException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a misbehaving client costs in logs: one short line per bad connection (no stack trace), at most
 * {@link #LINES_PER_WINDOW} lines per {@link #WINDOW_NANOS window}; the lines beyond are counted and the count is
 * reported with the next line (or by {@link #flush()}). Helidon's own log records of client faults (a request cut
 * off, a reset connection) are filtered out of its loggers and reported here instead.
 */
final class ClientFaults {
    static final int LINES_PER_WINDOW = 20;
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Helidon's loggers that log client faults as warnings with stack traces. */
    static final List<String> HELIDON_LOGGERS = List.of(
            "io.helidon.webserver.ConnectionHandler",
            "io.helidon.webserver.http1.Http1Connection",
            "io.helidon.webserver.http.ErrorHandlers");

    private static final Logger log = LoggerFactory.getLogger("dev.herald.web.ClientConnections");
    private static final ClientFaults SHARED = new ClientFaults(System::nanoTime);
    /** Strong references: JUL keeps only weak ones, and a collected logger would lose its filter. */
    private static final List<java.util.logging.Logger> FILTERED = new ArrayList<>();

    private final LongSupplier nanos;
    private long windowStart;
    private int linesInWindow;
    private long suppressed;

    ClientFaults(LongSupplier nanos) {
        this.nanos = nanos;
        this.windowStart = nanos.getAsLong();
    }

    static ClientFaults shared() {
        return SHARED;
    }

    /** Logs (or counts, when over the rate) one line about the connection from {@code peer}. */
    void report(String peer, String what) {
        String line;
        synchronized (this) {
            long now = nanos.getAsLong();
            String note = "";
            if (now - windowStart >= WINDOW_NANOS) {
                if (suppressed > 0) {
                    note = " (" + suppressed + " more like it suppressed before this)";
                }
                windowStart = now;
                linesInWindow = 0;
                suppressed = 0;
            }
            if (linesInWindow >= LINES_PER_WINDOW) {
                suppressed++;
                return;
            }
            linesInWindow++;
            line = "client connection from " + peer + ": " + what + note;
        }
        log.info(line);
    }

    /** Reports the count of suppressed lines once their window is over (called periodically). */
    void flush() {
        long count;
        synchronized (this) {
            if (suppressed == 0 || nanos.getAsLong() - windowStart < WINDOW_NANOS) {
                return;
            }
            count = suppressed;
            suppressed = 0;
            linesInWindow = 0;
            windowStart = nanos.getAsLong();
        }
        log.info("{} more bad client connections were not logged in the last {} s", count, TimeUnit.NANOSECONDS.toSeconds(WINDOW_NANOS));
    }

    /**
     * True when {@code e} says the client went away or broke the connection (end of stream mid-request, reset,
     * broken pipe, a socket closed by a timeout): nothing the server can fix, so no stack trace.
     */
    static boolean isClientFault(Throwable e) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> todo = new ArrayList<>(List.of(e));
        while (!todo.isEmpty()) {
            Throwable t = todo.removeLast();
            if (t == null || !seen.add(t)) {
                continue;
            }
            if (t instanceof SQLException || t instanceof StoreException) {
                return false; // a socket error under a database failure is the database's connection, not the client's
            }
            if (t instanceof DataReader.InsufficientDataAvailableException || t instanceof DataReader.IncorrectNewLineException
                    || t instanceof SocketException || t instanceof ClosedChannelException || t instanceof EOFException
                    || t instanceof ServerConnectionException || t instanceof SocketWriterException
                    || t instanceof IOException io && io.getMessage() != null
                    && (io.getMessage().contains("Broken pipe") || io.getMessage().contains("Connection reset"))) {
                return true;
            }
            todo.add(t.getCause());
            todo.addAll(List.of(t.getSuppressed()));
        }
        return false;
    }

    /** A few words on {@code e} for a log line: the innermost cause's class and message, no stack. */
    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof DataReader.InsufficientDataAvailableException) {
            return "the client closed the connection mid-request";
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + (msg.length() > 120 ? msg.substring(0, 120) + "…" : msg));
    }

    /**
     * Installs, once per JVM, a filter on {@link #HELIDON_LOGGERS} that drops records whose exception is a client
     * fault; the fault is noted on the connection it happened on (one line when it closes) or reported directly.
     */
    static synchronized void filterHelidonLogs() {
        if (!FILTERED.isEmpty()) {
            return;
        }
        for (String name : HELIDON_LOGGERS) {
            java.util.logging.Logger jul = java.util.logging.Logger.getLogger(name);
            Filter previous = jul.getFilter();
            jul.setFilter(record -> keep(record) && (previous == null || previous.isLoggable(record)));
            FILTERED.add(jul);
        }
    }

    private static boolean keep(LogRecord record) {
        Throwable thrown = record.getThrown();
        if (thrown == null || !isClientFault(thrown)) {
            return true;
        }
        if (!ConnectionGuard.noteFault(describe(thrown))) {
            SHARED.report("(unknown)", describe(thrown));
        }
        return false;
    }
}
