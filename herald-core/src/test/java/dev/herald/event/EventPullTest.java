package dev.herald.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.herald.Herald;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pull cursor never skips or repeats an event, whatever the transaction ids and however late a commit comes. */
class EventPullTest {
    private final EventRepository events = new EventRepository();

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void eventCommittedLateIsStillPulledAfterTheCursor(DatabaseConfig cfg) throws Exception {
        try (Database db = Database.open(cfg, Herald.MIGRATIONS)) {
            Jdbc jdbc = new Jdbc(db.dataSource());
            try (Connection slow = db.dataSource().getConnection()) {
                slow.setAutoCommit(false);
                events.insertAllIfAbsent(slow, List.of(event("evt_slow")));       // takes a lower seq, commits last
                jdbc.inTransaction(c -> events.insertAllIfAbsent(c, List.of(event("evt_fast"))));

                List<StoredEvent> first = jdbc.read(c -> events.pull(c, null, null, 100, null));
                assertThat(first).as("nothing is handed out while an older transaction is open").isEmpty();

                slow.commit();
            }
            List<StoredEvent> all = jdbc.read(c -> events.pull(c, null, null, 100, null));
            assertThat(all).extracting(StoredEvent::id).containsExactlyInAnyOrder("evt_slow", "evt_fast");

            String cursor = all.getLast().cursor();
            jdbc.inTransaction(c -> events.insertAllIfAbsent(c, List.of(event("evt_next"))));
            // Any transaction open anywhere on the server holds the horizon back (a shared real server has others' sessions).
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                List<StoredEvent> next = jdbc.read(c -> events.pull(c, cursor, null, 100, null));
                assertThat(next).extracting(StoredEvent::id).containsExactly("evt_next");
            });
            List<StoredEvent> otherType = jdbc.read(c -> events.pull(c, cursor, "other.type", 100, null));
            assertThat(otherType).isEmpty();
        }
    }

    /**
     * Transaction ids of one, two, three and four digits: ordered as text, "3841" sorts before "917" and paging with a
     * small limit skipped events while {@code next_cursor} went backwards.
     */
    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void pagingOverTransactionIdsOfEveryDigitLengthSeesEachEventOnceInCursorOrder(DatabaseConfig cfg) {
        try (Database db = Database.open(cfg, Herald.MIGRATIONS)) {
            Jdbc jdbc = new Jdbc(db.dataSource());
            burnTransactionIdsPast(jdbc, 1100);
            long[] xids = {3, 7, 9, 10, 11, 42, 95, 99, 100, 101, 500, 917, 999, 1000, 1001, 1099};
            List<String> ids = new ArrayList<>();
            jdbc.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into events (xid, id, type, occurred_at, received_at, payload, part_day)"
                        + " values (?::text::xid8, ?, 'account.created', now(), now(), '\\x7b7d', (now() at time zone 'UTC')::date)")) {
                    for (int i = 0; i < 288; i++) { // interleaved, so sequence order and transaction id order disagree
                        String id = "evt_d" + i;
                        ps.setString(1, Long.toString(xids[i % xids.length]));
                        ps.setString(2, id);
                        ps.addBatch();
                        ids.add(id);
                    }
                    ps.executeBatch();
                }
                return null;
            });
            for (int limit : new int[] {1, 7, 100}) {
                List<StoredEvent> seen = pageAll(jdbc, limit, null);
                assertThat(seen).as("limit %d", limit).extracting(StoredEvent::id).containsExactlyInAnyOrderElementsOf(ids);
                assertStrictlyIncreasing(seen);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aReaderPagingWhileWritersCommitSeesEveryCommittedEventExactlyOnce(DatabaseConfig cfg) throws Exception {
        try (Database db = Database.open(cfg.withMaxPoolSize(8), Herald.MIGRATIONS)) {
            Jdbc jdbc = new Jdbc(db.dataSource());
            Set<String> committed = ConcurrentHashMap.newKeySet();
            ExecutorService writers = Executors.newFixedThreadPool(4);
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                running.add(writers.submit(() -> {
                    for (int i = 0; i < 60; i++) {
                        List<StoredEvent> batch = new ArrayList<>();
                        for (int k = 0; k <= i % 3; k++) {
                            batch.add(event("evt_w" + writer + "_" + i + "_" + k));
                        }
                        jdbc.inTransaction(c -> {
                            events.insertAllIfAbsent(c, batch);
                            sleepMillis(ThreadLocalRandom.current().nextInt(3)); // commits land out of xid order
                            return null;
                        });
                        batch.forEach(e -> committed.add(e.id()));
                    }
                    return null;
                }));
            }
            List<StoredEvent> seen = new ArrayList<>();
            String cursor = null;
            while (running.stream().anyMatch(f -> !f.isDone())) {
                List<StoredEvent> page = pull(jdbc, cursor, 7);
                seen.addAll(page);
                if (!page.isEmpty()) {
                    cursor = page.getLast().cursor();
                }
            }
            for (Future<?> f : running) {
                f.get();
            }
            writers.shutdown();
            String from = cursor;
            List<StoredEvent> rest = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                rest.clear();
                rest.addAll(pageAll(jdbc, 7, from));
                Set<String> all = new HashSet<>();
                seen.forEach(e -> all.add(e.id()));
                rest.forEach(e -> all.add(e.id()));
                assertThat(all).containsAll(committed);
            });
            seen.addAll(rest);
            assertThat(seen).extracting(StoredEvent::id).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(committed);
            assertStrictlyIncreasing(seen);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void garbageCursorIsAFieldError(DatabaseConfig cfg) {
        try (Database db = Database.open(cfg, Herald.MIGRATIONS)) {
            Jdbc jdbc = new Jdbc(db.dataSource());
            for (String bad : List.of("x", "-1", "1-", "1--2", "abc-def")) {
                assertThatThrownBy(() -> jdbc.read(c -> events.pull(c, bad, null, 10, null)))
                        .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("after"));
            }
        }
    }

    private List<StoredEvent> pull(Jdbc jdbc, String cursor, int limit) {
        return jdbc.read(c -> events.pull(c, cursor, null, limit, null));
    }

    /** Every page from {@code cursor} until an empty one, as the API's clients page. */
    private List<StoredEvent> pageAll(Jdbc jdbc, int limit, String cursor) {
        List<StoredEvent> out = new ArrayList<>();
        String at = cursor;
        while (true) {
            List<StoredEvent> page = pull(jdbc, at, limit);
            if (page.isEmpty()) {
                return out;
            }
            out.addAll(page);
            at = page.getLast().cursor();
        }
    }

    private static void assertStrictlyIncreasing(List<StoredEvent> seen) {
        for (int i = 1; i < seen.size(); i++) {
            long[] a = EventRepository.parseCursor(seen.get(i - 1).cursor());
            long[] b = EventRepository.parseCursor(seen.get(i).cursor());
            int cmp = a[0] != b[0] ? Long.compareUnsigned(a[0], b[0]) : Long.compare(a[1], b[1]);
            assertThat(cmp).as("cursor %s must come before %s", seen.get(i - 1).cursor(), seen.get(i).cursor()).isNegative();
        }
    }

    /** Makes sure the server has handed out transaction ids beyond {@code xid}, so lower ones are all in the past. */
    private static void burnTransactionIdsPast(Jdbc jdbc, long xid) {
        jdbc.read(c -> {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement("select pg_current_xact_id()::text::bigint")) {
                while (true) {
                    try (var rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) > xid) {
                            return null;
                        }
                    }
                }
            }
        });
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static StoredEvent event(String id) {
        Instant now = Instant.parse("2025-01-14T10:30:00Z");
        return new StoredEvent(0, null, id, "account.created", "acc", now, now, "{}".getBytes(StandardCharsets.UTF_8), null, 0, null, null,
                null, null);
    }
}
