package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.store.Database;
import dev.herald.store.Jdbc;
import dev.herald.testing.MutableClock;
import dev.herald.testing.TestPostgres;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A key revoked, deleted or replaced stops working everywhere within a second; a key nobody holds costs no query. */
class ApiKeyStoreTest {
    private static final String KEY = "configured-key-0123456789";
    private Database db;
    private CountingDataSource counted;
    private Jdbc jdbc;
    private final MutableClock clock = MutableClock.startingNow();

    @BeforeEach
    void open() {
        db = Database.open(TestPostgres.embedded(), "classpath:db/webtest");
        counted = new CountingDataSource(db.dataSource());
        jdbc = new Jdbc(counted);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private ApiKeyStore node() {
        return new ApiKeyStore(jdbc, "test_keys", clock);
    }

    @Test
    void theChangeHookRunsInTheKeysTransactionAndAFailingHookUndoesTheChange() {
        ApiKeyStore store = node();
        List<String> heard = new ArrayList<>();
        ApiKeyStore.Made made = store.create("ops", "m1", List.of("merchant:read"), "tk_", (c, before, after) -> {
            int visible = Jdbc.query(c, "select count(*) from test_keys where id = ?", ps -> ps.setString(1, after.id()), rs -> rs.getInt(1)).getFirst();
            heard.add("create " + (before == null) + " " + after.name() + " " + visible);
        });
        assertThat(heard).containsExactly("create true ops 1");
        assertThat(store.verify(made.secret())).isPresent();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.revoke(made.key().id(), null, (c, before, after) -> {
            throw new SQLException("audit refused");
        })).hasMessageContaining("audit refused");
        clock.advance(Duration.ofSeconds(1));
        assertThat(store.verify(made.secret())).as("the revocation was rolled back with the hook").isPresent();

        assertThat(store.revoke(made.key().id(), null, (c, before, after) -> heard.add("revoke " + before.revokedAt() + " " + (after.revokedAt() != null))))
                .isTrue();
        assertThat(heard).last().isEqualTo("revoke null true");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.create("x", null, List.of("admin"), "tk_", (c, before, after) -> {
            throw new SQLException("audit refused");
        })).hasMessageContaining("audit refused");
        assertThat(store.list(null, null, 10)).extracting(ApiKeyStore.Listed::name).doesNotContain("x", "ops");
        assertThat(store.revoke("key_missing", null, (c, before, after) -> heard.add("never"))).isFalse();
        assertThat(heard).doesNotContain("never");
    }

    @Test
    void aKeyRevokedOnAnyNodeStopsWorkingWithinASecond() {
        ApiKeyStore a = node();
        ApiKeyStore b = node();
        a.bootstrap(KEY, "tk_");
        assertThat(a.verify(KEY)).isPresent();
        assertThat(b.verify(KEY)).isPresent();

        jdbc.inTransaction(c -> Jdbc.update(c, "update test_keys set revoked_at = now()", ps -> {}));
        clock.advance(Duration.ofSeconds(1));
        assertThat(a.verify(KEY)).isEmpty();
        assertThat(b.verify(KEY)).isEmpty();
    }

    @Test
    void theLivePrefixesAreKnownWithoutTheKeysAndARevokedKeysPrefixGoes() {
        ApiKeyStore store = node();
        ApiKeyStore.Made made = store.create("ops", null, List.of("admin"), "hk_", (c, before, after) -> {});
        String prefix = ApiKeyStore.prefixOf(made.secret());
        assertThat(prefix).hasSize(ApiKeyStore.PREFIX_LENGTH).isEqualTo(made.key().prefix());
        assertThat(store.livePrefix(prefix)).isTrue();
        assertThat(store.livePrefix(prefix.equals("hk_zzz") ? "hk_zzy" : "hk_zzz")).isFalse();
        store.revoke(made.key().id(), null, (c, before, after) -> {});
        assertThat(store.livePrefix(prefix)).isFalse();
    }

    @Test
    void aKeyWhoseRowIsDeletedStopsWorkingWithinASecond() {
        ApiKeyStore store = node();
        store.bootstrap(KEY, "tk_");
        assertThat(store.verify(KEY)).isPresent();
        jdbc.inTransaction(c -> Jdbc.update(c, "delete from test_keys", ps -> {}));
        clock.advance(Duration.ofMillis(1000));
        assertThat(store.verify(KEY)).isEmpty();
    }

    @Test
    void aNewConfiguredKeyReplacesThePreviousConfiguredOneButNotOtherKeys() {
        ApiKeyStore first = node();
        first.bootstrap(KEY, "tk_");
        jdbc.inTransaction(c -> Jdbc.update(c, "insert into test_keys (id, name, key_hash, prefix, origin, created_at)"
                + " values ('key_api', 'ops', sha256('made-through-the-api-0123'::bytea), 'made-t', 'api', now())", ps -> {}));

        ApiKeyStore restarted = node(); // a restart with another HERALD_ADMIN_KEY
        restarted.bootstrap("the-new-configured-key-456", "tk_");
        assertThat(restarted.verify("the-new-configured-key-456")).isPresent();
        assertThat(restarted.verify(KEY)).as("the old configured key").isEmpty();
        assertThat(restarted.verify("made-through-the-api-0123")).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(first.verify(KEY)).as("also on a node still running").isEmpty();
    }

    @Test
    void withoutAConfiguredKeyTheFirstStartGeneratesOneAndLaterStartsNone() {
        String generated = node().bootstrap(null, "tk_").orElseThrow();
        assertThat(generated).startsWith("tk_").hasSize(35);
        assertThat(node().bootstrap(null, "tk_")).isEmpty();
        assertThat(node().verify(generated)).isPresent();
        List<String> prefixes = jdbc.read(c -> Jdbc.query(c, "select prefix from test_keys", ps -> {}, rs -> rs.getString(1)));
        assertThat(prefixes).containsExactly(generated.substring(0, 6));
    }

    /** Garbage keys from 100 concurrent callers: no query at all while the set is fresh, one per interval after. */
    @Test
    void keysNobodyHoldsCostNoQuery() throws Exception {
        ApiKeyStore store = node();
        store.bootstrap(KEY, "tk_");
        assertThat(store.verify(KEY)).isPresent();
        int before = counted.connections.get();
        ExecutorService callers = Executors.newFixedThreadPool(100);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                String garbage = "garbage-" + i + "-0123456789";
                results.add(callers.submit(() -> store.verify(garbage).isPresent()));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isFalse();
            }
        } finally {
            callers.shutdown();
        }
        assertThat(counted.connections.get()).isEqualTo(before);

        for (int second = 0; second < 5; second++) {
            clock.advance(Duration.ofSeconds(1));
            for (int i = 0; i < 1000; i++) {
                assertThat(store.verify("garbage-" + i + "-abcdefghij")).isEmpty();
            }
        }
        assertThat(counted.connections.get() - before).as("one re-check a second").isEqualTo(5);
    }

    @Test
    void aTooLongOrMissingKeyIsRefusedUnread() {
        ApiKeyStore store = node();
        store.bootstrap(KEY, "tk_");
        assertThat(store.verify(null)).isEmpty();
        assertThat(store.verify("")).isEmpty();
        assertThat(store.verify("k".repeat(ApiKeyStore.MAX_LENGTH + 1))).isEmpty();
    }

    /** Counts the connections taken from the pool (each query of the store takes one). */
    private static final class CountingDataSource implements DataSource {
        final AtomicInteger connections = new AtomicInteger();
        private final DataSource delegate;

        CountingDataSource(DataSource delegate) {
            this.delegate = delegate;
        }

        @Override
        public Connection getConnection() throws SQLException {
            connections.incrementAndGet();
            return delegate.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            connections.incrementAndGet();
            return delegate.getConnection(user, password);
        }

        @Override public PrintWriter getLogWriter() throws SQLException { return delegate.getLogWriter(); }
        @Override public void setLogWriter(PrintWriter out) throws SQLException { delegate.setLogWriter(out); }
        @Override public void setLoginTimeout(int seconds) throws SQLException { delegate.setLoginTimeout(seconds); }
        @Override public int getLoginTimeout() throws SQLException { return delegate.getLoginTimeout(); }
        @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { return delegate.getParentLogger(); }
        @Override public <T> T unwrap(Class<T> iface) throws SQLException { return delegate.unwrap(iface); }
        @Override public boolean isWrapperFor(Class<?> iface) throws SQLException { return delegate.isWrapperFor(iface); }
    }
}
