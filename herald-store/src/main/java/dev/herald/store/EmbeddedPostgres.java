package dev.herald.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL 17 server on 127.0.0.1 whose data lives in a directory of the caller's choosing.
 *
 * <p>Only Herald's OS user can use it: every connection needs the superuser's random password (SCRAM-SHA-256), kept
 * 0600 in the 0700 data directory, and the Unix socket lives in that directory too. The binaries come from the
 * classpath, unpacked into a private cache and verified before they run; as root the server runs in a user namespace.
 * One process at a time owns a data directory (a lock the kernel drops when the process dies), adopts a server left
 * running by a killed owner, restarts the server if it dies, and stops only the server it started or adopted. The JVM's
 * exit (Ctrl-C, SIGTERM) at any moment of a start undoes it (the server stopped, no work files left), and a running server
 * is stopped on exit too. The server runs with a minimal environment (none of Herald's variables: see
 * {@link EmbeddedBinaries#environment}); Herald's pool logs in as {@value #RUNTIME_USER}, which is no superuser.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    /** The superuser every embedded cluster is created with (password authentication; see {@link #jdbcUrl}). */
    public static final String USER = "herald";
    /**
     * The role Herald's pool runs as: it logs in with its own password but is no superuser, and gets only the grants
     * {@link Database#open(DatabaseConfig, DatabaseConfig, String...)} gives it (no DDL, no server programs or files).
     */
    public static final String RUNTIME_USER = "herald_app";

    static final Duration LOCK_WAIT = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration CHECK_EVERY = Duration.ofMillis(500);
    private static final Duration RETRY_EVERY = Duration.ofSeconds(5);
    private static final Duration RESTART_PATIENCE = Duration.ofSeconds(15);
    private static final String LOG_FILE = "postgres.log";
    private static final String INITDB_DIR = ".herald.initdb";
    private static final String INITDB_PWFILE = "herald.initdb-pwfile";

    private final EmbeddedBinaries binaries;
    private final Path dataDir;
    private final int port;
    private final String password;
    private final boolean ephemeral;
    private final DataDirLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile long pid;
    private volatile boolean up = true;
    private volatile boolean exiting;
    private volatile Duration exitGrace = Duration.ZERO;
    private Thread supervisor;
    private Thread shutdownHook;

    private EmbeddedPostgres(EmbeddedBinaries binaries, Path dataDir, Started started, String password, boolean ephemeral,
                             DataDirLock lock) {
        this.binaries = binaries;
        this.dataDir = dataDir;
        this.port = started.port();
        this.pid = started.pid();
        this.password = password;
        this.ephemeral = ephemeral;
        this.lock = lock;
    }

    /**
     * Starts a durable, supervised server on {@code dataDir} (creating the cluster on first use, taking over one made
     * with trust authentication by an older Herald), or adopts one left running there by a process that died; waits up
     * to a minute while another live process owns the directory, then fails.
     */
    public static EmbeddedPostgres start(Path dataDir) {
        return start(dataDir, false, EmbeddedBinaries.get(), LOCK_WAIT);
    }

    /** Starts a fast, non-durable server in a fresh private temp directory that is deleted on {@link #close()} (or JVM exit). */
    public static EmbeddedPostgres startEphemeral() {
        EmbeddedBinaries binaries = EmbeddedBinaries.get();
        Path dir;
        try {
            dir = Files.createTempDirectory("herald-pg-data-");
        } catch (IOException e) {
            throw new IllegalStateException("could not create a temp data dir: " + e.getMessage(), e);
        }
        try {
            return start(dir, true, binaries, Duration.ZERO);
        } catch (RuntimeException e) {
            EmbeddedBinaries.deleteRecursively(dir);
            throw e;
        }
    }

    /** The TCP port the server listens on (127.0.0.1 only); it keeps it across restarts. */
    public int port() {
        return port;
    }

    /** The cluster's data directory (its server log is {@code postgres.log} in there, its password {@code herald.password}). */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * A JDBC URL for {@code database} as {@value #USER}, carrying the password as a parameter: hand it to
     * {@link DatabaseConfig#fromUrl} (which keeps the password out of its URL and its toString) and never log it.
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8)
                + "?user=" + USER + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8);
    }

    /**
     * A JDBC URL for {@code database} as {@value #RUNTIME_USER} (no superuser), carrying its password as a parameter:
     * the URL for Herald's pool, while migrations and partition DDL use {@link #jdbcUrl}.
     */
    public String runtimeJdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8)
                + "?user=" + RUNTIME_USER + "&password=" + URLEncoder.encode(EmbeddedAuth.runtimePassword(dataDir, binaries.uid()),
                StandardCharsets.UTF_8);
    }

    /**
     * Whether the server is up, or being restarted after it died: false after {@link #close()}, and false while it
     * died and could not be restarted (restarts go on every few seconds; this turns true again when one succeeds).
     */
    public boolean live() {
        return up && !closed.get();
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

    /** Stops supervising, stops the server this instance started or adopted (fast shutdown), and releases the data dir; calling it again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing.countDown();
        try {
            if (supervisor != null && Thread.currentThread() != supervisor) {
                supervisor.join(COMMAND_TIMEOUT.plusSeconds(30)); // lets a restart in progress finish, so it is stopped below
            }
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping PostgreSQL in " + dataDir, e);
        } finally {
            up = false;
            lock.close();
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

    /**
     * Stops the server when the JVM exits (Ctrl-C, SIGTERM): at once, or, after {@link #stopOnExitAfter}, once its owner
     * had that long to close it first and did not.
     */
    private void stopOnExit() {
        shutdownHook = new Thread(() -> {
            exiting = true; // no restarts from now on
            Duration grace = exitGrace;
            if (grace.isZero() || !awaitClosing(grace)) {
                closeQuietly();
            }
        }, "herald-pg-stop-on-exit");
        Runtime.getRuntime().addShutdownHook(shutdownHook); // refused (IllegalStateException) once the JVM is exiting
    }

    /**
     * On the JVM's exit, gives the owner up to {@code grace} to {@link #close()} this server itself (a server that stops
     * its engine before its database, from its own exit hook) before it is stopped; until called, an exit stops it at
     * once. Either way no exit leaves it running.
     */
    public void stopOnExitAfter(Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        exitGrace = grace;
    }

    /** Starts the supervisor; called once, by the factory. */
    private EmbeddedPostgres supervise() {
        supervisor = Thread.ofPlatform().daemon().name("herald-pg-supervisor-" + port).start(this::watch);
        return this;
    }

    /** Checks the postmaster twice a second; when it is gone, restarts it on the same port until that works or we close. */
    private void watch() {
        while (!awaitClosing(CHECK_EVERY)) {
            if (alive(pid)) {
                continue;
            }
            if (exiting || jvmExiting()) {
                return; // stopped on exit: not to be restarted
            }
            log.warn("PostgreSQL on 127.0.0.1:{} (pid {}, {}) is gone; restarting it on the same port", port, pid, dataDir);
            while (true) {
                try {
                    binaries.verify();
                    Started s = startServer(binaries, dataDir, ephemeral, port, RESTART_PATIENCE);
                    pid = s.pid();
                    up = true;
                    log.info("PostgreSQL restarted on 127.0.0.1:{} (pid {}, {})", port, pid, dataDir);
                    break;
                } catch (RuntimeException e) {
                    up = false;
                    log.error("could not restart PostgreSQL on 127.0.0.1:{} ({}); reporting not live, retrying in {} s: {}",
                            port, dataDir, RETRY_EVERY.toSeconds(), e.getMessage());
                    if (awaitClosing(RETRY_EVERY)) {
                        return;
                    }
                }
            }
        }
    }

    /** True once the JVM is running its shutdown hooks (it then refuses new ones). */
    private static boolean jvmExiting() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException exiting) {
            return true;
        }
    }

    private boolean awaitClosing(Duration d) {
        try {
            return closing.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Stops the postmaster this instance started or adopted, and no other. */
    private void stop() {
        long p = pid;
        if (!alive(p)) {
            return;
        }
        OptionalLong named = pidFileEntry(dataDir);
        if (named.isPresent() && named.getAsLong() != p) {
            log.warn("not stopping PostgreSQL in {}: postmaster.pid names pid {}, not the server this process ran (pid {})",
                    dataDir, named.getAsLong(), p);
            return;
        }
        stopPid(dataDir, p);
        log.info("PostgreSQL on 127.0.0.1:{} stopped ({})", port, dataDir);
    }

    static EmbeddedPostgres start(Path requested, boolean ephemeral, EmbeddedBinaries binaries, Duration lockWait) {
        long t0 = System.nanoTime();
        Path dataDir = prepareDataDir(requested, binaries);
        DataDirLock lock = DataDirLock.acquire(dataDir, lockWait);
        ExitGuard guard;
        try {
            guard = ExitGuard.open("the start of PostgreSQL in " + dataDir, () -> undoStart(dataDir, ephemeral));
        } catch (IllegalStateException exiting) {
            lock.close();
            throw exiting;
        }
        try {
            EmbeddedPostgres pg = guard.step(() -> startLocked(dataDir, ephemeral, binaries, lock, t0));
            pg.stopOnExit(); // before the guard goes: at every moment one of them stops the server on exit
            guard.close();
            return pg.supervise();
        } catch (RuntimeException e) {
            try {
                guard.run(() -> undoStart(dataDir, false)); // a server this start began does not outlive its failure
            } catch (RuntimeException exiting) {
                e.addSuppressed(exiting); // the exit's cleanup does it
            }
            guard.close();
            lock.close();
            throw e;
        }
    }

    /**
     * What an interrupted or failed start leaves undone: stops the server it started (or was adopting), removes a
     * half-made cluster's work files, and an ephemeral data dir altogether.
     */
    private static void undoStart(Path dataDir, boolean ephemeral) {
        livePostmaster(dataDir).ifPresent(pid -> stopPid(dataDir, pid));
        EmbeddedBinaries.deleteRecursively(dataDir.resolve(INITDB_DIR));
        EmbeddedBinaries.deleteRecursively(dataDir.resolve(INITDB_PWFILE));
        if (ephemeral) {
            EmbeddedBinaries.deleteRecursively(dataDir);
        }
    }

    private static EmbeddedPostgres startLocked(Path dataDir, boolean ephemeral, EmbeddedBinaries binaries, DataDirLock lock, long t0) {
        OptionalLong running = livePostmaster(dataDir);
        if (running.isPresent() && EmbeddedAuth.configured(dataDir) && owner(dataDir) == binaries.uid()) {
            int port = adoptablePort(dataDir);
            long pid = livePostmaster(dataDir).orElseThrow(() -> new IllegalStateException(
                    "the PostgreSQL server on " + dataDir + " stopped while being adopted; start again"));
            log.info("PostgreSQL already running on 127.0.0.1:{} for {} (pid {}, left by an earlier process); adopting it",
                    port, dataDir, pid);
            String password = EmbeddedAuth.readPassword(dataDir, binaries.uid());
            Started started = new Started(port, pid);
            ensureRuntimeRole(dataDir, started, password, binaries.uid());
            return new EmbeddedPostgres(binaries, dataDir, started, password, ephemeral, lock);
        }
        if (running.isPresent()) {
            log.warn("a PostgreSQL server (pid {}) runs on {} without Herald's password authentication (left by an older"
                    + " Herald); stopping it to take the cluster over", running.getAsLong(), dataDir);
            stopPid(dataDir, running.getAsLong());
        }
        takeBackFromNobody(dataDir, binaries);
        boolean fresh = !Files.exists(dataDir.resolve("PG_VERSION"));
        if (fresh) {
            initdb(binaries, dataDir, ephemeral);
        } else if (!Files.exists(dataDir.resolve(EmbeddedAuth.PASSWORD_FILE))) {
            takeOver(binaries, dataDir);
        }
        EmbeddedAuth.writeHba(dataDir);
        String password = EmbeddedAuth.readPassword(dataDir, binaries.uid());
        long initialized = System.nanoTime();
        Started started = startServer(binaries, dataDir, ephemeral, 0, Duration.ZERO);
        ensureRuntimeRole(dataDir, started, password, binaries.uid());
        long done = System.nanoTime();
        log.info("PostgreSQL {} started on 127.0.0.1:{} for {} in {} ms ({} {} ms, start {} ms){}", EmbeddedBinaries.VERSION,
                started.port(), dataDir, ms(done - t0), fresh ? "initdb" : "checks", ms(initialized - t0),
                ms(done - initialized), binaries.inUserNamespace() ? " in a user namespace (Herald runs as root)" : "");
        return new EmbeddedPostgres(binaries, dataDir, started, password, ephemeral, lock);
    }

    /**
     * Makes {@value #RUNTIME_USER} a login role that is no superuser and may create nothing, with the password in
     * {@value EmbeddedAuth#RUNTIME_PASSWORD_FILE} (made on first use): clusters made by an older Herald, which had only
     * the superuser, get it on their next start.
     */
    private static void ensureRuntimeRole(Path dataDir, Started started, String superuserPassword, int uid) {
        String password = EmbeddedAuth.runtimePassword(dataDir, uid);
        String verifier = EmbeddedAuth.scramVerifier(password);
        Properties props = new Properties();
        props.setProperty("user", USER);
        props.setProperty("password", superuserPassword);
        props.setProperty("connectTimeout", "10");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + started.port() + "/postgres", props);
             Statement s = c.createStatement()) {
            boolean exists;
            try (ResultSet rs = s.executeQuery("select 1 from pg_roles where rolname = '" + RUNTIME_USER + "'")) {
                exists = rs.next();
            }
            String attributes = " login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password '" + verifier + "'";
            s.execute((exists ? "alter role " : "create role ") + RUNTIME_USER + (exists ? " with" : "") + attributes);
        } catch (SQLException e) {
            throw new IllegalStateException("could not set up the role " + RUNTIME_USER + " on 127.0.0.1:" + started.port()
                    + " (" + dataDir + "): " + e.getMessage(), e);
        }
    }

    /**
     * Creates {@code requested} if needed and returns its real path; a directory without a cluster must hold nothing
     * but Herald's own files (it is made 0700), and the directory must belong to Herald's user (or, for root, to
     * nobody, from the days PostgreSQL ran as nobody).
     */
    private static Path prepareDataDir(Path requested, EmbeddedBinaries binaries) {
        Path dataDir;
        try {
            dataDir = Files.createDirectories(requested.toAbsolutePath().normalize()).toRealPath();
            int owner = EmbeddedBinaries.owner(dataDir);
            if (owner != binaries.uid() && !(binaries.inUserNamespace() && owner == EmbeddedBinaries.NOBODY)) {
                throw new IllegalStateException("the data directory " + dataDir + " belongs to uid " + owner + " but Herald"
                        + " runs as uid " + binaries.uid() + ", and PostgreSQL must own its data: chown -R " + binaries.uid()
                        + " " + dataDir + ", or choose another --data-dir");
            }
            if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
                List<String> foreign;
                try (Stream<Path> entries = Files.list(dataDir)) {
                    foreign = entries.map(p -> p.getFileName().toString()).filter(n -> !heraldsOwn(n)).sorted().limit(5).toList();
                }
                if (!foreign.isEmpty()) {
                    throw new IllegalStateException(dataDir + " is not empty (" + String.join(", ", foreign) + ") but holds no"
                            + " PostgreSQL cluster (no PG_VERSION); Herald creates its cluster only in an empty directory:"
                            + " choose another --data-dir, or empty this one");
                }
                if (owner == binaries.uid()) {
                    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not prepare data dir " + requested + ": " + e, e);
        }
        return dataDir;
    }

    private static int owner(Path p) {
        try {
            return EmbeddedBinaries.owner(p);
        } catch (IOException e) {
            throw new IllegalStateException("could not read the owner of " + p + ": " + e.getMessage(), e);
        }
    }

    private static boolean heraldsOwn(String name) {
        return name.startsWith("herald.") || name.startsWith(".herald.") || name.equals(LOG_FILE);
    }

    /** Gives a data dir left by an older Herald, which ran PostgreSQL as nobody, back to root (who now runs it in a user namespace). */
    private static void takeBackFromNobody(Path dataDir, EmbeddedBinaries binaries) {
        try {
            if (!binaries.inUserNamespace() || owner(dataDir) == binaries.uid()) {
                return;
            }
            log.info("{} belongs to nobody (an older Herald ran PostgreSQL as nobody); giving it to uid {}", dataDir, binaries.uid());
            try (Stream<Path> files = Files.walk(dataDir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.setAttribute(p, "unix:uid", binaries.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", 0, LinkOption.NOFOLLOW_LINKS);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("could not take " + dataDir + " back from nobody: " + e + "; chown -R root: "
                    + dataDir + " and start again", e);
        }
    }

    /**
     * Creates the cluster: initdb into a private subdirectory (initdb wants an empty one, and ours holds the lock),
     * then moves it in, PG_VERSION last, so a half-made cluster never looks like one.
     */
    private static void initdb(EmbeddedBinaries binaries, Path dataDir, boolean ephemeral) {
        Path work = dataDir.resolve(INITDB_DIR);
        Path pwfile = dataDir.resolve(INITDB_PWFILE);
        EmbeddedBinaries.deleteRecursively(work);
        String password = EmbeddedAuth.newPassword();
        EmbeddedAuth.writePrivate(pwfile, EmbeddedAuth.scramVerifier(password) + "\n");
        try {
            List<String> args = new ArrayList<>(List.of("-D", work.toString(), "-U", USER, "-A", "scram-sha-256",
                    "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C", "--no-instructions"));
            if (ephemeral) {
                args.add("--no-sync");
            }
            EmbeddedBinaries.Result r = binaries.run(COMMAND_TIMEOUT, "initdb", args.toArray(String[]::new));
            if (!r.ok()) {
                throw failure("initdb failed for " + dataDir, r, dataDir, -1);
            }
            try (Stream<Path> entries = Files.list(work)) {
                for (Path entry : entries.filter(e -> !e.getFileName().toString().equals("PG_VERSION")).toList()) {
                    Files.move(entry, dataDir.resolve(entry.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
                }
            }
            Files.move(work.resolve("PG_VERSION"), dataDir.resolve("PG_VERSION"), StandardCopyOption.ATOMIC_MOVE);
            Files.delete(work);
        } catch (IOException e) {
            throw new IllegalStateException("could not move the new cluster from " + work + " into " + dataDir + ": " + e, e);
        } finally {
            EmbeddedBinaries.deleteRecursively(pwfile);
        }
        EmbeddedAuth.writePassword(dataDir, password); // if we die before this, the next start takes the cluster over
    }

    /** Sets a random password on a (stopped) cluster that has none, in single-user mode: no server, no connection, no window. */
    private static void takeOver(EmbeddedBinaries binaries, Path dataDir) {
        log.warn("{} has no password file: it was created with trust authentication (by an older Herald); setting a random"
                + " password for {} and requiring it from now on", dataDir, USER);
        String password = EmbeddedAuth.newPassword();
        String sql = "ALTER ROLE " + USER + " PASSWORD '" + EmbeddedAuth.scramVerifier(password) + "';\n";
        EmbeddedBinaries.Result r = binaries.run(COMMAND_TIMEOUT, sql.getBytes(StandardCharsets.UTF_8), "postgres", "--single",
                "-D", dataDir.toString(), "-c", "exit_on_error=on", "postgres");
        if (!r.ok()) {
            throw failure("could not set the password of " + USER + " in " + dataDir + " (single-user mode)", r, dataDir, -1);
        }
        EmbeddedAuth.writePassword(dataDir, password);
    }

    private record Started(int port, long pid) {}

    /**
     * Starts the server on {@code fixedPort} (0: a free one, retried if taken meanwhile); on a fixed port, keeps retrying
     * for {@code patience} while the remains of a killed server (pid file, shared memory, socket) are in the way.
     */
    private static Started startServer(EmbeddedBinaries binaries, Path dataDir, boolean ephemeral, int fixedPort, Duration patience) {
        Path logFile = dataDir.resolve(LOG_FILE);
        long deadline = System.nanoTime() + patience.toNanos();
        for (int attempt = 1; ; attempt++) {
            int port = fixedPort > 0 ? fixedPort : freePort();
            String options = "-c listen_addresses=127.0.0.1 -p " + port + " -c max_connections=200"
                    + " -c unix_socket_directories=" + socketDir(dataDir, port) + " -c unix_socket_permissions=0700"
                    + (ephemeral ? " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" : "");
            removeStalePidFile(dataDir);
            long logOffset = size(logFile);
            EmbeddedBinaries.Result r = binaries.run(COMMAND_TIMEOUT, "pg_ctl", "start", "-w", "-t", "60",
                    "-D", dataDir.toString(), "-l", logFile.toString(), "-o", options);
            OptionalLong pid = r.ok() ? livePostmaster(dataDir) : OptionalLong.empty();
            if (pid.isPresent()) {
                return new Started(port, pid.getAsLong());
            }
            String newLog = tail(logFile, logOffset);
            boolean portTaken = newLog.contains("could not bind") || newLog.contains("could not create any TCP/IP sockets");
            if (fixedPort == 0 && attempt < 3 && portTaken) {
                log.info("port {} was taken before PostgreSQL could bind it; retrying with another", port);
                continue;
            }
            boolean remains = portTaken || newLog.contains("lock file") || newLog.contains("shared memory block");
            if (fixedPort > 0 && remains && System.nanoTime() < deadline) {
                sleep(500);
                continue;
            }
            throw failure("PostgreSQL failed to start", r, dataDir, logOffset);
        }
    }

    /** The socket dir as a shell word: the 0700 data dir if its socket path stays short and needs no quoting, else none. */
    private static String socketDir(Path dataDir, int port) {
        String dir = dataDir.toString();
        boolean plain = dir.matches("[A-Za-z0-9/._-]+");
        return plain && (dir + "/.s.PGSQL." + port).length() < 100 ? dir : "''";
    }

    /**
     * Removes a postmaster.pid whose process is gone (or a zombie nobody reaped yet, which PostgreSQL would take for a
     * live postmaster). Safe because we hold the data dir's lock.
     */
    private static void removeStalePidFile(Path dataDir) {
        OptionalLong named = pidFileEntry(dataDir);
        if (named.isPresent() && !alive(named.getAsLong())) {
            try {
                Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
            } catch (IOException e) {
                log.warn("could not remove the stale {}: {}", dataDir.resolve("postmaster.pid"), e.getMessage());
            }
        }
    }

    /** The port of a ready postmaster already serving {@code dataDir}, waiting while it is still starting up. */
    private static int adoptablePort(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<String> lines;
            try {
                lines = Files.readAllLines(pidFile);
            } catch (IOException e) {
                throw new IllegalStateException("the PostgreSQL server on " + dataDir + " went away while being adopted: " + e);
            }
            if (lines.size() >= 8 && lines.get(7).trim().equals("ready")) {
                try {
                    return Integer.parseInt(lines.get(3).trim());
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

    /** The pid postmaster.pid names, if any (negative, for a single-user backend, made positive). */
    private static OptionalLong pidFileEntry(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return OptionalLong.of(Math.abs(Long.parseLong(lines.getFirst().trim())));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** The pid of a live postmaster according to {@code postmaster.pid}, if any. */
    private static OptionalLong livePostmaster(Path dataDir) {
        OptionalLong pid = pidFileEntry(dataDir);
        return pid.isPresent() && alive(pid.getAsLong()) ? pid : OptionalLong.empty();
    }

    /** Whether {@code pid} is a running (not zombie) process named postgres. */
    static boolean alive(long pid) {
        String stat = EmbeddedBinaries.read(Path.of("/proc", Long.toString(pid), "stat"));
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= stat.length()) {
            return false;
        }
        char state = stat.charAt(close + 2);
        return stat.substring(open + 1, close).equals("postgres") && state != 'Z' && state != 'X';
    }

    /**
     * Stops postmaster {@code pid}: SIGINT (fast shutdown), then SIGQUIT if it lingers. Signals go from this JVM, not
     * through pg_ctl, so exactly that process is stopped, whichever namespace or user it runs in.
     */
    private static void stopPid(Path dataDir, long pid) {
        signal(pid, "INT");
        if (awaitExit(pid, Duration.ofSeconds(60))) {
            return;
        }
        log.warn("PostgreSQL (pid {}, {}) did not stop within 60 s of a fast shutdown; sending SIGQUIT", pid, dataDir);
        signal(pid, "QUIT");
        if (!awaitExit(pid, Duration.ofSeconds(10))) {
            throw new IllegalStateException("could not stop PostgreSQL (pid " + pid + ") on " + dataDir + "; see "
                    + dataDir.resolve(LOG_FILE));
        }
    }

    private static void signal(long pid, String signal) {
        for (String kill : List.of("/usr/bin/kill", "/bin/kill")) {
            if (Files.isExecutable(Path.of(kill))) {
                try {
                    Process p = new ProcessBuilder(kill, "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
                    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                    p.waitFor(10, TimeUnit.SECONDS);
                    return;
                } catch (IOException e) {
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while signalling PostgreSQL (pid " + pid + ")", e);
                }
            }
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy); // SIGTERM: a smart shutdown
    }

    private static boolean awaitExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
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
