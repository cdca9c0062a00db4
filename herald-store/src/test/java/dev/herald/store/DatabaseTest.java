package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.testing.TestPostgres;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DatabaseTest {

    private static final String TEST_MIGRATIONS = "classpath:db/testmigration";

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void migratesPoolsBatchesAndReportsReady(DatabaseConfig config) throws Exception {
        Database db = Database.open(config, TEST_MIGRATIONS);
        try (db) {
            assertThat(db.ready()).isTrue();
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("insert into widgets (id, name) values (?, ?)")) {
                    for (int i = 0; i < 100; i++) {
                        ps.setLong(1, i);
                        ps.setString(2, "w" + i);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.commit();
                try (Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("select count(*), min(colour), current_setting('application_name') from widgets")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(100);
                    assertThat(rs.getString(2)).isEqualTo("blue"); // V2 ran
                    assertThat(rs.getString(3)).isEqualTo("herald");
                }
            }
        }
        assertThat(db.ready()).isFalse();
        try (Database again = Database.open(config, TEST_MIGRATIONS)) { // nothing left to migrate
            assertThat(again.ready()).isTrue();
        }
    }

    @Test
    void readyTurnsFalseWhenTheServerGoesAway() {
        EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral();
        pg.createDatabase("gone");
        try (Database db = Database.open(DatabaseConfig.fromUrl(pg.jdbcUrl("gone")), TEST_MIGRATIONS)) {
            assertThat(db.ready()).isTrue();
            pg.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> !db.ready());
        } finally {
            pg.close();
        }
    }

    @Test
    void openFailsFastWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        DatabaseConfig config = DatabaseConfig.fromUrl("postgresql://herald:pw@127.0.0.1:" + port + "/nowhere");
        long start = System.nanoTime();
        assertThatThrownBy(() -> Database.open(config, TEST_MIGRATIONS))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot connect to")
                .hasMessageNotContaining("pw@");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void embeddedTargetsAreSeparateDatabases() throws Exception {
        try (Database a = Database.open(TestPostgres.embedded(), TEST_MIGRATIONS);
                Database b = Database.open(TestPostgres.embedded(), TEST_MIGRATIONS)) {
            try (Connection c = a.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("insert into widgets (id, name) values (1, 'only in a')");
            }
            try (Connection c = b.dataSource().getConnection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select count(*) from widgets")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
        }
    }
}
