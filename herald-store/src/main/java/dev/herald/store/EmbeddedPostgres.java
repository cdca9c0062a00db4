package dev.herald.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL 17 server on 127.0.0.1 whose data lives in a directory of the caller's choosing.
 *
 * <p>Binaries come from the classpath and are unpacked once into a shared cache. When the JVM runs as root
 * the server runs as user nobody (PostgreSQL refuses root). A server left running by a process that was
 * killed is adopted rather than fought with.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    /** The superuser every embedded cluster is created with (trust authentication, no password). */
    public static final String USER = "herald";

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final String LOG_FILE = "postgres.log";

    private final EmbeddedBinaries binaries;
    private final Path dataDir;
    private final int port;
    private final boolean ephemeral;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;

    private EmbeddedPostgres(EmbeddedBinaries binaries, Path dataDir, int port, boolean ephemeral) {
        this.binaries = binaries;
        this.dataDir = dataDir;
        this.port = port;
        this.ephemeral = ephemeral;
        this.shutdownHook = ephemeral ? new Thread(this::closeQuietly, "herald-pg-ephemeral-stop") : null;
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /** Starts a durable server on {@code dataDir} (creating the cluster on first use), or adopts one still running there. */
    public static EmbeddedPostgres start(Path dataDir) {
        return start(dataDir, false);
    }

    /** Starts a fast, non-durable server in a fresh temp directory that is deleted on {@link #close()} (or JVM exit). */
    public static EmbeddedPostgres startEphemeral() {
        Path dir;
        try {
            dir = Files.createTempDirectory("herald-pg-data-");
        } catch (IOException e) {
            throw new IllegalStateException("could not create a temp data dir: " + e.getMessage(), e);
        }
        try {
            return start(dir, true);
        } catch (RuntimeException e) {
            EmbeddedBinaries.deleteRecursively(dir);
            throw e;
        }
    }

    /** The TCP port the server listens on (127.0.0.1 only). */
    public int port() {
        return port;
    }

    /** The cluster's data directory (its server log is {@code postgres.log} in there). */
    public Path dataDir() {
        return dataDir;
    }

    /** A JDBC URL for {@code database} on this server, as user {@value #USER}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8)
                + "?user=" + USER;
    }

    /** Creates database {@code name} unless it already exists. */
    public void createDatabase(String name) {
        Properties props = new Properties();
        props.setProperty("connectTimeout", "10");
        props.setProperty("loginTimeout", "10");
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), props)) {
            try (PreparedStatement ps = c.prepareStatement("select 1 from pg_database where datname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("create database \"" + name.replace("\"", "\"\"") + "\"");
            }
        } catch (SQLException e) {
            if ("42P04".equals(e.getSQLState()) || "23505".equals(e.getSQLState())) {
                return; // created concurrently
            }
            throw new IllegalStateException("could not create database " + name + " on 127.0.0.1:" + port + ": "
                    + e.getMessage(), e);
        }
    }

    /** Stops the server ({@code pg_ctl stop -m fast}); calling it again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            stop();
        } finally {
            if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or about to; nothing to undo
                }
            }
            if (ephemeral) {
                EmbeddedBinaries.deleteRecursively(dataDir);
            }
        }
    }

    @Override
    public String toString() {
        return "EmbeddedPostgres[127.0.0.1:" + port + ", " + dataDir + "]";
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            log.warn("could not stop embedded PostgreSQL in {}: {}", dataDir, e.getMessage());
        }
    }

    private void stop() {
        if (livePostmaster(dataDir).isEmpty()) {
            return;
        }
        EmbeddedBinaries.Result r = binaries.run(COMMAND_TIMEOUT, "pg_ctl", "stop", "-D", dataDir.toString(),
                "-m", "fast", "-w", "-t", "60");
        if (!r.ok() && livePostmaster(dataDir).isPresent()) {
            throw failure("could not stop PostgreSQL", r, dataDir, 0);
        }
        log.info("PostgreSQL on 127.0.0.1:{} stopped ({})", port, dataDir);
    }

    private static EmbeddedPostgres start(Path requested, boolean ephemeral) {
        long t0 = System.nanoTime();
        EmbeddedBinaries binaries = EmbeddedBinaries.get();
        long unpacked = System.nanoTime();
        Path dataDir;
        try {
            dataDir = Files.createDirectories(requested.toAbsolutePath().normalize()).toRealPath();
        } catch (IOException e) {
            throw new IllegalStateException("could not create data dir " + requested + ": " + e, e);
        }
        if (binaries.runsAsNobody()) {
            EmbeddedBinaries.requireTraversable(dataDir, "choose a --data-dir under /tmp or /var/lib");
        }
        OptionalInt running = adoptablePort(dataDir);
        if (running.isPresent()) {
            log.info("PostgreSQL already running on 127.0.0.1:{} for {} (left by an earlier process); reusing it",
                    running.getAsInt(), dataDir);
            return new EmbeddedPostgres(binaries, dataDir, running.getAsInt(), ephemeral);
        }
        binaries.chownToServerUser(dataDir);
        boolean fresh = !Files.exists(dataDir.resolve("PG_VERSION"));
        if (fresh) {
            initdb(binaries, dataDir, ephemeral);
        }
        long initialized = System.nanoTime();
        int port = startServer(binaries, dataDir, ephemeral);
        long started = System.nanoTime();
        log.info("PostgreSQL {} started on 127.0.0.1:{} for {} in {} ms (unpack {} ms, initdb {} ms, start {} ms){}",
                EmbeddedBinaries.VERSION, port, dataDir, ms(started - t0), ms(unpacked - t0),
                fresh ? ms(initialized - unpacked) : 0, ms(started - initialized),
                binaries.runsAsNobody() ? " as user nobody" : "");
        return new EmbeddedPostgres(binaries, dataDir, port, ephemeral);
    }

    private static void initdb(EmbeddedBinaries binaries, Path dataDir, boolean ephemeral) {
        List<String> args = new ArrayList<>(List.of("-D", dataDir.toString(), "-A", "trust", "-U", USER,
                "-E", "UTF8", "--locale=C", "--no-instructions"));
        if (ephemeral) {
            args.add("--no-sync");
        }
        EmbeddedBinaries.Result r = binaries.run(COMMAND_TIMEOUT, "initdb", args.toArray(String[]::new));
        if (!r.ok()) {
            throw failure("initdb failed for " + dataDir, r, dataDir, -1);
        }
    }

    private static int startServer(EmbeddedBinaries binaries, Path dataDir, boolean ephemeral) {
        Path logFile = dataDir.resolve(LOG_FILE);
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            String options = "-c listen_addresses=127.0.0.1 -p " + port + " -c max_connections=200"
                    + " -c unix_socket_directories=" + socketDir(dataDir, port)
                    + (ephemeral ? " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" : "");
            long logOffset = size(logFile);
            EmbeddedBinaries.Result r = binaries.run(COMMAND_TIMEOUT, "pg_ctl", "start", "-w", "-t", "60",
                    "-D", dataDir.toString(), "-l", logFile.toString(), "-o", options);
            if (r.ok()) {
                return port;
            }
            String newLog = tail(logFile, logOffset);
            if (attempt < 3 && (newLog.contains("could not bind") || newLog.contains("already in use"))) {
                log.info("port {} was taken before PostgreSQL could bind it; retrying with another", port);
                continue;
            }
            throw failure("PostgreSQL failed to start", r, dataDir, logOffset);
        }
    }

    /** The socket dir as a shell word: the data dir if its socket path stays short and needs no quoting, else none. */
    private static String socketDir(Path dataDir, int port) {
        String dir = dataDir.toString();
        boolean plain = dir.matches("[A-Za-z0-9/._-]+");
        return plain && (dir + "/.s.PGSQL." + port).length() < 100 ? dir : "''";
    }

    /** The port of a ready postmaster already serving {@code dataDir}, waiting while one is still starting up. */
    private static OptionalInt adoptablePort(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<String> lines;
            try {
                lines = Files.readAllLines(pidFile);
            } catch (IOException noPidFile) {
                return OptionalInt.empty();
            }
            if (livePostmaster(dataDir).isEmpty()) {
                return OptionalInt.empty(); // stale postmaster.pid: pg_ctl start copes with it
            }
            if (lines.size() >= 8 && lines.get(7).trim().equals("ready")) {
                try {
                    return OptionalInt.of(Integer.parseInt(lines.get(3).trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalStateException("unreadable port in " + pidFile + ": " + lines.get(3), e);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("a PostgreSQL server is running on " + dataDir + " but did not become "
                        + "ready within 60s (status: " + (lines.size() >= 8 ? lines.get(7).trim() : "?")
                        + "); see " + dataDir.resolve(LOG_FILE));
            }
            sleep(100);
        }
    }

    /** The pid of a live postmaster according to {@code postmaster.pid}, if any. */
    private static OptionalLong livePostmaster(Path dataDir) {
        long pid;
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            pid = Math.abs(Long.parseLong(lines.getFirst().trim()));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        boolean alive = ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .map(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(true))
                .orElse(false);
        return alive ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("could not find a free port on 127.0.0.1: " + e.getMessage(), e);
        }
    }

    private static IllegalStateException failure(String what, EmbeddedBinaries.Result r, Path dataDir, long logOffset) {
        String msg = what + ": " + r.describe();
        Path logFile = dataDir.resolve(LOG_FILE);
        if (logOffset >= 0 && Files.exists(logFile)) {
            msg += "\n--- tail of " + logFile + " ---\n" + tail(logFile, logOffset);
        }
        return new IllegalStateException(msg);
    }

    /** The last 30 lines of {@code file} written after {@code offset}. */
    private static String tail(Path file, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(offset, f.length() - 16_384);
            byte[] bytes = new byte[(int) (f.length() - Math.max(0, Math.min(start, f.length())))];
            f.seek(f.length() - bytes.length);
            f.readFully(bytes);
            List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
        }
    }
}
