package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server on its embedded PostgreSQL (issue 18): the sessions of Herald's pool log in as a role that is no superuser
 * and cannot run server programs ({@code COPY … FROM PROGRAM 'env'} would read the server's environment).
 */
class EmbeddedDatabaseRolesTest {

    @Test
    void theServersPoolIsNoSuperuserAndCannotRunServerPrograms(@TempDir Path dir) throws Exception {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, dir, null, true, false, 256 * 1024, 10, 16, 64, TestServer.ADMIN_KEY);
        try (HeraldServer server = HeraldServer.start(cfg, Clock.systemUTC())) {
            Path pg = dir.resolve("postgres");
            int port = Integer.parseInt(Files.readAllLines(pg.resolve("postmaster.pid")).get(3).strip());
            String base = "jdbc:postgresql://127.0.0.1:" + port + "/herald";
            List<String> poolRoles = new ArrayList<>();
            try (Connection su = DriverManager.getConnection(base, "herald", Files.readString(pg.resolve("herald.password")).strip());
                 Statement s = su.createStatement();
                 ResultSet rs = s.executeQuery("select a.usename, r.rolsuper from pg_stat_activity a join pg_roles r on r.rolname = a.usename"
                         + " where a.application_name = 'herald'")) {
                while (rs.next()) {
                    poolRoles.add(rs.getString(1) + (rs.getBoolean(2) ? " (superuser)" : ""));
                }
            }
            assertThat(poolRoles).isNotEmpty().containsOnly("herald_app");

            try (Connection c = DriverManager.getConnection(base, "herald_app", Files.readString(pg.resolve("herald.runtime-password")).strip());
                 Statement s = c.createStatement()) {
                s.execute("create temp table leak (line text)");
                assertThatThrownBy(() -> s.execute("copy leak from program 'env'"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
                assertThatThrownBy(() -> s.execute("alter table audit_log disable trigger all"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
            }
        }
    }
}
