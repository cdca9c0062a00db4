package dev.herald;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.seal.LocalMasterKey;
import dev.herald.seal.Vault;
import dev.herald.store.Database;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestPostgres;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Secrets stored in plaintext by a version before sealing are sealed when a node starts, each once, and read the same. */
class PlaintextSealingTest {
    private static final String SECRET = "whsec_bGVnYWN5LXNlY3JldC1vZi10aGlydHktdHdvLWJ5dGVzISE=";
    private static final String OLD_SECRET = "whsec_b2xkLWxlZ2FjeS1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXRlcw==";
    private static final String MERCHANT_SECRET = "whsec_bWVyY2hhbnQtbGVnYWN5LXNlY3JldC1vZi10aGlydHktdHdvIQ==";
    private static final String HEADER = "legacy-header-value-7f3a";

    private Database db;
    private Jdbc jdbc;
    private final LocalMasterKey master = LocalMasterKey.generate();

    @BeforeEach
    void legacyRows() {
        db = Database.open(TestPostgres.embedded().withMaxPoolSize(8), Herald.MIGRATIONS);
        jdbc = new Jdbc(db.dataSource());
        jdbc.inTransaction(c -> {
            for (int i = 0; i < 450; i++) { // more than one batch
                String id = "ep_legacy_" + i;
                Jdbc.update(c, "insert into endpoints (id, merchant_id, name, url, events, headers, secret, previous_secret, previous_secret_until,"
                        + " retry_attempts, retry_schedule, timeout_seconds, created_at, updated_at)"
                        + " values (?, 'shop', 'legacy', 'http://127.0.0.1:9/hook', '{*}', ?::jsonb, ?, ?, now() + interval '1 hour', 3, '{1,2,3}', 5, now(), now())", ps -> {
                    ps.setString(1, id);
                    ps.setString(2, "{\"X-Api-Key\": \"" + HEADER + "\"}");
                    ps.setString(3, SECRET);
                    ps.setString(4, OLD_SECRET);
                });
            }
            Jdbc.update(c, "insert into merchants (id, name, secret, previous_secret, created_at, updated_at) values ('shop', 'Shop', ?, ?, now(), now())", ps -> {
                ps.setString(1, MERCHANT_SECRET);
                ps.setString(2, OLD_SECRET);
            });
            return null;
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aStartingNodeSealsEveryPlaintextSecretAndReadsThemAsBefore() {
        try (Herald herald = Herald.create(db.dataSource(), Herald.Config.defaults(master), Clock.systemUTC(), new SplittableRandom(1))) {
            assertThat(herald.endpoints().get("ep_legacy_3").endpoint().secret()).as("plaintext is read until it is sealed").isEqualTo(SECRET);
            herald.start();

            String dump = jdbc.read(c -> Jdbc.query(c, "select string_agg(e::text, '|') from endpoints e", ps -> {}, rs -> rs.getString(1))).getFirst()
                    + jdbc.read(c -> Jdbc.query(c, "select string_agg(m::text, '|') from merchants m", ps -> {}, rs -> rs.getString(1))).getFirst();
            assertThat(dump).doesNotContain(SECRET).doesNotContain(OLD_SECRET).doesNotContain(MERCHANT_SECRET).doesNotContain(HEADER);
            List<String> unsealed = jdbc.read(c -> Jdbc.query(c, "select id from endpoints where secret not like 'sealed:v1:%'"
                    + " or previous_secret not like 'sealed:v1:%' or headers->>'X-Api-Key' not like 'sealed:v1:%'", ps -> {}, rs -> rs.getString(1)));
            assertThat(unsealed).isEmpty();

            var stored = herald.endpoints().get("ep_legacy_449");
            assertThat(stored.endpoint().secret()).isEqualTo(SECRET);
            assertThat(stored.previousSecret()).isEqualTo(OLD_SECRET);
            assertThat(stored.endpoint().headers()).isEqualTo(Map.of("X-Api-Key", HEADER));
            assertThat(herald.merchants().get("shop").secret()).isEqualTo(MERCHANT_SECRET);
            assertThat(herald.merchants().get("shop").previousSecret()).isEqualTo(OLD_SECRET);
            assertThat(herald.sealPlaintext()).as("nothing left on a second start").isZero();
        }
    }

    @Test
    void nodesStartingTogetherSealEachValueOnce() throws Exception {
        Vault.open(jdbc, master); // the first data key, as the first node makes it
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Herald> nodes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                nodes.add(Herald.create(db.dataSource(), Herald.Config.defaults(master), Clock.systemUTC(), new SplittableRandom(i)));
            }
            List<Future<Integer>> sealed = new ArrayList<>();
            for (Herald node : nodes) {
                sealed.add(pool.submit((Callable<Integer>) node::sealPlaintext));
            }
            int total = 0;
            for (Future<Integer> f : sealed) {
                total += f.get();
            }
            // 450 endpoints x (secret, previous secret, header row) + the merchant's two secrets
            assertThat(total).isEqualTo(450 * 3 + 2);
            nodes.forEach(Herald::close);
        } finally {
            pool.shutdown();
        }
    }
}
