package dev.herald.web;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.util.Objects;

/**
 * How an API's HTTP listener treats its client connections (see {@link HttpListener}).
 *
 * @param maxConnections most client connections open at once; further clients wait in the kernel's accept backlog
 *                       until one closes (back-pressure, not refusal). The default comes from the open-files limit:
 *                       see {@link #defaultMaxConnections(long)}
 * @param idleTimeout    how long a connection may wait without a request in progress (a fresh connection that sends
 *                       nothing, a partial request line, a keep-alive connection between requests), and how long a
 *                       request body or a response may stall without a byte moving; then it is closed
 * @param headerTimeout  how long the request's headers may take once its request line has arrived; then it is closed
 */
public record ConnectionLimits(int maxConnections, Duration idleTimeout, Duration headerTimeout) {
    /** File descriptors kept out of the connection budget for the JVM itself: class path jars, logs, the database pool, the broker. */
    public static final int RESERVED_FILES = 256;
    /** The default {@code maxConnections} never exceeds this (each idle connection costs a virtual thread and ~20 KiB of buffers). */
    public static final int MAX_DEFAULT_CONNECTIONS = 10_000;
    /** The default idle timeout: a connection that sends nothing is closed within 30 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** The default header timeout. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);

    private static final Duration SHORTEST = Duration.ofMillis(50);
    private static final Duration LONGEST = Duration.ofHours(1);

    public ConnectionLimits {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (maxConnections < 1 || maxConnections > 1_000_000) {
            throw new IllegalArgumentException("max-connections must be between 1 and 1000000, got " + maxConnections);
        }
        check("idle-timeout", idleTimeout);
        check("header-timeout", headerTimeout);
    }

    /** {@link #defaultMaxConnections()} connections, 30 s idle timeout, 10 s header timeout. */
    public static ConnectionLimits defaults() {
        return new ConnectionLimits(defaultMaxConnections(), DEFAULT_IDLE_TIMEOUT, DEFAULT_HEADER_TIMEOUT);
    }

    public ConnectionLimits withMaxConnections(int n) {
        return new ConnectionLimits(n, idleTimeout, headerTimeout);
    }

    public ConnectionLimits withIdleTimeout(Duration d) {
        return new ConnectionLimits(maxConnections, d, headerTimeout);
    }

    public ConnectionLimits withHeaderTimeout(Duration d) {
        return new ConnectionLimits(maxConnections, idleTimeout, d);
    }

    /** The default connection cap for this process's open-files limit ({@link #openFilesLimit()}). */
    public static int defaultMaxConnections() {
        return defaultMaxConnections(openFilesLimit());
    }

    /**
     * The file budget: {@link #RESERVED_FILES} stay with the JVM, and of the rest half goes to inbound API connections
     * and half to outbound webhook sockets (in flight and pooled), never more than {@link #MAX_DEFAULT_CONNECTIONS}
     * and never fewer than 16 inbound. With the usual limits: 1024 files give 384 connections, 4096 give 1920,
     * 65536 and above give 10000.
     */
    public static int defaultMaxConnections(long openFilesLimit) {
        long share = (openFilesLimit - RESERVED_FILES) / 2;
        return (int) Math.max(16, Math.min(MAX_DEFAULT_CONNECTIONS, share));
    }

    /** This process's limit of open files (RLIMIT_NOFILE; the JVM raises the soft limit to the hard one), or 4096 where it cannot be read. */
    public static long openFilesLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix && unix.getMaxFileDescriptorCount() > 0) {
            return unix.getMaxFileDescriptorCount();
        }
        return 4096;
    }

    private static void check(String name, Duration d) {
        if (d.compareTo(SHORTEST) < 0 || d.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException(name + " must be between 50ms and 1h, got " + Durations.format(d));
        }
    }
}
