package dev.herald.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.Herald;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.Delivery.Status;
import dev.herald.delivery.DeliveryService;
import dev.herald.event.EventInput;
import dev.herald.event.StoredEvent;
import dev.herald.ingest.IngestService;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.support.Ids;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * V21 takes a database filled at V20 (pending, delivered and failed deliveries over several days, attempts, idempotency
 * keys, a pull cursor handed out) over to day partitions without losing a row or a guarantee.
 */
class PartitionMigrationTest {
    private static final Instant DAY1 = Instant.parse("2030-05-01T10:00:00Z");
    private static final Instant DAY2 = Instant.parse("2030-05-02T23:59:59.999Z");
    private static final Instant NOW = Instant.parse("2030-05-03T09:00:00Z");

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aDatabaseFilledAtV20KeepsEveryRowAndGuaranteeAfterV21(DatabaseConfig db) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).locations(Herald.MIGRATIONS).target("20").load().migrate();
            String cursorAfterFirst;
            String pendingId = Ids.next("dlv", DAY2.toEpochMilli());
            String failedId = Ids.next("dlv", DAY2.toEpochMilli());
            String deliveredId = Ids.next("dlv", DAY1.toEpochMilli());
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement s = c.createStatement()) {
                s.execute("insert into endpoints (id, name, url, events, secret, retry_attempts, retry_schedule, timeout_seconds, created_at, updated_at)"
                        + " values ('ep_old', 'old', '" + receiver.url("/old") + "', '{*}', 'whsec_" + "A".repeat(32) + "', 3, '{60,300,900}', 5, now(), now())");
                event(c, "evt_a", "key-a", null, DAY1);            // seq 1: delivered, two attempts
                event(c, "evt_b", null, "m1", DAY2);               // seq 2: pending
                event(c, "evt_c", "key-c", null, DAY2);            // seq 3: failed
                delivery(c, deliveredId, 1, "delivered", DAY1);
                delivery(c, pendingId, 2, "pending", DAY2);
                delivery(c, failedId, 3, "failed", DAY2);
                attempt(c, deliveredId, 1, DAY1);
                attempt(c, deliveredId, 2, DAY1.plusSeconds(60));
                attempt(c, failedId, 1, DAY2);
                try (var rs = s.executeQuery("select xid::text || '-' || seq from events where seq = 1")) {
                    rs.next();
                    cursorAfterFirst = rs.getString(1);
                }
            }

            try (EngineHarness h = EngineHarness.open(db, PartitionMaintenance.Config.defaults(), NOW)) { // migrates to V21 and starts
                assertThat(count(h, "events")).isEqualTo(3);
                assertThat(count(h, "deliveries")).isEqualTo(3);
                assertThat(count(h, "attempts")).isEqualTo(3);
                assertThat(count(h, "event_keys")).isEqualTo(3);
                assertThat(count(h, "events_default") + count(h, "deliveries_default") + count(h, "attempts_default")).isZero();
                List<String> placed = h.jdbc.read(c -> Jdbc.query(c, "select d.id, d.part_day from deliveries d order by d.seq", ps -> {},
                        rs -> rs.getString(1) + "@" + rs.getObject(2, LocalDate.class)));
                assertThat(placed).containsExactly(deliveredId + "@2030-05-01", pendingId + "@2030-05-02", failedId + "@2030-05-02");
                for (String t : PartitionMaintenance.TABLES) {
                    java.util.Set<LocalDate> days = h.jdbc.read(c -> PartitionMaintenance.partitionsOf(c, t)).keySet();
                    assertThat(days).as(t).contains(LocalDate.parse("2030-05-01"), LocalDate.parse("2030-05-02"), LocalDate.parse("2030-05-03"));
                }

                // reads by id, with every attempt
                DeliveryService.Detail delivered = h.herald.deliveries().get(deliveredId, null);
                assertThat(delivered.delivery().status()).isEqualTo(Status.DELIVERED);
                assertThat(delivered.delivery().eventId()).isEqualTo("evt_a");
                assertThat(delivered.attempts()).hasSize(2);
                assertThat(h.herald.events().get("evt_b", "m1", null).targetMerchant()).isEqualTo("m1");

                // idempotency: the same key and the same id are duplicates of the migrated events
                IngestService.Accepted again = h.publish(new EventInput(null, "transfer.completed", null, "acc-1",
                        JsonNodeFactory.instance.objectNode(), "key-a", 0, null, null));
                assertThat(again.duplicate()).isTrue();
                assertThat(again.id()).isEqualTo("evt_a");
                assertThat(h.publish(new EventInput("evt_c", "transfer.completed", null, "acc-1", JsonNodeFactory.instance.objectNode(), null, 0,
                        null, null)).duplicate()).isTrue();

                // the pull cursor handed out at V20 goes on where it was
                List<StoredEvent> rest = h.herald.events().pull(cursorAfterFirst, null, 10, null);
                assertThat(rest).extracting(StoredEvent::id).containsExactly("evt_b", "evt_c");

                // the pending delivery is sent, the failed one can be resent: both end delivered, attempts in their partition
                Delivery resent = h.herald.deliveries().resend(EngineHarness.OP, failedId, null);
                assertThat(resent.status()).isEqualTo(Status.PENDING);
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    h.scan();
                    return h.herald.deliveries().get(pendingId, null).delivery().status() == Status.DELIVERED
                            && h.herald.deliveries().get(failedId, null).delivery().status() == Status.DELIVERED;
                });
                assertThat(h.herald.deliveries().get(failedId, null).attempts()).hasSize(2);
                assertThat(receiver.received("/old")).hasSize(2);
                assertThat(count(h, "events_default") + count(h, "deliveries_default") + count(h, "attempts_default")).isZero();
            }
        }
    }

    private static void event(Connection c, String id, String key, String target, Instant at) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("insert into events (id, type, idempotency_key, account_uuid, occurred_at, received_at, payload,"
                + " target_merchant, fingerprint) values (?, 'transfer.completed', ?, 'acc-1', ?, ?, ?, ?, null)")) {
            ps.setString(1, id);
            ps.setString(2, key);
            ps.setTimestamp(3, Timestamp.from(at));
            ps.setTimestamp(4, Timestamp.from(at));
            ps.setBytes(5, ("{\"id\":\"" + id + "\"}").getBytes());
            ps.setString(6, target);
            ps.executeUpdate();
        }
    }

    private static void delivery(Connection c, String id, long eventSeq, String status, Instant at) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("insert into deliveries (id, event_seq, endpoint_id, status, attempts, next_attempt_at,"
                + " created_at, updated_at, completed_at) values (?, ?, 'ep_old', ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setLong(2, eventSeq);
            ps.setString(3, status);
            ps.setInt(4, status.equals("pending") ? 0 : 1);
            ps.setTimestamp(5, Timestamp.from(at));
            ps.setTimestamp(6, Timestamp.from(at));
            ps.setTimestamp(7, Timestamp.from(at));
            ps.setTimestamp(8, status.equals("pending") ? null : Timestamp.from(at));
            ps.executeUpdate();
        }
    }

    private static void attempt(Connection c, String deliveryId, int no, Instant at) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("insert into attempts (delivery_id, attempt_no, started_at, duration_ms, status_code)"
                + " values (?, ?, ?, 5, 200)")) {
            ps.setString(1, deliveryId);
            ps.setInt(2, no);
            ps.setTimestamp(3, Timestamp.from(at));
            ps.executeUpdate();
        }
    }

    private static long count(EngineHarness h, String table) {
        return h.jdbc.read(c -> Jdbc.query(c, "select count(*) from " + table, ps -> {}, rs -> rs.getLong(1))).getFirst();
    }
}
