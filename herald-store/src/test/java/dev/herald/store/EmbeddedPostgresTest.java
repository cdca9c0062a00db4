package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresTest {

    @TempDir
    Path tmp;

    @Test
    void ephemeralServerRunsSqlAndVanishesOnClose() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral();
        Path dataDir = pg.dataDir();
        try {
            pg.createDatabase("app");
            assertThat(queryString(pg.jdbcUrl("app"), "select current_user || ' ' || version()"))
                    .startsWith("herald PostgreSQL 17.");
            assertThat(queryString(pg.jdbcUrl("app"), "show fsync")).isEqualTo("off");
        } finally {
            pg.close();
        }
        assertThat(acceptsConnections(pg.port())).isFalse();
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void durableServerKeepsDataAcrossRestartOnTheSameDataDir() throws Exception {
        Path dataDir = traversable(tmp).resolve("data");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            assertThat(queryString(pg.jdbcUrl("postgres"), "show fsync")).isEqualTo("on");
            assertThat(queryString(pg.jdbcUrl("postgres"), "show listen_addresses")).isEqualTo("127.0.0.1");
            pg.createDatabase("herald");
            execute(pg.jdbcUrl("herald"), "create table kept (v text); insert into kept values ('survives')");
        }
        assertThat(dataDir.resolve("PG_VERSION")).exists();
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            pg.createDatabase("herald"); // already there: no-op
            assertThat(queryString(pg.jdbcUrl("herald"), "select v from kept")).isEqualTo("survives");
        }
        assertThat(dataDir.resolve("postgres.log")).exists();
    }

    @Test
    void startReusesAServerLeftRunningByACrashedProcess() throws Exception {
        Path dataDir = traversable(tmp).resolve("data");
        EmbeddedPostgres crashed = EmbeddedPostgres.start(dataDir); // never closed by its "process"
        try {
            crashed.createDatabase("herald");
            execute(crashed.jdbcUrl("herald"), "create table kept (v text); insert into kept values ('before crash')");
            try (EmbeddedPostgres next = EmbeddedPostgres.start(dataDir)) {
                assertThat(next.port()).isEqualTo(crashed.port());
                assertThat(queryString(next.jdbcUrl("herald"), "select v from kept")).isEqualTo("before crash");
            }
            assertThat(acceptsConnections(crashed.port())).isFalse();
        } finally {
            assertThatCode(crashed::close).doesNotThrowAnyException(); // already stopped by its successor
        }
    }

    @Test
    void closeTwiceIsHarmless() {
        EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral();
        pg.close();
        assertThatCode(pg::close).doesNotThrowAnyException();
    }

    @Test
    void createDatabaseToleratesAnExistingDatabase() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral()) {
            pg.createDatabase("twice");
            pg.createDatabase("twice");
            assertThat(queryString(pg.jdbcUrl("twice"), "select current_database()")).isEqualTo("twice");
        }
    }

    @Test
    void refusesADataDirThatUserNobodyCannotReachWhenRunningAsRoot() throws IOException {
        assumeTrue(EmbeddedBinaries.isRoot(), "only root hands the server to nobody");
        Path locked = Files.createDirectories(tmp.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        assertThatThrownBy(() -> EmbeddedPostgres.start(locked.resolve("data")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(locked.toString())
                .hasMessageContaining("--data-dir under /tmp or /var/lib");
    }

    @Test
    void concurrentExtractorsShareOneCompleteCacheWithModesAndSymlinks() throws Exception {
        Path cache = tmp.resolve("cache");
        List<CompletableFuture<Path>> extractors = List.of(
                CompletableFuture.supplyAsync(() -> EmbeddedBinaries.extract(cache)),
                CompletableFuture.supplyAsync(() -> EmbeddedBinaries.extract(cache)));
        for (CompletableFuture<Path> f : extractors) {
            assertThat(f.get()).isEqualTo(cache);
        }
        assertThat(Files.isExecutable(cache.resolve("bin/postgres"))).isTrue();
        assertThat(Files.isSymbolicLink(cache.resolve("lib/libpq.so.5"))).isTrue();
        assertThat(Files.exists(cache.resolve("lib/libpq.so.5"))).isTrue(); // link target resolves
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwxr-xr-x");
        try (var siblings = Files.list(tmp)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("cache"); // no temp dirs left
        }
        assertThat(EmbeddedBinaries.extract(cache)).isEqualTo(cache); // already there: instant
    }

    /** JUnit's temp dirs are 0700; when we are root the server runs as nobody and must be able to get through. */
    private static Path traversable(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    static String queryString(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void execute(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static boolean acceptsConnections(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
