package dev.herald.bench;

import dev.herald.store.DatabaseConfig;
import dev.herald.store.EmbeddedPostgres;
import java.io.IOException;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The PostgreSQL server the benchmark runs Herald against: creates and drops a fresh database per phase, reads what a
 * phase wrote (pg_stat_database, per-table counters, row counts, WAL) and, when the server runs on this machine, its CPU
 * time from /proc (the postmaster, its live children and its reaped children).
 */
final class PgServer implements AutoCloseable {
    private final String hostPort;
    private final String user;
    private final String password;
    private final String adminDatabase;
    private final EmbeddedPostgres embedded;
    private final Path embeddedDir;
    private final boolean deleteDir;
    private long postmasterPid = -2; // -2: not probed, -1: not on this machine

    private PgServer(String hostPort, String user, String password, String adminDatabase, EmbeddedPostgres embedded, Path embeddedDir,
                     boolean deleteDir) {
        this.hostPort = hostPort;
        this.user = user;
        this.password = password;
        this.adminDatabase = adminDatabase;
        this.embedded = embedded;
        this.embeddedDir = embeddedDir;
        this.deleteDir = deleteDir;
    }

    /** The server of {@code url} ({@code postgresql://user@host:port/db} or jdbc form); {@code db} is used to create and drop. */
    static PgServer of(String url) {
        return of(DatabaseConfig.fromUrl(url));
    }

    static PgServer of(DatabaseConfig c) {
        String rest = c.jdbcUrl().substring("jdbc:postgresql://".length());
        int slash = rest.indexOf('/');
        int q = rest.indexOf('?');
        String db = rest.substring(slash + 1, q < 0 ? rest.length() : q);
        return new PgServer(rest.substring(0, slash), c.user(), c.password(), db, null, null, false);
    }

    /** Starts Herald's embedded PostgreSQL (durable, as Herald runs it) in a temp directory deleted on close unless kept. */
    static PgServer embedded(boolean keep) throws IOException {
        Path dir = Files.createTempDirectory("herald-bench-pg-");
        EmbeddedPostgres pg = EmbeddedPostgres.start(dir);
        String password = DatabaseConfig.fromUrl(pg.jdbcUrl("postgres")).password(); // the embedded server requires it
        return new PgServer("127.0.0.1:" + pg.port(), EmbeddedPostgres.USER, password, "postgres", pg, dir, !keep);
    }

    boolean isEmbedded() {
        return embedded != null;
    }

    /** Which server this is, without its password: the embedded one's data directory and port, or the URL of another. */
    String describe() {
        return embedded != null ? "embedded PostgreSQL at " + embeddedDir + " (port " + hostPort.substring(hostPort.lastIndexOf(':') + 1) + ")"
                : "PostgreSQL at postgresql://" + user + "@" + hostPort + "/" + adminDatabase;
    }

