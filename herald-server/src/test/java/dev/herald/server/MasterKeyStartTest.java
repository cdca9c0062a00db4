package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.endpoint.EndpointDraft;
import dev.herald.seal.LocalMasterKey;
import dev.herald.seal.SealException;
import dev.herald.seal.WrongMasterKeyException;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a node's master key comes from at start: the embedded data directory's master.key (generated owner-only on
 * first start, never silently replaced), or HERALD_MASTER_KEY; a wrong key is refused naming both key ids; and
 * {@code herald keys rotate-master} re-wraps the data keys so the new key starts the node and the old one no longer does.
 */
@Timeout(240)
class MasterKeyStartTest {
    private static final String ADMIN_KEY = "master-key-test-admin-key-0123";
    private static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString("a-known-secret-of-thirty-two-by!".getBytes());

    @TempDir
    Path tmp;

    @Test
    void theEmbeddedDataDirectoryKeepsAGeneratedOwnerOnlyKeyAndNeverSilentlyReplacesIt() throws Exception {
        Path data = tmp.resolve("herald-data");
        Path keyFile = data.resolve("master.key");
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, data, null, true, false, 256 * 1024, 10, 16, 64, ADMIN_KEY);
        String id;
        try (HeraldServer server = HeraldServer.start(cfg, Clock.systemUTC())) {
            id = createEndpoint(server);
        }
        assertThat(keyFile).exists();
        assertThat(Files.getPosixFilePermissions(keyFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String generated = LocalMasterKey.read(keyFile).id();

        try (HeraldServer server = HeraldServer.start(cfg, Clock.systemUTC())) {
            assertThat(server.herald().endpoints().get(id).endpoint().secret()).as("the same key opens it after a restart").isEqualTo(SECRET);
        }

        Path kept = Files.move(keyFile, tmp.resolve("kept.key"));
        assertThatThrownBy(() -> HeraldServer.start(cfg, Clock.systemUTC())).isInstanceOf(SealException.class)
                .hasMessageContaining(keyFile.toString()).hasMessageContaining("is missing").hasMessageContaining("will not generate a new one");
        assertThat(keyFile).as("not regenerated").doesNotExist();

        LocalMasterKey.generate().writeNew(keyFile);
        assertThatThrownBy(() -> HeraldServer.start(cfg, Clock.systemUTC())).isInstanceOfSatisfying(WrongMasterKeyException.class,
                e -> assertThat(e.getMessage()).contains(generated, LocalMasterKey.read(keyFile).id()));

        // the kept key, given as a file: rotate to a new one; the data directory's master.key becomes the new key
        Files.move(kept, keyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LocalMasterKey next = LocalMasterKey.generate();
        Result rotated = run(Map.of("HERALD_NEW_MASTER_KEY", next.encoded()), "keys", "rotate-master", "--data-dir", data.toString());
        assertThat(rotated.code()).as(rotated.err()).isZero();
        assertThat(rotated.out()).contains("re-wrapped under master key " + next.id() + ": 1").doesNotContain(next.encoded());
        assertThat(LocalMasterKey.read(keyFile).id()).isEqualTo(next.id());
        assertThat(Files.getPosixFilePermissions(keyFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        try (HeraldServer server = HeraldServer.start(cfg, Clock.systemUTC())) {
            assertThat(server.herald().endpoints().get(id).endpoint().secret()).isEqualTo(SECRET);
        }
    }

    @Test
    void anExternalDatabaseRefusesAWrongKeyNamingBothIdsAndAcceptsTheRotatedOne() throws Exception {
        DatabaseConfig db = TestPostgres.embedded();
        String url = TestServer.databaseUrl(db);
        LocalMasterKey first = LocalMasterKey.generate();
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, tmp.resolve("unused"), url, true, false, 256 * 1024, 10, 16, 64, ADMIN_KEY);
        String id;
        try (HeraldServer server = HeraldServer.start(cfg.withMasterKey(first), Clock.systemUTC())) {
            id = createEndpoint(server);
        }

        LocalMasterKey other = LocalMasterKey.generate();
        Result refused = run(Map.of("HERALD_MASTER_KEY", other.encoded(), "HERALD_DATABASE_URL", url, "HERALD_ADMIN_KEY", ADMIN_KEY),
                "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", tmp.resolve("unused").toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("herald: could not start: the master key given (id " + other.id() + ")", "(id " + first.id() + ")")
                .doesNotContain(other.encoded()).doesNotContain(first.encoded());

        LocalMasterKey next = LocalMasterKey.generate();
        Path nextFile = tmp.resolve("next.key");
        next.writeNew(nextFile);
        Map<String, String> env = Map.of("HERALD_MASTER_KEY", first.encoded(), "HERALD_DATABASE_URL", url);
        Result rotated = run(env, "keys", "rotate-master", "--new-master-key-file", nextFile.toString());
        assertThat(rotated.code()).as(rotated.err()).isZero();
        assertThat(run(env, "keys", "rotate-master", "--new-master-key-file", nextFile.toString()).out())
                .as("idempotent").contains(": 0 (already: 1)");
        assertThatThrownBy(() -> HeraldServer.start(cfg.withMasterKey(first), Clock.systemUTC())).isInstanceOf(WrongMasterKeyException.class);
        try (HeraldServer server = HeraldServer.start(cfg.withMasterKey(next), Clock.systemUTC())) {
            assertThat(server.herald().endpoints().get(id).endpoint().secret()).isEqualTo(SECRET);
        }
    }

    private static String createEndpoint(HeraldServer server) {
        return server.herald().endpoints().create(dev.herald.testing.EngineHarness.OP, new EndpointDraft(null, "at rest", null, "http://127.0.0.1:9/hook", List.of("*"),
                Map.of("X-Api-Key", "header-value"), SECRET, null, null, null, null, null)).id();
    }

    record Result(int code, String out, String err) {}

    private static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, env, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }
}
