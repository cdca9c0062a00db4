package dev.herald.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * A pooled, migrated PostgreSQL database: {@link #open} connects and applies the caller's pending Flyway migrations.
 * The pool and the server-side application name are the caller's ({@link DatabaseConfig#applicationName()}); server
 * error details (which quote bound values) are kept out of exception messages, so nothing a client sent reaches a log.
 */
public final class Database implements AutoCloseable {

    private final HikariDataSource pool;
    private final boolean migrated;

    private Database(HikariDataSource pool, boolean migrated) {
        this.pool = pool;
        this.migrated = migrated;
    }

    /**
     * Opens a connection pool on {@code config} and migrates the schema from {@code migrationLocations} (e.g.
     * {@code classpath:db/migration}); fails fast if the database is unreachable.
     */
    public static Database open(DatabaseConfig config, String... migrationLocations) {
        if (migrationLocations.length == 0) {
            throw new IllegalArgumentException("at least one migration location is required");
        }
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
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to " + config + ": " + rootMessage(e), e);
        }
        try {
            Flyway flyway = Flyway.configure()
                    .dataSource(pool)
                    .locations(migrationLocations)
                    .load();
            flyway.migrate();
            boolean migrated = flyway.info().pending().length == 0;
            return new Database(pool, migrated);
        } catch (RuntimeException e) {
            pool.close();
            throw new IllegalStateException("cannot migrate " + config + ": " + rootMessage(e), e);
        }
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
