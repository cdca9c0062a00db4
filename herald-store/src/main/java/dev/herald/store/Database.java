package dev.herald.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * A pooled, migrated PostgreSQL database: {@link #open} connects and applies the caller's pending Flyway migrations,
 * as the owner of the schema, and runs the pool as that role or as a runtime role with row privileges only.
 * The pool and the server-side application name are the caller's ({@link DatabaseConfig#applicationName()}); server
 * error details (which quote bound values) are kept out of exception messages, so nothing a client sent reaches a log.
 */
public final class Database implements AutoCloseable {

    private static final String HISTORY = "flyway_schema_history";

    private final HikariDataSource pool;
    private final HikariDataSource ownerPool;
    private final boolean migrated;

    private Database(HikariDataSource pool, HikariDataSource ownerPool, boolean migrated) {
        this.pool = pool;
        this.ownerPool = ownerPool;
        this.migrated = migrated;
    }

    /**
     * Opens a connection pool on {@code config} and migrates the schema from {@code migrationLocations} (e.g.
     * {@code classpath:db/migration}) as the same role; fails fast if the database is unreachable.
     */
    public static Database open(DatabaseConfig config, String... migrationLocations) {
        return open(config, config, migrationLocations);
    }

    /**
     * Migrates the schema from {@code migrationLocations} as {@code owner} (the role that owns the tables, and that
     * {@link #ownerDataSource()} connects as for DDL), grants {@code runtime}'s role what the service needs (see
     * {@link #grantRuntime}) and opens the pool ({@link #dataSource()}) as {@code runtime}. The same role for both is
     * {@link #open(DatabaseConfig, String...)}. Fails fast if the database is unreachable.
     */
    public static Database open(DatabaseConfig owner, DatabaseConfig runtime, String... migrationLocations) {
        if (migrationLocations.length == 0) {
            throw new IllegalArgumentException("at least one migration location is required");
        }
        boolean sameRole = owner.jdbcUrl().equals(runtime.jdbcUrl()) && owner.user().equals(runtime.user());
        HikariDataSource ownerPool = connect(sameRole ? runtime : owner.withMaxPoolSize(2).withApplicationName(runtime.applicationName() + "-owner"));
        boolean migrated;
        try {
            Flyway flyway = Flyway.configure()
                    .dataSource(ownerPool)
                    .locations(migrationLocations)
                    .load();
            flyway.migrate();
            migrated = flyway.info().pending().length == 0;
            if (!sameRole) {
                grantRuntime(ownerPool, runtime.user());
            }
        } catch (RuntimeException e) {
            ownerPool.close();
            throw new IllegalStateException("cannot migrate " + owner + ": " + rootMessage(e), e);
        }
        if (sameRole) {
            return new Database(ownerPool, ownerPool, migrated);
        }
        try {
            return new Database(connect(runtime), ownerPool, migrated);
        } catch (RuntimeException e) {
            ownerPool.close();
            throw e;
        }
    }

    /**
     * Grants {@code role} what the service does at run time, in the owner's current schema: use the schema; read, insert,
     * update and delete rows of its tables (those made later by the owner too, e.g. day partitions) and use its
     * sequences; read (only) the migration history; and, on PostgreSQL 17+, {@code MAINTAIN} (analyze) its tables. No
     * DDL, no ownership, nothing outside the schema.
     */
    static void grantRuntime(DataSource owner, String role) {
        try (Connection c = owner.getConnection(); Statement s = c.createStatement()) {
            String r = quote(role);
            String schema;
            int version;
            try (ResultSet rs = s.executeQuery("select quote_ident(current_schema()), current_setting('server_version_num')::int")) {
                rs.next();
                schema = rs.getString(1);
                version = rs.getInt(2);
            }
            String maintain = version >= 170000 ? ", maintain" : "";
            s.execute("grant usage on schema " + schema + " to " + r);
            s.execute("grant select, insert, update, delete" + maintain + " on all tables in schema " + schema + " to " + r);
            s.execute("grant usage, select, update on all sequences in schema " + schema + " to " + r);
            s.execute("alter default privileges in schema " + schema + " grant select, insert, update, delete" + maintain + " on tables to " + r);
            s.execute("alter default privileges in schema " + schema + " grant usage, select, update on sequences to " + r);
            s.execute("revoke insert, update, delete on " + schema + "." + HISTORY + " from " + r);
        } catch (SQLException e) {
            throw new IllegalStateException("could not grant the runtime role " + role + " its privileges: " + e.getMessage(), e);
        }
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static HikariDataSource connect(DatabaseConfig config) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName(config.applicationName());
        hc.setJdbcUrl(config.jdbcUrl());
        hc.setUsername(config.user());
        hc.setPassword(config.password());
        hc.setMaximumPoolSize(config.maxPoolSize());
        hc.setMinimumIdle(Math.min(2, config.maxPoolSize()));
        hc.setConnectionTimeout(5_000);
        hc.setValidationTimeout(1_000);
        hc.setIdleTimeout(60_000);
        hc.setMaxLifetime(30 * 60_000);
        hc.setKeepaliveTime(2 * 60_000);
        hc.addDataSourceProperty("reWriteBatchedInserts", "true");
        hc.addDataSourceProperty("ApplicationName", config.applicationName());
        hc.addDataSourceProperty("logServerErrorDetail", "false"); // "Key (ordering_key)=(…10 KB…)" stays out of messages
        hc.addDataSourceProperty("connectTimeout", "5");
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        try {
            return new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to " + config + ": " + rootMessage(e), e);
        }
    }

    /**
     * The pool of the role that owns the schema, for DDL (partitions) and maintenance; the same pool as
     * {@link #dataSource()} when one role does both.
     */
    public DataSource ownerDataSource() {
        return ownerPool;
    }

    /** The connection pool. */
    public DataSource dataSource() {
        return pool;
    }

    /**
     * Reports the pool's connections (active, idle, pending, acquire and usage times) to {@code tracker}, e.g. Hikari's
     * {@code MicrometerMetricsTrackerFactory}; may be called once.
     */
    public void trackMetrics(com.zaxxer.hikari.metrics.MetricsTrackerFactory tracker) {
        pool.setMetricsTrackerFactory(tracker);
    }

    /** True if the schema is fully migrated and {@code select 1} answers within about a second. */
    public boolean ready() {
        if (!migrated || pool.isClosed()) {
            return false;
        }
        FutureTask<Boolean> probe = new FutureTask<>(this::selectOne);
        Thread.ofVirtual().name("herald-db-ready").start(probe);
        try {
            return probe.get(1, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            probe.cancel(true);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Closes the pool; calling it again does nothing. */
    @Override
    public void close() {
        pool.close();
        ownerPool.close();
    }

    private boolean selectOne() throws Exception {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(1);
            try (ResultSet rs = s.executeQuery("select 1")) {
                return rs.next() && rs.getInt(1) == 1;
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
