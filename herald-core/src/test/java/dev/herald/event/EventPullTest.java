package dev.herald.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pull cursor never skips an event, even one committed after later-numbered events were already pulled. */
class EventPullTest {
    private final EventRepository events = new EventRepository();

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void eventCommittedLateIsStillPulledAfterTheCursor(DatabaseConfig cfg) throws Exception {
        try (Database db = Database.open(cfg)) {
            Jdbc jdbc = new Jdbc(db.dataSource());
            try (Connection slow = db.dataSource().getConnection()) {
                slow.setAutoCommit(false);
                events.insertAllIfAbsent(slow, List.of(event("evt_slow")));       // takes a lower seq, commits last
                jdbc.inTransaction(c -> events.insertAllIfAbsent(c, List.of(event("evt_fast"))));

                List<StoredEvent> first = jdbc.read(c -> events.pull(c, null, null, 100));
                assertThat(first).as("nothing is handed out while an older transaction is open").isEmpty();

                slow.commit();
            }
            List<StoredEvent> all = jdbc.read(c -> events.pull(c, null, null, 100));
            assertThat(all).extracting(StoredEvent::id).containsExactlyInAnyOrder("evt_slow", "evt_fast");

            String cursor = all.getLast().cursor();
            jdbc.inTransaction(c -> events.insertAllIfAbsent(c, List.of(event("evt_next"))));
            // Any transaction open anywhere on the server holds the horizon back (a shared real server has others' sessions).
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() -> {
                List<StoredEvent> next = jdbc.read(c -> events.pull(c, cursor, null, 100));
                assertThat(next).extracting(StoredEvent::id).containsExactly("evt_next");
            });
            List<StoredEvent> otherType = jdbc.read(c -> events.pull(c, cursor, "other.type", 100));
            assertThat(otherType).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void garbageCursorIsAFieldError(DatabaseConfig cfg) {
        try (Database db = Database.open(cfg)) {
            Jdbc jdbc = new Jdbc(db.dataSource());
            for (String bad : List.of("x", "-1", "1-", "1--2", "abc-def")) {
                assertThatThrownBy(() -> jdbc.read(c -> events.pull(c, bad, null, 10)))
                        .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("after"));
            }
        }
    }

    private static StoredEvent event(String id) {
        Instant now = Instant.parse("2025-01-14T10:30:00Z");
        return new StoredEvent(0, null, id, "account.created", "acc", now, now, "{}".getBytes(StandardCharsets.UTF_8), null, 0, null, null, null);
    }

}
