package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    private static HttpResponse<String> call(HeraldServer server, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TestServer.ADMIN_KEY).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

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

            // and the grants are enough for the work: an endpoint made (audited), an event published, the chain verified
            assertThat(call(server, "POST", "/v1/endpoints", "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"*\"]}").statusCode()).isEqualTo(201);
            assertThat(call(server, "POST", "/v1/events", "{\"event\":\"account.created\",\"data\":{\"n\":1}}").statusCode()).isEqualTo(202);
            HttpResponse<String> verified = call(server, "GET", "/v1/audit/verify", null);
            assertThat(verified.statusCode()).isEqualTo(200);
            assertThat(verified.body()).contains("\"ok\":true");

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
