package dev.herald.testing;

import dev.herald.store.DatabaseConfig;
import dev.herald.store.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/**
 * Fresh, empty PostgreSQL databases for tests: on a shared embedded PostgreSQL 17 (always available) and on the
 * real server at 127.0.0.1:5432 (when it answers; mandatory when {@code CI=true}).
 */
public final class TestPostgres {

    private static final String REAL_HOST = "127.0.0.1:5432";
    private static final List<String> REAL_USERS = List.of("postgres", "root");
    private static final List<String> realSchemas = new CopyOnWriteArrayList<>();
    private static volatile Optional<String> realUser; // null until probed; empty when the server did not answer
    private static volatile String realFailure;

    private TestPostgres() {}

    /** A fresh database on this JVM's shared ephemeral embedded PostgreSQL (started on first use, stopped at exit). */
    public static DatabaseConfig embedded() {
        EmbeddedPostgres pg = Shared.PG;
        String name = "t_" + randomSuffix();
        pg.createDatabase(name);
        return DatabaseConfig.fromUrl(pg.jdbcUrl(name));
    }

    /**
     * A fresh schema in database {@code test} on the real server at 127.0.0.1:5432 (dropped at JVM exit), or empty if it does not answer;
     * with {@code CI=true} an unreachable server is an {@link AssertionError} instead.
     */
    public static Optional<DatabaseConfig> realServer() {
        Optional<String> user = probeRealServer();
        if (user.isEmpty()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError("CI=true requires the real PostgreSQL at " + REAL_HOST + ": " + realFailure);
            }
            return Optional.empty();
        }
        // A schema, not a database: DROP DATABASE checkpoints the real server each time, DROP SCHEMA is cheap.
        String name = "herald_t_" + randomSuffix();
        try (Connection c = connect("test", user.get()); Statement s = c.createStatement()) {
            s.execute("create schema " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create schema " + name + " on " + REAL_HOST + ": " + e.getMessage(), e);
        }
        realSchemas.add(name);
        return Optional.of(DatabaseConfig.fromUrl("jdbc:postgresql://" + REAL_HOST + "/test?user=" + user.get() + "&currentSchema=" + name));
    }

    /** Each available target as a named {@link DatabaseConfig} for {@code @ParameterizedTest @MethodSource}: embedded, plus real if present. */
    public static Stream<Named<DatabaseConfig>> allTargets() {
        return Stream.concat(
                Stream.of(Named.of("embedded PostgreSQL 17", embedded())),
                realServer().map(c -> Named.of("real PostgreSQL at " + REAL_HOST, c)).stream());
    }

    private static synchronized Optional<String> probeRealServer() {
        if (realUser != null) {
            return realUser;
        }
        StringBuilder failures = new StringBuilder();
        for (String user : REAL_USERS) {
            try (Connection c = connect("test", user)) {
                realUser = Optional.of(user);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> dropRealDatabases(user), "herald-test-pg-drop"));
                return realUser;
            } catch (SQLException e) {
                failures.append(failures.isEmpty() ? "" : "; ").append("as ").append(user).append(": ").append(e.getMessage());
            }
        }
        realFailure = failures.toString();
        realUser = Optional.empty();
        return realUser;
    }

    private static void dropRealDatabases(String user) {
        if (realSchemas.isEmpty()) {
            return;
        }
        try (Connection c = connect("test", user); Statement s = c.createStatement()) {
            for (String name : realSchemas) {
                s.execute("drop schema if exists " + name + " cascade");
            }
        } catch (SQLException ignored) {
            // best effort: a leftover herald_t_* schema is harmless
        }
    }

    private static Connection connect(String database, String user) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("connectTimeout", "3");
        props.setProperty("loginTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://" + REAL_HOST + "/" + database, props);
    }

    private static String randomSuffix() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Holds the shared embedded server; the JVM class-init lock makes its lazy start thread-safe. */
    private static final class Shared {
        static final EmbeddedPostgres PG = EmbeddedPostgres.startEphemeral(); // stops itself at JVM exit
    }
}