    /** A JDBC URL (credentials as parameters, as Herald's --database-url accepts) for {@code database}. */
    String url(String database) {
        StringBuilder sb = new StringBuilder("jdbc:postgresql://").append(hostPort).append('/').append(database)
                .append("?user=").append(URLEncoder.encode(user, StandardCharsets.UTF_8));
        if (password != null && !password.isEmpty()) {
            sb.append("&password=").append(URLEncoder.encode(password, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://" + hostPort + "/" + database, p);
    }

    void createDatabase(String name) throws SQLException {
        try (Connection c = connect(adminDatabase); Statement s = c.createStatement()) {
            s.execute("create database " + quote(name));
        }
    }

    void dropDatabase(String name) {
        try (Connection c = connect(adminDatabase); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + quote(name) + " with (force)");
        } catch (SQLException e) {
            System.err.println("bench: could not drop database " + name + ": " + e.getMessage());
        }
    }

    String version() {
        try (Connection c = connect(adminDatabase); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("show server_version")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** The server's current WAL position in bytes (cluster-wide). */
    long walBytes() {
        try (Connection c = connect(adminDatabase); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return 0;
        }
    }

    /** What Herald's phase left in {@code database}; waits (≤ 5 s) for its connections to end so their statistics are flushed. */
    Map<String, Object> stats(String database) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        try (Connection c = connect(database)) {
            counters(c, m);
            m.put("db_events", scalar(c, "select count(*) from events"));
            m.put("db_deliveries", scalar(c, "select count(*) from deliveries"));
            for (String status : new String[] {"pending", "delivered", "failed", "cancelled"}) {
                try (PreparedStatement ps = c.prepareStatement("select count(*) from deliveries where status = ?")) {
                    ps.setString(1, status);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        m.put("db_deliveries_" + status, rs.getLong(1));
                    }
                }
            }
            m.put("db_attempts", scalar(c, "select count(*) from attempts"));
            m.put("db_size_bytes", scalar(c, "select pg_database_size(current_database())"));
        }
        return m;
    }

    /** The commit and row counters of {@code database} (pg_stat_database, per table), read as {@link #stats} reads them. */
    Map<String, Object> counters(String database) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        try (Connection c = connect(database)) {
            counters(c, m);
        }
        return m;
    }

    /** Waits (≤ 5 s) for the phase's other connections to end so their statistics are flushed, then reads the counters. */
    private static void counters(Connection c, Map<String, Object> m) throws SQLException {
        for (int i = 0; i < 50 && scalar(c, "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()") > 0; i++) {
            sleep(100);
        }
        sleep(200);
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted from pg_stat_database where datname = current_database()")) {
            rs.next();
            m.put("pg_xact_commit", rs.getLong(1));
            m.put("pg_xact_rollback", rs.getLong(2));
            m.put("pg_tup_inserted", rs.getLong(3));
            m.put("pg_tup_updated", rs.getLong(4));
            m.put("pg_tup_deleted", rs.getLong(5));
            m.put("pg_rows_written", rs.getLong(3) + rs.getLong(4) + rs.getLong(5));
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select relname, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd from pg_stat_user_tables order by relname")) {
            while (rs.next()) {
                String t = rs.getString(1);
                if (t.startsWith("flyway")) {
                    continue;
                }
                m.put("pg_" + t + "_ins", rs.getLong(2));
                m.put("pg_" + t + "_upd", rs.getLong(3));
                m.put("pg_" + t + "_del", rs.getLong(4));
                m.put("pg_" + t + "_hot_upd", rs.getLong(5));
            }
        }
    }

    /**
     * Total CPU time (ns) used so far by the server's processes, when it runs on this machine and /proc is readable:
     * the postmaster's own and reaped-children time plus every live child's. Empty otherwise.
     */
    OptionalLong cpuNanos() {
        long pm = postmasterPid();
        if (pm < 0) {
            return OptionalLong.empty();
        }
        long[] own = procStat(pm);
        if (own == null) {
            return OptionalLong.empty();
        }
        long ticks = own[1] + own[2] + own[3] + own[4];
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    long[] st = procStat(Long.parseLong(name));
                    if (st != null && st[0] == pm) {
                        ticks += st[1] + st[2];
                    }
                }
            }
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(ticks * 10_000_000L); // USER_HZ is 100 on Linux
    }

    /** The postmaster's pid when the server runs on this machine, else -1. */
    synchronized long postmasterPid() {
        if (postmasterPid != -2) {
            return postmasterPid;
        }
        postmasterPid = -1;
        if (!(hostPort.startsWith("127.0.0.1:") || hostPort.startsWith("localhost:") || hostPort.startsWith("[::1]:"))) {
            return postmasterPid;
        }
        try (Connection c = connect(adminDatabase)) {
            long backend = scalar(c, "select pg_backend_pid()");
            long[] st = procStat(backend);
            if (st != null) {
                postmasterPid = st[0];
            }
        } catch (SQLException e) {
            // no CPU figures then
        }
        return postmasterPid;
    }

    /** {ppid, utime, stime, cutime, cstime} of a process, or null. */
    static long[] procStat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
            if (deleteDir) {
                try (Stream<Path> walk = Files.walk(embeddedDir)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    System.err.println("bench: could not delete " + embeddedDir + ": " + e.getMessage());
                }
            }
        }
    }
}
