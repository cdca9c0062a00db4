package dev.herald.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The hand-written consumer's record of its tries: one row per HTTP attempt in {@code payments.webhook_attempts}, a
 * plain table of the payment team's own schema, each INSERT committed on its own (autocommit) before the message is
 * acknowledged. Either unpooled — each consumer holds one connection from {@link DriverManager} and opens a
 * new one after a failure — or through a HikariCP pool that every consumer borrows from per row.
 */
final class AttemptLog implements AutoCloseable {
    static final String TABLE = "payments.webhook_attempts";
    private static final String INSERT = "insert into " + TABLE
            + " (message_id, event_type, url, status, error, duration_us) values (?, ?, ?, ?, ?, ?)";

    /** Writes the rows of one consumer; not thread-safe. */
    interface Writer extends AutoCloseable {
        /** Inserts and commits one attempt row; {@code status} 0 means no answer ({@code error} says why). */
        void write(String messageId, String eventType, String url, int status, String error, long durationMicros) throws SQLException;

        @Override
        void close();
    }

    private final String jdbcUrl;
    private final HikariDataSource pool;

    private AttemptLog(String jdbcUrl, HikariDataSource pool) {
        this.jdbcUrl = jdbcUrl;
        this.pool = pool;
    }

    /** Creates the schema and table (with an index on message_id, to look a message's tries up) if they are missing. */
    static void createTable(String jdbcUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            s.execute("create schema if not exists payments");
            s.execute("create table if not exists " + TABLE + " (id bigserial primary key, message_id text not null, event_type text not null,"
                    + " url text not null, status int not null, error text, duration_us bigint not null, attempted_at timestamptz not null default now())");
            s.execute("create index if not exists webhook_attempts_message_id on " + TABLE + " (message_id)");
        }
    }

    /**
     * What the table holds: {@code db_attempt_rows} (every try), {@code db_attempt_rows_2xx}, and {@code db_delivered_pairs},
     * the distinct (message, URL) pairs with a 2xx row, which must cover every delivery the fleet acknowledged.
     */
    static java.util.Map<String, Object> summary(String jdbcUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(
                "select count(*), count(*) filter (where status between 200 and 299),"
                        + " (select count(*) from (select distinct message_id, url from " + TABLE + " where status between 200 and 299) d) from " + TABLE)) {
            rs.next();
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("db_attempt_rows", rs.getLong(1));
            m.put("db_attempt_rows_2xx", rs.getLong(2));
            m.put("db_delivered_pairs", rs.getLong(3));
            return m;
        }
    }

    /** One connection per consumer, no pool. */
    static AttemptLog unpooled(String jdbcUrl) {
        return new AttemptLog(jdbcUrl, null);
    }

    /** A HikariCP pool of {@code size} connections shared by the consumers. */
    static AttemptLog pooled(String jdbcUrl, int size) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(jdbcUrl);
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(size);
        c.setAutoCommit(true);
        c.setPoolName("payments-db");
        c.setConnectionTimeout(10_000);
        return new AttemptLog(jdbcUrl, new HikariDataSource(c));
    }

    /** A writer for one consumer (whose messages are handled one at a time). */
    Writer writer() {
        return pool != null ? new PooledWriter(pool) : new UnpooledWriter(jdbcUrl);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private static void insert(Connection c, String messageId, String eventType, String url, int status, String error, long micros) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, messageId);
            ps.setString(2, eventType);
            ps.setString(3, url);
            ps.setInt(4, status);
            ps.setString(5, error);
            ps.setLong(6, micros);
            ps.executeUpdate();
        }
    }

    private static final class PooledWriter implements Writer {
        private final HikariDataSource pool;

        PooledWriter(HikariDataSource pool) {
            this.pool = pool;
        }

        @Override
        public void write(String messageId, String eventType, String url, int status, String error, long micros) throws SQLException {
            try (Connection c = pool.getConnection()) {
                insert(c, messageId, eventType, url, status, error, micros);
            }
        }

        @Override
        public void close() {}
    }

    private static final class UnpooledWriter implements Writer {
        private final String jdbcUrl;
        private Connection connection;

        UnpooledWriter(String jdbcUrl) {
            this.jdbcUrl = jdbcUrl;
        }

        @Override
        public void write(String messageId, String eventType, String url, int status, String error, long micros) throws SQLException {
            if (connection == null) {
                connection = DriverManager.getConnection(jdbcUrl);
            }
            try {
                insert(connection, messageId, eventType, url, status, error, micros);
            } catch (SQLException e) {
                close(); // the next write opens a fresh connection
                throw e;
            }
        }

        @Override
        public void close() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // gone anyway
                }
                connection = null;
            }
        }
    }
}
