package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One bad member of a group commit fails alone; an outage fails (or, when retrying, waits out) the whole group. */
class GroupCommitterTest {
    private Database db;
    private Jdbc jdbc;
    private final AtomicInteger transactions = new AtomicInteger();
    private volatile CountDownLatch hold = new CountDownLatch(0);
    private volatile int holdAt = -1;

    @BeforeEach
    void createTable() {
        db = Database.open(TestPostgres.embedded(), "classpath:db/testmigration");
        jdbc = new Jdbc(db.dataSource());
        // The database refuses 'poison' (a check constraint: SQLState 23514), as it refuses an over-long index key.
        jdbc.inTransaction(c -> Jdbc.update(c, "create table items (name text primary key check (name <> 'poison'))", ps -> {}));
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** Inserts each item; "conflict" is refused by the work itself, as ingest refuses a reused idempotency key. */
    private List<String> insert(Connection c, List<String> names) throws SQLException {
        if (transactions.incrementAndGet() == holdAt) {
            awaitRelease(hold);
        }
        try (PreparedStatement ps = c.prepareStatement("insert into items (name) values (?)")) {
            for (String n : names) {
                if (n.equals("conflict")) {
                    throw new IllegalArgumentException("conflict: already used for something else");
                }
                ps.setString(1, n);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return names.stream().map(n -> "stored " + n).toList();
    }

    private GroupCommitter<String, String> committer(GroupCommitter.Config config) {
        return new GroupCommitter<>(jdbc, config, s -> 1, this::insert).start();
    }

    /** Submits {@code names} while the committer is held in a transaction of its own ("first"), so they all form the next group. */
    private List<CompletableFuture<String>> submitAsOneGroup(GroupCommitter<String, String> c, List<String> names) {
        hold = new CountDownLatch(1);
        holdAt = transactions.get() + 1;
        CompletableFuture<String> first = c.submit("first");
        await().atMost(Duration.ofSeconds(10)).until(() -> transactions.get() == holdAt);
        List<CompletableFuture<String>> out = new ArrayList<>();
        names.forEach(n -> out.add(c.submit(n)));
        hold.countDown();
        first.handle((ok, failed) -> null).join();
        return out;
    }

    @Test
    void aMemberTheDatabaseRefusesFailsAloneAndTheRestOfItsGroupCommits() {
        try (GroupCommitter<String, String> c = committer(GroupCommitter.Config.failFast("test", 1000))) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                names.add(i == 17 ? "poison" : "good-" + i);
            }
            List<CompletableFuture<String>> results = submitAsOneGroup(c, names);

            for (int i = 0; i < names.size(); i++) {
                if (i == 17) {
                    int at = i;
                    assertThatThrownBy(() -> results.get(at).join()).isInstanceOf(CompletionException.class)
                            .hasCauseInstanceOf(StoreException.class)
                            .satisfies(e -> assertThat(((StoreException) e.getCause()).refusedInput()).isTrue());
                } else {
                    assertThat(results.get(i).join()).isEqualTo("stored " + names.get(i));
                }
            }
            assertThat(count()).isEqualTo(40); // "first" and the 39 good ones
            GroupCommitter.Stats stats = c.stats();
            assertThat(stats.memberFailures()).isEqualTo(1);
            assertThat(stats.outages()).isZero();
            assertThat(stats.splits()).as("bisected, not retried one by one").isBetween(1L, 12L);
            assertThat(stats.items()).isEqualTo(40);
        }
    }

    @Test
    void aMemberTheWorkRefusesFailsAloneWithTheWorksException() {
        try (GroupCommitter<String, String> c = committer(GroupCommitter.Config.failFast("test", 1000))) {
            List<CompletableFuture<String>> results = submitAsOneGroup(c, List.of("a", "conflict", "b"));
            assertThat(results.get(0).join()).isEqualTo("stored a");
            assertThat(results.get(2).join()).isEqualTo("stored b");
            assertThatThrownBy(() -> c.commit("conflict")).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("conflict");
            assertThat(c.stats().memberFailures()).isEqualTo(2);
        }
    }

    @Test
    void anOutageFailsTheWholeGroupAtOnceWithoutSplittingIt() {
        try (GroupCommitter<String, String> c = committer(GroupCommitter.Config.failFast("test", 1000))) {
            c.commit("warm");
            jdbc.inTransaction(c2 -> Jdbc.update(c2, "alter table items rename to items_away", ps -> {}));
            List<CompletableFuture<String>> results = submitAsOneGroup(c, List.of("x", "y", "z"));
            for (CompletableFuture<String> r : results) {
                assertThatThrownBy(r::join).hasCauseInstanceOf(StoreException.class)
                        .satisfies(e -> assertThat(GroupCommitter.isOutage(e)).isTrue());
            }
            assertThat(c.stats().splits()).isZero();
            assertThat(c.stats().memberFailures()).isZero();
            assertThat(c.stats().outages()).isPositive();
        }
    }

    @Test
    void aRetryingCommitterWaitsOutAnOutageAndLosesNothing() {
        GroupCommitter.Config retrying = new GroupCommitter.Config("test", 1000, 100, true, Duration.ofMillis(20), Duration.ofMillis(100));
        try (GroupCommitter<String, String> c = committer(retrying)) {
            c.commit("warm");
            jdbc.inTransaction(c2 -> Jdbc.update(c2, "alter table items rename to items_away", ps -> {}));
            List<CompletableFuture<String>> results = List.of(c.submit("r1"), c.submit("r2"));
            await().atMost(Duration.ofSeconds(10)).until(() -> c.stats().outages() >= 2);
            assertThat(results).noneMatch(CompletableFuture::isDone);
            jdbc.inTransaction(c2 -> Jdbc.update(c2, "alter table items_away rename to items", ps -> {}));
            assertThat(results.get(0).join()).isEqualTo("stored r1");
            assertThat(results.get(1).join()).isEqualTo("stored r2");
            assertThat(count()).isEqualTo(3);
        }
    }

    @Test
    void closeCommitsWhatIsQueuedAndThenRefusesNewWork() {
        GroupCommitter<String, String> c = committer(GroupCommitter.Config.failFast("test", 1000));
        List<CompletableFuture<String>> results = submitAsOneGroup(c, List.of("q1", "q2"));
        c.close();
        assertThat(results).allMatch(r -> r.isDone() && !r.isCompletedExceptionally());
        assertThatThrownBy(() -> c.commit("late")).isInstanceOf(IllegalStateException.class);
        assertThat(count()).isEqualTo(3);
    }

    @Test
    void anItemHeavierThanAGroupStillCommitsInAGroupOfItsOwn() {
        try (GroupCommitter<String, String> c = new GroupCommitter<>(jdbc, GroupCommitter.Config.failFast("test", 10), s -> 25, this::insert).start()) {
            assertThat(c.commit("heavy")).isEqualTo("stored heavy");
            assertThat(c.stats().groups()).isEqualTo(1);
        }
    }

    private long count() {
        return jdbc.read(c -> Jdbc.query(c, "select count(*) from items", ps -> {}, rs -> rs.getLong(1))).getFirst();
    }

    private static void awaitRelease(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aLingeringGroupTakesWhatArrivesWithinTheLingerAndStillRespectsItsWeight() throws Exception {
        try (GroupCommitter<String, String> c = committer(GroupCommitter.Config.retrying("test", 3).withLinger(Duration.ofSeconds(2)))) {
            CompletableFuture<String> a = c.submit("a");
            Thread.sleep(100); // the queue has run dry: the group of "a" waits for more
            CompletableFuture<String> b = c.submit("b");
            assertThat(b.get(10, TimeUnit.SECONDS)).isEqualTo("stored b");
            assertThat(a.get(10, TimeUnit.SECONDS)).isEqualTo("stored a");
            assertThat(transactions.get()).as("a and b in one transaction").isEqualTo(1);

            List<CompletableFuture<String>> four = List.of(c.submit("c"), c.submit("d"), c.submit("e"), c.submit("f"));
            for (CompletableFuture<String> f : four) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(transactions.get()).as("a full group commits at once, the fourth item starts the next").isEqualTo(3);
        }
    }
}
