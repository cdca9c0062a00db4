package dev.herald.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Herald node in a child JVM ({@code dev.herald.server.Main serve}) with this JVM's java binary and classpath, on a
 * loopback port picked once, so it can be killed with SIGKILL and started again on the same port and database. Its
 * output goes to {@code log}. CPU is read from /proc/&lt;pid&gt;/stat and summed over every incarnation.
 */
final class ChildHerald implements AutoCloseable {
    /** How child nodes are started: database, admin key, limits and extra JVM options (e.g. -Xmx512m). */
    record Config(String databaseUrl, String apiKey, int maxInFlightPerEndpoint, long maxBodyBytes, List<String> javaOpts, int readyTimeoutSeconds) {}

    private final String name;
    private final Config config;
    private final int port;
    private final Path log;
    private Process process;
    private long cpuOfDeadNanos;
    private long lastCpuNanos;
    private int starts;
    private volatile boolean retired;

    private ChildHerald(String name, Config config, int port, Path log) {
        this.name = name;
        this.config = config;
        this.port = port;
        this.log = log;
    }

    /** Starts node {@code name} on a free loopback port and waits until it is ready. */
    static ChildHerald start(String name, Config config, Path log) throws IOException, InterruptedException {
        ChildHerald c = new ChildHerald(name, config, freePort(), log);
        c.startProcess();
        return c;
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    /** True once {@link #retire} killed it for good: producers no longer target it. */
    boolean retired() {
        return retired;
    }

    /** Kills the node with SIGKILL for good (not restarted). */
    void retire() throws InterruptedException {
        retired = true;
        kill();
    }

    /** Times this node was started. */
    int starts() {
        return starts;
    }

    /** Starts the process again on the same port and database (after {@link #kill}); returns when it is ready. */
    synchronized void startProcess() throws IOException, InterruptedException {
        if (alive()) {
            throw new IllegalStateException(name + " is already running");
        }
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(config.javaOpts());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.herald.server.Main", "serve",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--allow-private-addresses",
                "--max-in-flight-per-endpoint", Integer.toString(config.maxInFlightPerEndpoint()),
                "--max-body-size", Long.toString(config.maxBodyBytes())));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("HERALD_DATABASE_URL", config.databaseUrl()); // it holds a password: never in the arguments, which ps shows
        pb.environment().put("HERALD_ADMIN_KEY", config.apiKey());
        pb.environment().put("HERALD_MASTER_KEY", BenchHerald.MASTER_KEY.encoded());
        process = pb.start();
        lastCpuNanos = 0;
        starts++;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.readyTimeoutSeconds());
        while (!AdminApi.ready(port)) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + " before it was ready; see " + log);
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new IOException(name + " not ready within " + config.readyTimeoutSeconds() + " s; see " + log);
            }
            Thread.sleep(50);
        }
    }

    /** SIGKILL (no shutdown hook runs); waits until the process is gone. */
    synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        cpuNanos(); // the last reading before it disappears from /proc
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        cpuOfDeadNanos += lastCpuNanos;
        lastCpuNanos = 0;
        process = null;
    }

    /** CPU nanoseconds of every incarnation so far (a dead one's as last read, just before the kill). */
    synchronized long cpuNanos() {
        if (process != null) {
            long now = Meter.processCpuNanos(process.pid());
            if (now >= 0) {
                lastCpuNanos = now;
            }
        }
        return cpuOfDeadNanos + lastCpuNanos;
    }

    /** Stops the node gracefully (SIGTERM, then SIGKILL after 20 s). */
    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        cpuNanos();
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        cpuOfDeadNanos += lastCpuNanos;
        lastCpuNanos = 0;
        process = null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }
}
