package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestServer;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestPostgres;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Revoking, deleting or re-configuring a key takes effect at once on a running node — not at its next restart, or never. */
class KeyRevocationTest {
    private static final String OTHER = "a-second-key-made-for-ops-42";

    @Test
    void aKeyRevokedOrDeletedInTheDatabaseIsRefusedWithinASecondOrTwo() {
        try (TestServer server = TestServer.start(true)) {
            Jdbc jdbc = server.jdbc();
            jdbc.inTransaction(c -> Jdbc.update(c, "insert into api_keys (id, name, key_hash, prefix, origin, created_at)"
                    + " values ('key_ops', 'ops', sha256(?::bytea), 'a-seco', 'api', now())", ps -> ps.setString(1, OTHER)));
            await().atMost(Duration.ofSeconds(5)).until(() -> status(server, OTHER) == 200);

            jdbc.inTransaction(c -> Jdbc.update(c, "update api_keys set revoked_at = now() where id = 'key_ops'", ps -> {}));
            long revoked = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).until(() -> status(server, OTHER) == 401);
            assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(Duration.ofMillis(2500));

            jdbc.inTransaction(c -> Jdbc.update(c, "delete from api_keys where origin = 'configured'", ps -> {}));
            await().atMost(Duration.ofSeconds(5)).until(() -> status(server, TestServer.ADMIN_KEY) == 401);
        }
    }

    @Test
    void restartingWithANewConfiguredAdminKeyRetiresTheOldOne() {
        DatabaseConfig db = TestPostgres.embedded();
        try (TestServer first = TestServer.start(true, Clock.systemUTC(), db, null, List.of("#"))) {
            assertThat(status(first, TestServer.ADMIN_KEY)).isEqualTo(200);
        }
        String replacement = "the-replacement-admin-key-0123";
        try (TestServer second = TestServer.start(true, Clock.systemUTC(), db, null, List.of("#"), replacement)) {
            assertThat(status(second, replacement)).isEqualTo(200);
            assertThat(status(second, TestServer.ADMIN_KEY)).as("the previous HERALD_ADMIN_KEY").isEqualTo(401);
        }
    }

    private static int status(TestServer server, String key) {
        return server.send(server.request("/v1/event-types").setHeader("Authorization", "Bearer " + key).GET().build()).status();
    }
}
