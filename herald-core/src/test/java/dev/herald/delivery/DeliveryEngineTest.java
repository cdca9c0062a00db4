package dev.herald.delivery;

import static dev.herald.testing.EngineHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.delivery.Delivery.Status;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.event.EventInput;
import dev.herald.ingest.IngestService;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The delivery state machine end to end: engine, database (embedded and real server) and a local receiver. */
class DeliveryEngineTest {
    private static final String TARGETS = "dev.herald.testing.TestPostgres#allTargets";

    private final TestReceiver receiver = TestReceiver.start();
    private EngineHarness h;

    @AfterEach
    void tearDown() {
        if (h != null) {
            h.close();
        }
        receiver.close();
    }

    private Delivery awaitStatus(String eventId, Status status, int attempts) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Delivery d = h.onlyDeliveryOf(eventId);
            return d.status() == status && d.attempts() == attempts;
        });
        return h.onlyDeliveryOf(eventId);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void deliversSignedEventWithTheStoredBytes(DatabaseConfig db) {
        h = EngineHarness.open(db);
        Endpoint ep = h.endpoint(receiver.url("/ok").toString(), List.of("account.*"));
        IngestService.Accepted a = h.publish("account.created");

        Delivery d = awaitStatus(a.id(), Status.DELIVERED, 1);
        TestReceiver.Received r = receiver.received("/ok").getFirst();
        byte[] stored = h.herald.events().get(a.id(), null, null).payload();
        assertThat(r.body()).isEqualTo(stored);
        assertThat(r.header("webhook-id")).isEqualTo(a.id());
        assertThat(r.header("x-webhook-delivery")).isEqualTo(d.id());
        assertThat(r.header("x-webhook-id")).isEqualTo(ep.id());
        assertThat(r.header("x-webhook-event")).isEqualTo("account.created");
        WebhookVerifier.create(ep.secret()).verify(Map.of(
                "webhook-id", List.of(r.header("webhook-id")),
                "webhook-timestamp", List.of(r.header("webhook-timestamp")),
                "webhook-signature", List.of(r.header("webhook-signature"))), r.body());
        WebhookVerifier.create(ep.secret()).verifyClassic(r.header("x-webhook-signature"), r.body());
    }

    /** The delivery's tries that are attempts rows (a first try that succeeded is kept in the delivery's row instead). */
    private long attemptRows(String deliveryId) {
        return h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select count(*) from attempts where delivery_id = ?", ps -> ps.setString(1, deliveryId),
                rs -> rs.getLong(1)).getFirst());
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aFirstTryThatSucceedsIsKeptInTheDeliveryRowAndShownAsAttemptOne(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/ok", new Reply(202, "accepted", Map.of(), false).withHeader("X-Receipt", "r-1"));
        h.endpoint(receiver.url("/ok").toString(), List.of("*"));
        java.time.Instant before = h.clock.instant();
        String id = h.publish("account.created").id();
        Delivery d = awaitStatus(id, Status.DELIVERED, 1);

        assertThat(attemptRows(d.id())).as("no attempts row for a first try that succeeded").isZero();
        List<Attempt> attempts = h.herald.deliveries().get(d.id(), null).attempts();
        assertThat(attempts).singleElement().satisfies(a -> {
            assertThat(a.deliveryId()).isEqualTo(d.id());
            assertThat(a.attemptNo()).isEqualTo(1);
            assertThat(a.startedAt()).isBetween(before, h.clock.instant());
            assertThat(a.durationMs()).isNotNegative();
            assertThat(a.statusCode()).isEqualTo(202);
            assertThat(a.errorClass()).isNull();
            assertThat(a.errorMessage()).isNull();
            assertThat(a.responseExcerpt()).isEqualTo("accepted");
            assertThat(a.responseHeaders()).containsEntry("x-receipt", "r-1").containsKey("content-length");
        });

        // A resend's try is a later try: an attempts row after the first one, which stays as it was.
        receiver.reply("/ok", Reply.status(500));
        h.herald.deliveries().resend(OP, d.id(), null);
        h.scan();
        awaitStatus(id, Status.PENDING, 2);
        assertThat(attemptRows(d.id())).isEqualTo(1);
        assertThat(h.herald.deliveries().get(d.id(), null).attempts()).extracting(Attempt::attemptNo, Attempt::statusCode, Attempt::errorClass)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 202, null), org.assertj.core.groups.Tuple.tuple(2, 500, "http_status"));
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aFirstTryClaimedByTheScanLongAfterCreationIsKeptInTheRowToo(DatabaseConfig db) {
        h = EngineHarness.open(db);
        Endpoint ep = h.endpoint(receiver.url("/late").toString(), List.of("*"));
        h.herald.endpoints().disable(OP, ep.id());
        String id = h.publish("account.frozen").id();
        h.clock.advance(Duration.ofHours(2));
        h.herald.endpoints().enable(OP, ep.id());
        h.scan();
        Delivery d = awaitStatus(id, Status.DELIVERED, 1);
        assertThat(attemptRows(d.id())).isZero();
        assertThat(h.herald.deliveries().get(d.id(), null).attempts()).singleElement().satisfies(a -> {
            assertThat(a.attemptNo()).isEqualTo(1);
            assertThat(a.statusCode()).isEqualTo(200);
            assertThat(a.startedAt()).isAfter(d.createdAt().plus(Duration.ofMinutes(119)));
        });
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void failingReceiverGetsRetriesOnScheduleThenDeliveryFails(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/down", Reply.status(500));
        h.endpoint(receiver.url("/down").toString(), List.of("*"));
        String id = h.publish("transfer.completed").id();

        Delivery d = awaitStatus(id, Status.PENDING, 1);
        Duration wait = Duration.between(d.lastAttemptAt(), d.nextAttemptAt());
        assertThat(wait).isBetween(Duration.ofSeconds(54), Duration.ofSeconds(66));

        assertThat(h.advanceAndScan(Duration.ofSeconds(30))).as("not due yet").isZero();
        h.advanceAndScan(Duration.ofSeconds(40));
        d = awaitStatus(id, Status.PENDING, 2);
        assertThat(Duration.between(d.lastAttemptAt(), d.nextAttemptAt())).isBetween(Duration.ofSeconds(270), Duration.ofSeconds(330));

        h.advanceAndScan(Duration.ofMinutes(6));
        d = awaitStatus(id, Status.PENDING, 3);
        assertThat(Duration.between(d.lastAttemptAt(), d.nextAttemptAt())).isBetween(Duration.ofSeconds(810), Duration.ofSeconds(990));

        h.advanceAndScan(Duration.ofMinutes(17));
        d = awaitStatus(id, Status.FAILED, 4);
        assertThat(d.completedAt()).isNotNull();
        assertThat(d.lastStatusCode()).isEqualTo(500);

        List<Attempt> attempts = h.herald.deliveries().get(d.id(), null).attempts();
        assertThat(attempts).extracting(Attempt::attemptNo).containsExactly(1, 2, 3, 4);
        assertThat(attempts).allSatisfy(at -> {
            assertThat(at.statusCode()).isEqualTo(500);
            assertThat(at.errorClass()).isEqualTo("http_status");
        });
        assertThat(receiver.received("/down")).hasSize(4)
                .extracting(r -> r.header("webhook-id")).containsOnly(id);
        assertThat(h.advanceAndScan(Duration.ofDays(2))).as("failed deliveries are not retried").isZero();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void failedDeliveryCanBeResentWithTheSameIds(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/flaky", Reply.status(503));
        h.endpoint(new EndpointDraft(null, "flaky", null, receiver.url("/flaky").toString(), List.of("*"), null, null, null, 0, null, null, 2));
        String id = h.publish("balance.low").id();
        Delivery failed = awaitStatus(id, Status.FAILED, 1);

        receiver.reply("/flaky", Reply.status(204));
        h.herald.deliveries().resend(OP, failed.id(), null);
        h.scan();
        awaitStatus(id, Status.DELIVERED, 2);
        assertThat(h.herald.deliveries().get(failed.id(), null).attempts()).extracting(Attempt::attemptNo, Attempt::statusCode)
                .as("a success after a failure is a later try: both are attempts rows")
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 503), org.assertj.core.groups.Tuple.tuple(2, 204));
        assertThat(attemptRows(failed.id())).isEqualTo(2);
        assertThat(receiver.received("/flaky")).extracting(r -> r.header("x-webhook-delivery")).containsOnly(failed.id());
        assertThat(receiver.received("/flaky")).extracting(r -> r.header("webhook-id")).containsOnly(id);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void recoverResendsEverythingThatFailedSince(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/r", Reply.status(500));
        Endpoint ep = h.endpoint(new EndpointDraft(null, "r", null, receiver.url("/r").toString(), List.of("*"), null, null, null, 0, null, null, 2));
        String a = h.publish("transfer.failed").id();
        String b = h.publish("transfer.failed").id();
        awaitStatus(a, Status.FAILED, 1);
        awaitStatus(b, Status.FAILED, 1);

        receiver.reply("/r", Reply.status(200));
        assertThat(h.herald.deliveries().recover(OP, ep.id(), h.clock.instant().minusSeconds(60))).isEqualTo(2);
        h.scan();
        awaitStatus(a, Status.DELIVERED, 2);
        awaitStatus(b, Status.DELIVERED, 2);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void retryAfterOn429IsHonouredWithinTheStepToTwiceTheStep(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/busy", Reply.status(429).withHeader("Retry-After", "100"));
        receiver.reply("/busier", Reply.status(503).withHeader("Retry-After", "100000"));
        h.endpoint(receiver.url("/busy").toString(), List.of("transfer.created"));
        h.endpoint(receiver.url("/busier").toString(), List.of("transfer.created"));
        String id = h.publish("transfer.created").id();

        await().atMost(Duration.ofSeconds(10)).until(() -> h.deliveriesOf(id).stream().allMatch(d -> d.attempts() == 1));
        for (Delivery d : h.deliveriesOf(id)) {
            Duration wait = Duration.between(d.lastAttemptAt(), d.nextAttemptAt());
            assertThat(wait).isEqualTo(d.lastStatusCode() == 429 ? Duration.ofSeconds(100) : Duration.ofSeconds(120));
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void redirectIsAFailureAndIsNotFollowed(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/moved", Reply.status(302).withHeader("Location", receiver.url("/elsewhere").toString()));
        h.endpoint(receiver.url("/moved").toString(), List.of("*"));
        String id = h.publish("account.updated").id();
        Delivery d = awaitStatus(id, Status.PENDING, 1);
        assertThat(d.lastStatusCode()).isEqualTo(302);
        assertThat(receiver.received("/elsewhere")).isEmpty();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void goneDisablesTheEndpointAndKeepsTheDeliveryWaiting(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/gone", Reply.status(410));
        Endpoint ep = h.endpoint(receiver.url("/gone").toString(), List.of("*"));
        String id = h.publish("account.closed").id();
        awaitStatus(id, Status.PENDING, 1);
        await().until(() -> !h.herald.endpoints().get(ep.id()).endpoint().active());
        assertThat(h.herald.endpoints().get(ep.id()).endpoint().disabledReason()).isEqualTo("gone");

        assertThat(h.advanceAndScan(Duration.ofHours(1))).as("a disabled endpoint's deliveries wait").isZero();
        receiver.reply("/gone", Reply.status(200));
        h.herald.endpoints().enable(OP, ep.id());
        h.scan();
        awaitStatus(id, Status.DELIVERED, 2);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void consecutiveFailuresDisableTheEndpointAnnounceItAndLoseNothing(DatabaseConfig db) {
        h = EngineHarness.open(db, 3);
        receiver.reply("/bad", Reply.status(500));
        Endpoint bad = h.endpoint(new EndpointDraft("m1", "bad", null, receiver.url("/bad").toString(), List.of("transfer.*"), null, null, null, 5, null, null, 2));
        Endpoint ops = h.endpoint(new EndpointDraft("m1", "ops", null, receiver.url("/ops").toString(), List.of("endpoint.disabled"), null, null, null, null, null, null, 2));
        Endpoint otherMerchant = h.endpoint(new EndpointDraft("m2", "other", null, receiver.url("/other").toString(), List.of("*"), null, null, null, null, null, null, 2));

        String e1 = h.publish("transfer.created").id();
        String e2 = h.publish("transfer.created").id();
        String e3 = h.publish("transfer.created").id();
        await().atMost(Duration.ofSeconds(10)).until(() -> !h.herald.endpoints().get(bad.id()).endpoint().active());
        assertThat(h.herald.endpoints().get(bad.id()).endpoint().disabledReason()).isEqualTo("consecutive_failures");

        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/ops").size() == 1);
        TestReceiver.Received notice = receiver.received("/ops").getFirst();
        assertThat(notice.header("x-webhook-event")).isEqualTo("endpoint.disabled");
        assertThat(notice.bodyText()).contains(bad.id()).contains("consecutive_failures");
        assertThat(receiver.received("/other")).extracting(r -> r.header("x-webhook-event")).doesNotContain("endpoint.disabled");

        String e4 = h.publish("transfer.created").id();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.deliveriesOf(e4).stream()
                .filter(d -> d.endpointId().equals(otherMerchant.id())).allMatch(d -> d.status() == Status.DELIVERED));
        assertThat(h.advanceAndScan(Duration.ofHours(2))).isZero();
        for (String e : List.of(e1, e2, e3, e4)) {
            assertThat(h.deliveriesOf(e)).filteredOn(d -> d.endpointId().equals(bad.id())).singleElement()
                    .extracting(Delivery::status).isEqualTo(Status.PENDING);
        }

        receiver.reply("/bad", Reply.status(200));
        h.herald.endpoints().enable(OP, bad.id());
        h.scan();
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of(e1, e2, e3, e4).stream().allMatch(e ->
                h.deliveriesOf(e).stream().filter(d -> d.endpointId().equals(bad.id())).allMatch(d -> d.status() == Status.DELIVERED)));
        assertThat(h.herald.endpoints().get(bad.id()).endpoint().consecutiveFailures()).isZero();
        assertThat(otherMerchant.id()).isNotEqualTo(ops.id());
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void sameIdempotencyKeyOrEventIdIsOneEventWithOneFanOut(DatabaseConfig db) {
        h = EngineHarness.open(db);
        h.endpoint(receiver.url("/d").toString(), List.of("*"));
        EventInput keyed = new EventInput(null, "transaction.created", null, "acc", JsonNodeFactory.instance.objectNode(), "key-1", 0, null, null);
        IngestService.Accepted first = h.publish(keyed);
        IngestService.Accepted again = h.publish(keyed);
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.duplicate()).isTrue();
        assertThat(again.deliveries()).isEqualTo(1);

        EventInput withId = new EventInput("evt_client_1", "transaction.created", null, "acc", null, null, 0, null, null);
        assertThat(h.publish(withId).duplicate()).isFalse();
        assertThat(h.publish(withId).duplicate()).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/d").size() == 2);
        assertThat(h.deliveriesOf(first.id())).hasSize(1);
        assertThat(h.deliveriesOf("evt_client_1")).hasSize(1);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void pausedEndpointKeepsItsDeliveriesUntilEnabled(DatabaseConfig db) {
        h = EngineHarness.open(db);
        Endpoint ep = h.endpoint(receiver.url("/p").toString(), List.of("*"));
        h.herald.endpoints().disable(OP, ep.id());
        String id = h.publish("account.frozen").id();
        assertThat(h.onlyDeliveryOf(id).status()).isEqualTo(Status.PENDING);
        h.scan();
        assertThat(receiver.received("/p")).isEmpty();

        h.herald.endpoints().enable(OP, ep.id());
        h.scan();
        awaitStatus(id, Status.DELIVERED, 1);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void reenablingAnEndpointSendsItsWaitingRetriesNow(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/later", Reply.status(500));
        Endpoint ep = h.endpoint(receiver.url("/later").toString(), List.of("*"));
        String id = h.publish("transfer.created").id();
        awaitStatus(id, Status.PENDING, 1);
        h.herald.endpoints().disable(OP, ep.id());
        receiver.reply("/later", Reply.status(200));

        h.herald.endpoints().enable(OP, ep.id());
        h.scan(); // the clock has not moved: only a resumed delivery can be due
        awaitStatus(id, Status.DELIVERED, 2);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void deletingAnEndpointCancelsItsPendingDeliveries(DatabaseConfig db) {
        h = EngineHarness.open(db);
        Endpoint ep = h.endpoint(receiver.url("/x").toString(), List.of("*"));
        h.herald.endpoints().disable(OP, ep.id());
        String id = h.publish("account.unfrozen").id();
        h.herald.endpoints().delete(OP, ep.id());
        assertThat(h.onlyDeliveryOf(id).status()).isEqualTo(Status.CANCELLED);
        assertThat(h.publish("account.unfrozen").deliveries()).as("deleted endpoints get nothing new").isZero();
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void freshWorkWithoutRoomInItsLaneIsStoredForTheScannerNotClaimedAndHandedBack(DatabaseConfig db) {
        h = EngineHarness.open(db, c -> new Dispatcher.Config(c.maxInFlightPerEndpoint(), c.maxInFlightPerMerchant(), 3, c.memoryBudget(),
                c.scanInterval(), c.scanBatch(), c.autoDisableAfter(), c.breakerThreshold(), c.breakerCooldown(), c.heartbeat(), c.deadAfter(),
                c.merchantAllowList()));
        receiver.reply("/held", Reply.hang());
        // a 10 s timeout: no held try ends (and writes its row) before the rows are read
        h.endpoint(new EndpointDraft(null, "held", null, receiver.url("/held").toString(), List.of("*"), null, null, null, null, null, null, 10));
        for (int i = 0; i < 10; i++) {
            h.publish("transfer.completed");
            int held = Math.min(i + 1, 5); // the lane's slow start: 2 in flight, then 3 waiting (its window)
            // the next ingest asks the lane only once this one's task reached it (the hand-off follows the commit)
            await().until(() -> h.herald.dispatcher().backlog() == held);
        }
        await().until(() -> receiver.received("/held").size() == 2);
        record Row(boolean claimed, boolean rewritten) {}
        List<Row> rows = h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select d.claimed_by is not null as claimed,"
                + " d.xmin::text <> e.xmin::text as rewritten from deliveries d join events e on e.seq = d.event_seq and e.part_day = d.part_day",
                ps -> {}, rs -> new Row(rs.getBoolean(1), rs.getBoolean(2))));
        assertThat(rows).hasSize(10);
        assertThat(rows.stream().filter(Row::claimed).count()).as("in flight or waiting in memory").isEqualTo(5);
        assertThat(rows).as("stored as they will be claimed: no row written twice by its ingest").noneMatch(Row::rewritten);

        receiver.reply("/held", Reply.status(200));
        await().atMost(Duration.ofSeconds(40)).until(() -> { // the held tries time out and come back later; the scanner takes the rest
            h.advanceAndScan(Duration.ofMinutes(5));
            return h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select count(*) from deliveries where status = 'delivered'", ps -> {},
                    rs -> rs.getInt(1))).getFirst() == 10;
        });
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void restartedProcessResumesDeliveriesLeftInFlight(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/slow", Reply.hang());
        h.endpoint(new EndpointDraft(null, "slow", null, receiver.url("/slow").toString(), List.of("*"), null, null, null, null, null, null, 1));
        String id = h.publish("transfer.completed").id();
        await().until(() -> receiver.received("/slow").size() == 1);
        // The process dies mid-attempt: its claim stays in the database. A new process takes over.
        EngineHarness crashed = h;
        receiver.reply("/slow", Reply.status(200));
        h = crashed.restart(db);
        assertThat(h.scan()).as("the old process may only be paused: its claim is kept until it stops heartbeating").isZero();
        h.advanceAndScan(Duration.ofSeconds(11));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.onlyDeliveryOf(id).status() == Status.DELIVERED);
        assertThat(receiver.received("/slow")).extracting(r -> r.header("webhook-id")).containsOnly(id);

        crashed.close(); // the old process's try ends (timeout) and is recorded, but must not undo the new one's success
        Delivery d = h.onlyDeliveryOf(id);
        assertThat(d.status()).isEqualTo(Status.DELIVERED);
        assertThat(h.herald.deliveries().get(d.id(), null).attempts()).extracting(Attempt::errorClass).containsExactlyInAnyOrder("timeout", null);
        assertThat(attemptRows(d.id())).as("the new process's success is in the row; the old one's late try, whose claim was lost, is a row")
                .isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void testSendIsRecordedButNeverRetried(DatabaseConfig db) {
        h = EngineHarness.open(db);
        receiver.reply("/t", Reply.status(500));
        Endpoint ep = h.endpoint(receiver.url("/t").toString(), List.of("account.created"));
        Dispatcher.TestResult t = h.herald.deliveries().test(OP, ep.id());
        assertThat(t.success()).isFalse();
        assertThat(t.result().statusCode()).isEqualTo(500);
        assertThat(h.herald.deliveries().get(t.deliveryId(), null).delivery().status()).isEqualTo(Status.FAILED);
        assertThat(h.herald.endpoints().get(ep.id()).endpoint().consecutiveFailures()).isZero();
        assertThat(receiver.received("/t").getFirst().header("x-webhook-event")).isEqualTo("webhook.test");
    }
}
