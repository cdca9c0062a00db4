package dev.herald.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.store.DatabaseConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;

class TestPostgresTest {

    @Test
    void realServerHandsOutAFreshEmptySchemaThatAcceptsConnections() throws Exception {
        Optional<DatabaseConfig> real = TestPostgres.realServer(); // throws instead of skipping when CI=true
        assumeTrue(real.isPresent(), "no PostgreSQL at 127.0.0.1:5432");
        DatabaseConfig cfg = real.get();
        assertThat(cfg.jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:5432/test?currentSchema=herald_t_");
        String schema = query(cfg, "select current_schema()");
        assertThat(schema).startsWith("herald_t_");
        assertThat(query(cfg, "select count(*) from pg_tables where schemaname = '" + schema + "'")).isEqualTo("0");
        assertThat(query(cfg, "select inet_server_port()")).as("the real server, not the embedded one").isEqualTo("5432");
    }

    @Test
    void embeddedHandsOutADifferentEmptyDatabaseEachCall() throws Exception {
        DatabaseConfig first = TestPostgres.embedded();
        DatabaseConfig second = TestPostgres.embedded();
        assertThat(first.jdbcUrl()).isNotEqualTo(second.jdbcUrl());
        execute(first, "create table mine (x int)");
        assertThat(query(second, "select count(*) from pg_tables where tablename = 'mine'")).isEqualTo("0");
        assertThat(query(first, "select current_setting('server_version_num')")).startsWith("17");
    }

    @Test
    void allTargetsAlwaysIncludesEmbeddedAndNamesEachTarget() throws Exception {
        var targets = TestPostgres.allTargets().toList();
        assertThat(targets).extracting(Named::getName).first().asString().startsWith("embedded");
        for (Named<DatabaseConfig> target : targets) {
            assertThat(query(target.getPayload(), "select 1")).isEqualTo("1");
        }
        if (TestPostgres.realServer().isPresent()) {
            assertThat(targets).hasSize(2);
        }
    }

    private static String query(DatabaseConfig cfg, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(cfg.jdbcUrl(), cfg.user(), cfg.password());
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(DatabaseConfig cfg, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(cfg.jdbcUrl(), cfg.user(), cfg.password());
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
