package dev.herald.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.Delivery.Status;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.event.EventInput;
import dev.herald.event.StoredEvent;
import dev.herald.ingest.IngestService;
import dev.herald.merchant.MerchantDraft;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.support.NotFoundException;
import dev.herald.support.PartDays;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Day partitions and retention (issue 12) with a driven clock: partitions made ahead and at start, the default partition
 * emptied, whole days dropped past retention while pending, resendable and longer-retained work stays, idempotency
 * across days, lookups by id in one partition, the pull cursor across a drop, one maintenance run at a time.
 */
class RetentionTest {
    private static final String TARGETS = "dev.herald.testing.TestPostgres#allTargets";
    /** Noon, so a few hours either way stay on the same day. */
    private static final Instant START = Instant.parse("2030-03-10T12:00:00Z");
    private static final LocalDate D0 = LocalDate.parse("2030-03-10");
    private static final PartitionMaintenance.Config THREE_DAYS = PartitionMaintenance.Config.defaults().withRetentionDays(3);

    private final TestReceiver receiver = TestReceiver.start();
    private final List<EngineHarness> engines = new ArrayList<>();
    private EngineHarness h;

    @AfterEach
    void tearDown() {
        engines.forEach(EngineHarness::close);
        receiver.close();
    }

    private EngineHarness open(DatabaseConfig db, PartitionMaintenance.Config retention) {
        h = EngineHarness.open(db, retention, START);
        engines.add(h);
        return h;
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void partitionsExistFromYesterdayToDaysAheadAtStartAndMoreAreMadeAsTheClockMoves(DatabaseConfig db) {
        open(db, THREE_DAYS);
        for (String table : PartitionMaintenance.TABLES) {
            assertThat(days(table)).as(table).containsExactly(D0.minusDays(1), D0, D0.plusDays(1), D0.plusDays(2), D0.plusDays(3));
        }
        h.clock.advance(Duration.ofDays(2));
        PartitionMaintenance.Report r = h.herald.partitions().runOnce();
        assertThat(r.ran()).isTrue();
        assertThat(r.created()).containsExactly(D0.plusDays(4), D0.plusDays(5));
        for (String table : PartitionMaintenance.TABLES) {
            assertThat(days(table)).as(table).endsWith(D0.plusDays(5));
        }
        assertThat(count("events_default") + count("deliveries_default") + count("attempts_default")).isZero();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void workOfADayWithoutAPartitionLandsInTheDefaultPartitionAndTheNextRunMovesItToItsDay(DatabaseConfig db) {
        open(db, THREE_DAYS);
        Endpoint ep = h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        h.clock.advance(Duration.ofDays(10)); // far past the days made ahead, and the job has not run
        LocalDate day = D0.plusDays(10);
        String id = h.publish("transfer.completed").id();
        Delivery sent = awaitStatus(id, Status.DELIVERED);
        assertThat(count("events_default")).isEqualTo(1);
        assertThat(count("deliveries_default")).isEqualTo(1);
        assertThat(count("attempts_default")).isZero(); // a first try that succeeds stays in its delivery's row

        PartitionMaintenance.Report r = h.herald.partitions().runOnce();

        assertThat(r.movedFromDefault()).isEqualTo(2);
        assertThat(r.created()).contains(day);
        assertThat(count("events_default") + count("deliveries_default") + count("attempts_default")).isZero();
        assertThat(count(PartitionMaintenance.partitionName("events", day))).isEqualTo(1);
        assertThat(count(PartitionMaintenance.partitionName("deliveries", day))).isEqualTo(1);
        assertThat(h.herald.events().get(id, null, null).id()).isEqualTo(id);
        assertThat(h.herald.deliveries().get(sent.id(), null).attempts()).hasSize(1);
        assertThat(h.herald.deliveries().get(sent.id(), null).delivery().endpointId()).isEqualTo(ep.id());
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void pastRetentionCompletedDaysAreDroppedWhileDaysWithPendingOrResendableFailedWorkStay(DatabaseConfig db) {
        open(db, THREE_DAYS);
        h.endpoint(receiver.url("/ok").toString(), List.of("ok.*"));
        Endpoint paused = h.endpoint(receiver.url("/paused").toString(), List.of("paused.*"));
        h.herald.endpoints().disable(EngineHarness.OP, paused.id());

        String delivered = h.publish("ok.sent").id();                      // D0: delivered
        Delivery deliveredDelivery = awaitStatus(delivered, Status.DELIVERED);
        h.clock.advance(Duration.ofDays(1));
        String waiting = h.publish("paused.held").id();                    // D1: pending (its endpoint is paused)
        h.clock.advance(Duration.ofDays(1));
        String failing = h.publish("ok.later.failed").id();                // D2: will fail on D4
        awaitStatus(failing, Status.DELIVERED);
        h.clock.advance(Duration.ofDays(2));
        markFailedNow(failing);                                           // failed on D4: resendable until D7

        h.clock.advance(Duration.ofDays(2)); // D6: days up to D2 are past a 3-day retention
        PartitionMaintenance.Report r = h.herald.partitions().runOnce();
        assertThat(r.dropped()).contains(D0.minusDays(1), D0);
        assertThat(r.kept()).containsExactly(D0.plusDays(1), D0.plusDays(2));
        assertThat(days("events")).doesNotContain(D0).contains(D0.plusDays(1), D0.plusDays(2));
        assertThatThrownBy(() -> h.herald.events().get(delivered, null, null)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> h.herald.deliveries().get(deliveredDelivery.id(), null)).isInstanceOf(NotFoundException.class);
        assertThat(h.onlyDeliveryOf(waiting).status()).isEqualTo(Status.PENDING);
        Delivery failed = h.onlyDeliveryOf(failing);
        assertThat(failed.status()).isEqualTo(Status.FAILED);
        assertThat(h.herald.deliveries().resend(EngineHarness.OP, failed.id(), null).status()).isEqualTo(Status.PENDING); // inside its window
        awaitStatus(failing, Status.DELIVERED, h::scan);

        h.herald.endpoints().enable(EngineHarness.OP, paused.id()); // the held delivery goes out at last
        awaitStatus(waiting, Status.DELIVERED, h::scan);
        r = h.herald.partitions().runOnce();
        assertThat(r.dropped()).containsExactly(D0.plusDays(1), D0.plusDays(2)); // completed, resent one delivered: nothing holds them
        assertThat(r.kept()).isEmpty();
        assertThat(days("events")).startsWith(D0.plusDays(3));
        assertThat(count("event_keys")).isZero(); // the dropped days' keys went with them
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aFailedDeliveryOutsideItsResendWindowNoLongerHoldsItsDay(DatabaseConfig db) {
        open(db, THREE_DAYS);
        h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        String id = h.publish("ok.failed").id();
        awaitStatus(id, Status.DELIVERED);
        markFailedNow(id); // failed on D0
        h.clock.advance(Duration.ofDays(4));
        assertThat(h.herald.partitions().runOnce().kept()).isEmpty(); // D0 is past retention by creation; failed 4 days ago > 3
        assertThat(h.deliveriesOf(id)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aMerchantWithALongerRetentionKeepsItsDaysThatLong(DatabaseConfig db) {
        open(db, THREE_DAYS);
        h.herald.merchants().put(EngineHarness.OP, "m-long", new MerchantDraft(null, null, false, null, null, null, null, null, null, null, null,
                null, null, false, null, null, 10));
        h.endpoint(new EndpointDraft("m-long", "long", null, receiver.url("/long").toString(), List.of("long.*"), null, null, null, null, null,
                null, 2));
        h.endpoint(receiver.url("/short").toString(), List.of("short.*"));
        String longer = h.publish("long.kept").id();
        awaitStatus(longer, Status.DELIVERED);
        h.clock.advance(Duration.ofDays(1));
        String shorter = h.publish("short.gone").id();
        awaitStatus(shorter, Status.DELIVERED);

        h.clock.advance(Duration.ofDays(5)); // D6
        PartitionMaintenance.Report r = h.herald.partitions().runOnce();
        assertThat(r.kept()).containsExactly(D0);           // the merchant's 10 days cover D0
        assertThat(r.dropped()).contains(D0.plusDays(1));   // the node's 3 days do not cover D1
        assertThat(h.onlyDeliveryOf(longer).status()).isEqualTo(Status.DELIVERED);
        assertThat(h.herald.events().get(longer, null, null).id()).isEqualTo(longer);
        assertThat(h.deliveriesOf(shorter)).isEmpty();

        h.clock.advance(Duration.ofDays(5)); // D11: past the merchant's 10 days
        r = h.herald.partitions().runOnce();
        assertThat(r.dropped()).contains(D0);
        assertThat(h.deliveriesOf(longer)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void anIdempotencyKeyOrEventIdSeenBeforeMidnightIsADuplicateAfterIt(DatabaseConfig db) {
        open(db, THREE_DAYS);
        h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        h.clock.advance(Duration.between(START, D0.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant()).minusSeconds(1));
        IngestService.Accepted first = h.publish(event(null, "order-1001"));
        IngestService.Accepted byId = h.publish(event("evt_client_1", null));
        h.clock.advance(Duration.ofSeconds(2)); // the next day: another partition
        assertThat(PartDays.of(h.clock.instant())).isEqualTo(D0.plusDays(1));

        IngestService.Accepted again = h.publish(event(null, "order-1001"));
        IngestService.Accepted againById = h.publish(event("evt_client_1", null));
        h.clock.advance(Duration.ofDays(2)); // still inside the 3-day retention
        IngestService.Accepted later = h.publish(event(null, "order-1001"));

        assertThat(again.duplicate()).isTrue();
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(againById.duplicate()).isTrue();
        assertThat(againById.id()).isEqualTo(byId.id());
        assertThat(later.duplicate()).isTrue();
        assertThat(later.id()).isEqualTo(first.id());
        assertThat(h.deliveriesOf(first.id())).hasSize(1);
        assertThat(count("events")).isEqualTo(2);
        assertThatThrownBy(() -> h.publish(new EventInput(null, "transfer.completed", null, "acc-1",
                JsonNodeFactory.instance.objectNode().put("amount", 999), "order-1001", 0, null, null)))
                .isInstanceOf(dev.herald.support.ConflictException.class); // same key, another request: refused, not dropped
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aDayWhoseDropCannotGetItsLockKeepsItsKeysSoItsEventsStayFoundAndTheirKeysStayDuplicates(DatabaseConfig db) throws Exception {
        open(db, THREE_DAYS);
        h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        IngestService.Accepted first = h.publish(event("evt_client_1", "order-1001"));
        awaitStatus(first.id(), Status.DELIVERED);
        h.clock.advance(Duration.ofDays(4)); // D0 is past a 3-day retention
        String partition = PartitionMaintenance.partitionName("events", D0);

        // a pg_dump in progress: ACCESS SHARE on the day's partition, in a transaction that stays open through the run
        try (Connection dump = DriverManager.getConnection(jdbcUrl(db), user(db), password(db))) {
            dump.setAutoCommit(false);
            dump.createStatement().execute("lock table " + partition + " in access share mode");

            PartitionMaintenance.Report r = h.herald.partitions().runOnce();

            assertThat(r.dropped()).doesNotContain(D0);
            assertThat(r.kept()).contains(D0);
            assertThat(days("events")).contains(D0);
            assertThat(keysOf(D0)).isEqualTo(1);
            assertThat(h.herald.events().get(first.id(), null, null).id()).isEqualTo(first.id());
            IngestService.Accepted again = h.publish(event("evt_client_1", "order-1001")); // the producer's retry: the same request
            assertThat(again.duplicate()).isTrue();
            assertThat(again.id()).isEqualTo(first.id());
            assertThat(h.deliveriesOf(first.id())).hasSize(1);
            dump.rollback();
        }

        PartitionMaintenance.Report r = h.herald.partitions().runOnce();
        assertThat(r.dropped()).contains(D0);
        assertThat(days("events")).doesNotContain(D0);
        assertThat(keysOf(D0)).isZero();
        assertThatThrownBy(() -> h.herald.events().get(first.id(), null, null)).isInstanceOf(NotFoundException.class);
    }

    private long keysOf(LocalDate day) {
        return h.jdbc.read(c -> Jdbc.query(c, "select count(*) from event_keys where part_day = ?", ps -> ps.setObject(1, day),
                rs -> rs.getLong(1))).getFirst();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void eventsAndDeliveriesAreFoundByIdAfterRolloverReadingOnePartition(DatabaseConfig db) {
        open(db, THREE_DAYS);
        h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        String early = h.publish("transfer.completed").id();
        Delivery earlyDelivery = awaitStatus(early, Status.DELIVERED);
        h.clock.advance(Duration.ofDays(1));
        h.herald.partitions().runOnce();
        String late = h.publish("transfer.completed").id();
        Delivery lateDelivery = awaitStatus(late, Status.DELIVERED);

        assertThat(h.herald.events().get(early, null, null).receivedAt()).isEqualTo(START);
        assertThat(h.herald.deliveries().get(earlyDelivery.id(), null).attempts()).hasSize(1);
        assertThat(h.herald.deliveries().get(lateDelivery.id(), null).delivery().partDay()).isEqualTo(D0.plusDays(1));
        assertThat(PartDays.ofId(earlyDelivery.id())).isEqualTo(D0);

        // a delivery by id: its id names its day, and the plan reads that one partition
        List<String> plan = explain("explain (analyze, costs off) select * from deliveries where id = '" + lateDelivery.id()
                + "' and part_day between '" + D0.plusDays(1) + "' and '" + D0.plusDays(1) + "'");
        assertThat(scanned(plan, "deliveries_p")).containsExactly("deliveries_p" + "20300311");
        // an event by id: its key row (one index lookup in event_keys) names its sequence number and day, read in that partition
        StoredEvent e = h.herald.events().get(early, null, null);
        List<String> eventPlan = explain("explain (analyze, costs off) select * from events e where e.seq = " + e.seq() + " and e.part_day = '"
                + D0 + "'");
        assertThat(scanned(eventPlan, "events_p")).containsExactly("events_p20300310");
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void thePullCursorGoesOnAcrossADroppedDayWithoutSkippingWhatIsKept(DatabaseConfig db) {
        open(db, THREE_DAYS);
        h.endpoint(receiver.url("/ok").toString(), List.of("ok.*"));
        Endpoint paused = h.endpoint(receiver.url("/paused").toString(), List.of("paused.*"));
        h.herald.endpoints().disable(EngineHarness.OP, paused.id());
        String e1 = h.publish("ok.one").id();
        String e2 = h.publish("paused.two").id(); // holds D0
        awaitStatus(e1, Status.DELIVERED);
        h.clock.advance(Duration.ofDays(1));
        String e3 = h.publish("ok.three").id();   // D1: dropped below
        awaitStatus(e3, Status.DELIVERED);
        h.clock.advance(Duration.ofDays(1));
        String e4 = h.publish("ok.four").id();    // D2: kept (inside retention)

        List<StoredEvent> first = h.herald.events().pull(null, null, 1, null);
        assertThat(first).extracting(StoredEvent::id).containsExactly(e1);
        h.clock.advance(Duration.ofDays(3)); // D5: D0 and D1 past retention
        PartitionMaintenance.Report r = h.herald.partitions().runOnce();
        assertThat(r.kept()).containsExactly(D0);
        assertThat(r.dropped()).contains(D0.plusDays(1));

        List<String> rest = new ArrayList<>();
        String cursor = first.getFirst().cursor();
        for (List<StoredEvent> page; !(page = h.herald.events().pull(cursor, null, 1, null)).isEmpty(); cursor = page.getLast().cursor()) {
            page.forEach(e -> rest.add(e.id()));
        }
        assertThat(rest).containsExactly(e2, e4);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void theMaintenanceRunsOnOneNodeAtATime(DatabaseConfig db) throws Exception {
        open(db, THREE_DAYS);
        EngineHarness other = h.secondNode(db, THREE_DAYS);
        engines.add(other);
        h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        for (int i = 0; i < 3; i++) {
            awaitStatus(h.publish("transfer.completed").id(), Status.DELIVERED);
            h.clock.advance(Duration.ofDays(1));
        }
        h.clock.advance(Duration.ofDays(4));

        // another node in the middle of a run: this one skips its turn
        try (Connection held = DriverManager.getConnection(jdbcUrl(db), user(db), password(db))) {
            held.createStatement().execute("select pg_advisory_lock(" + PartitionMaintenance.RUN_LOCK + ", hashtext(current_schema()))");
            assertThat(h.herald.partitions().runOnce().ran()).isFalse();
            assertThat(other.herald.partitions().runOnce().ran()).isFalse();
        }
        // both nodes at once: each day is dropped once, by whichever ran, and neither run fails
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Callable<PartitionMaintenance.Report>> runs = List.of(() -> h.herald.partitions().runOnce(),
                    () -> other.herald.partitions().runOnce());
            List<LocalDate> dropped = new ArrayList<>();
            for (Future<PartitionMaintenance.Report> f : pool.invokeAll(runs)) {
                dropped.addAll(f.get().dropped());
            }
            assertThat(dropped).doesNotHaveDuplicates().contains(D0, D0.plusDays(1), D0.plusDays(2));
        } finally {
            pool.shutdownNow();
        }
        assertThat(days("events")).doesNotContain(D0, D0.plusDays(1), D0.plusDays(2));
    }

    // --- helpers

    private EventInput event(String id, String key) {
        return new EventInput(id, "transfer.completed", null, "acc-1", JsonNodeFactory.instance.objectNode().put("amount", 100), key, 0, null, null);
    }

    /** Waits for the event's one delivery to reach {@code status}, scanning meanwhile (the clock moved: leases are renewed by a scan). */
    private Delivery awaitStatus(String eventId, Status status) {
        return awaitStatus(eventId, status, h::scan);
    }

    private Delivery awaitStatus(String eventId, Status status, Callable<Integer> between) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            between.call();
            return h.onlyDeliveryOf(eventId).status() == status;
        });
        return h.onlyDeliveryOf(eventId);
    }

    /** Ends the event's one delivery as failed now (as an exhausted retry schedule would), in its own partition. */
    private void markFailedNow(String eventId) {
        Delivery d = h.onlyDeliveryOf(eventId);
        h.jdbc.inTransaction(c -> Jdbc.update(c, "update deliveries set status = 'failed', completed_at = ? where id = ? and part_day = ?", ps -> {
            ps.setTimestamp(1, Jdbc.ts(h.clock.instant()));
            ps.setString(2, d.id());
            ps.setObject(3, d.partDay());
        }));
    }

    private List<LocalDate> days(String table) {
        return h.jdbc.read(c -> new ArrayList<>(PartitionMaintenance.partitionsOf(c, table).keySet()));
    }

    private long count(String table) {
        return h.jdbc.read(c -> Jdbc.query(c, "select count(*) from " + table, ps -> {}, rs -> rs.getLong(1))).getFirst();
    }

    private List<String> explain(String sql) {
        return h.jdbc.read(c -> Jdbc.query(c, sql, ps -> {}, rs -> rs.getString(1)));
    }

    /** The partitions (names starting with {@code prefix}) a plan actually read: scanned, not pruned and not "never executed". */
    private static List<String> scanned(List<String> plan, String prefix) {
        List<String> out = new ArrayList<>();
        for (String line : plan) {
            int at = line.indexOf(" on " + prefix);
            if (at >= 0 && line.contains("Scan") && !line.contains("never executed")) {
                String rest = line.substring(at + 4);
                out.add(rest.split("[ )]")[0]);
            }
        }
        return out;
    }

    private static String jdbcUrl(DatabaseConfig db) {
        return db.jdbcUrl();
    }

    private static String user(DatabaseConfig db) {
        return db.user();
    }

    private static String password(DatabaseConfig db) {
        return db.password();
    }
}
