package dev.herald.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.MutableClock;
import dev.herald.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OutboxRelayTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<AutoCloseable> closing = new ArrayList<>();

    static Stream<Named<DatabaseConfig>> targets() {
        return TestPostgres.allTargets();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private DataSource database(DatabaseConfig cfg) throws SQLException {
        Database db = Database.open(cfg.withMaxPoolSize(12), "classpath:db/none");
        closing.add(db);
        try (Connection c = db.dataSource().getConnection()) {
            Outbox.createTable(c);
            try (Statement st = c.createStatement()) {
                st.execute("create table account (key text primary key, version int not null)");
            }
        }
        return db.dataSource();
    }

    private OutboxRelay relay(DataSource ds, OutboxPublisher p, Clock clock) {
        OutboxRelay r = new OutboxRelay(ds, p, new OutboxRelay.Config(50, Duration.ofMillis(20), Duration.ofHours(1)), clock);
        closing.add(r);
        return r;
    }

    private static OutboxEvent event(String id, String key) {
        return new OutboxEvent(id, "account.updated", key, 0, "0af7651916cd43dd8448eb211c80319c",
                "{\"id\":\"" + id + "\",\"event\":\"account.updated\",\"account_uuid\":\"" + key + "\",\"data\":{}}");
    }

    private static void appendCommitted(DataSource ds, OutboxEvent... events) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Outbox.append(c, List.of(events));
            c.commit();
        }
    }

    /** Records every published event id, in publish order. */
    static final class Recording implements OutboxPublisher {
        final List<String> ids = new CopyOnWriteArrayList<>();

        @Override
        public void publish(List<OutboxEvent> events) {
            events.forEach(e -> ids.add(e.id()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void committedEventsArePublishedInCommitOrderAndMarkedSent(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        Recording rec = new Recording();
        OutboxRelay relay = relay(ds, rec, Clock.systemUTC());
        appendCommitted(ds, event("e1", "a"), event("e2", "b"));
        appendCommitted(ds, event("e3", "a"));

        assertThat(relay.relayOnce()).isEqualTo(3);
        assertThat(relay.relayOnce()).isZero();
        assertThat(rec.ids).containsExactly("e1", "e2", "e3");
        assertThat(unsent(ds)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aRolledBackTransactionEmitsNothing(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        Recording rec = new Recording();
        OutboxRelay relay = relay(ds, rec, Clock.systemUTC());
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Outbox.append(c, event("ghost", "a"));
            c.rollback();
        }
        appendCommitted(ds, event("real", "a"));

        assertThat(relay.relayOnce()).isEqualTo(1);
        assertThat(rec.ids).containsExactly("real");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void rowsOfAnOpenTransactionArePublishedOnlyOnceItCommits(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        Recording rec = new Recording();
        OutboxRelay relay = relay(ds, rec, Clock.systemUTC());
        try (Connection open = ds.getConnection()) {
            open.setAutoCommit(false);
            Outbox.append(open, event("open", "a"));
            appendCommitted(ds, event("committed", "b"));

            assertThat(relay.relayOnce()).isEqualTo(1);
            assertThat(rec.ids).containsExactly("committed");
            open.commit();
        }
        assertThat(relay.relayOnce()).isEqualTo(1);
        assertThat(rec.ids).containsExactly("committed", "open");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aPublisherFailingAfterPartialSuccessLosesNothingAndRepublishesWithTheSameIds(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        List<String> delivered = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        OutboxPublisher flaky = events -> {
            delivered.add(events.getFirst().id()); // the destination took the first event...
            if (calls.incrementAndGet() == 1) {
                throw new java.io.IOException("connection reset after the first event"); // ...then the publish failed
            }
            events.stream().skip(1).forEach(e -> delivered.add(e.id()));
        };
        OutboxRelay relay = relay(ds, flaky, Clock.systemUTC());
        appendCommitted(ds, event("p1", "a"), event("p2", "a"), event("p3", "a"));

        assertThatThrownBy(relay::relayOnce).hasMessageContaining("connection reset");
        assertThat(unsent(ds)).isEqualTo(3);
        assertThat(relay.relayOnce()).isEqualTo(3);
        assertThat(delivered).containsExactly("p1", "p1", "p2", "p3");
        assertThat(unsent(ds)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aRelayKilledBetweenPublishAndMarkLeavesTheRowsForTheNextRelay(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        List<String> delivered = new CopyOnWriteArrayList<>();
        OutboxPublisher thenDie = events -> {
            events.forEach(e -> delivered.add(e.id()));
            killLockHolder(ds); // the relay's database session dies before it can mark the rows sent
        };
        appendCommitted(ds, event("k1", "a"), event("k2", "b"));

        OutboxRelay dying = relay(ds, thenDie, Clock.systemUTC());
        assertThatThrownBy(dying::relayOnce).isInstanceOf(SQLException.class);
        assertThat(unsent(ds)).isEqualTo(2);

        OutboxRelay next = relay(ds, events -> events.forEach(e -> delivered.add(e.id())), Clock.systemUTC());
        assertThat(next.relayOnce()).isEqualTo(2);
        assertThat(delivered).containsExactly("k1", "k2", "k1", "k2");
        assertThat(unsent(ds)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void perKeyOrderHoldsWithConcurrentWritersThatLockTheKeyFirst(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        List<String> keys = List.of("k0", "k1", "k2", "k3");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String k : keys) {
                st.execute("insert into account values ('" + k + "', 0)");
            }
        }
        List<OutboxEvent> published = new CopyOnWriteArrayList<>();
        relay(ds, published::addAll, Clock.systemUTC()).start();
        int writers = 6;
        int perWriter = 60;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perWriter; i++) {
                    String key = keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
                    try (Connection c = ds.getConnection()) {
                        c.setAutoCommit(false);
                        int version;
                        try (PreparedStatement ps = c.prepareStatement("update account set version = version + 1 where key = ? returning version")) {
                            ps.setString(1, key);
                            try (ResultSet rs = ps.executeQuery()) {
                                rs.next();
                                version = rs.getInt(1);
                            }
                        }
                        Outbox.append(c, event(key + "-" + version, key));
                        c.commit();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }

        await().atMost(WAIT).until(() -> published.size() >= writers * perWriter);
        Map<String, List<Integer>> versions = new HashMap<>();
        for (OutboxEvent e : published) {
            versions.computeIfAbsent(e.orderingKey(), k -> new ArrayList<>()).add(Integer.parseInt(e.id().substring(e.id().indexOf('-') + 1)));
        }
        int total = 0;
        for (List<Integer> v : versions.values()) {
            assertThat(v).isSorted().doesNotHaveDuplicates();
            assertThat(v.getFirst()).isEqualTo(1);
            assertThat(v.getLast()).isEqualTo(v.size());
            total += v.size();
        }
        assertThat(total).isEqualTo(writers * perWriter);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void twoRelaysNeverPublishConcurrentlyAndEachEventGoesOutOnce(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<String> ids = new CopyOnWriteArrayList<>();
        OutboxPublisher slow = events -> {
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.sleep(5); // widen the window in which a second relay could overlap
            events.forEach(e -> ids.add(e.id()));
            inside.decrementAndGet();
        };
        relay(ds, slow, Clock.systemUTC()).start();
        relay(ds, slow, Clock.systemUTC()).start();
        for (int i = 0; i < 40; i++) {
            appendCommitted(ds, event("a" + i, "a"), event("b" + i, "b"));
        }

        await().atMost(WAIT).until(() -> ids.size() >= 80);
        assertThat(maxInside.get()).isEqualTo(1);
        assertThat(new LinkedHashSet<>(ids)).hasSize(ids.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void sentRowsOlderThanTheRetentionAreDeleted(DatabaseConfig cfg) throws Exception {
        DataSource ds = database(cfg);
        MutableClock clock = MutableClock.startingNow();
        OutboxRelay relay = relay(ds, new Recording(), clock);
        appendCommitted(ds, event("old", "a"));
        assertThat(relay.relayOnce()).isEqualTo(1);

        clock.advance(Duration.ofHours(2));
        appendCommitted(ds, event("new", "a"));
        assertThat(relay.relayOnce()).isEqualTo(1);

        assertThat(ids(ds)).containsExactly("new");
    }

    private static int unsent(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from herald_outbox where sent_at is null")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static List<String> ids(DataSource ds) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from herald_outbox order by seq")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Terminates the session holding this schema's outbox relay lock. */
    private static void killLockHolder(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("""
                     select pg_terminate_backend(l.pid) from pg_locks l
                     where l.locktype = 'advisory' and l.granted and l.pid <> pg_backend_pid()
                       and l.database = (select oid from pg_database where datname = current_database())
                       and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(current_schema() || '.herald_outbox', 0)""")) {
            assertThat(rs.next()).as("a relay holds the lock").isTrue();
        }
    }
}
