package dev.herald.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LaneTest {
    private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    private final List<DeliveryTask> start = new ArrayList<>();
    private final List<String> release = new ArrayList<>();
    private final MemoryBudget budget = new MemoryBudget(1000, 0);

    private static DeliveryTask task(String id, String key, int priority) {
        return new DeliveryTask(id, "evt_" + id, "ep", "t.x", new byte[0], "0".repeat(32), priority, 0, 0, key);
    }

    private Lane lane(int maxInFlight, int window) {
        return lane(maxInFlight, window, null);
    }

    private Lane lane(int maxInFlight, int window, MerchantGate gate) {
        return new Lane(maxInFlight, window, new CircuitBreaker(3, Duration.ofSeconds(30), Duration.ofMinutes(5)), budget, gate);
    }

    @Test
    void aMerchantsLanesShareItsCapAndARefusedLaneIsHandedBackWhenASlotFrees() {
        MerchantGate gate = new MerchantGate(() -> 3);
        Lane a = lane(2, 10, gate);
        Lane b = lane(2, 10, gate);
        for (String id : List.of("a1", "a2", "a3")) {
            a.offer(task(id, null, 0), false, false, t0, start, release);
        }
        assertThat(started()).containsExactly("a1", "a2");
        b.offer(task("b1", null, 0), false, false, t0, start, release);
        b.offer(task("b2", null, 0), false, false, t0, start, release);
        assertThat(started()).as("the merchant's third slot").containsExactly("b1");
        assertThat(gate.inFlight()).isEqualTo(3);
        assertThat(gate.takeWaiting()).as("nothing frees while all slots are taken").isEmpty();

        a.finished(task("a1", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).as("a's own next task takes the freed slot").containsExactly("a3");
        b.finished(task("b1", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("b2");
        assertThat(gate.inFlight()).isEqualTo(3);
    }

    @Test
    void aLaneHeldBackByItsMerchantIsPumpedOnceAnotherLaneFinishes() {
        MerchantGate gate = new MerchantGate(() -> 1);
        Lane a = lane(4, 10, gate);
        Lane b = lane(4, 10, gate);
        a.offer(task("a1", null, 0), false, false, t0, start, release);
        b.offer(task("b1", null, 0), false, false, t0, start, release);
        assertThat(started()).containsExactly("a1");
        a.finished(task("a1", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).isEmpty();
        List<Lane> waiting = gate.takeWaiting();
        assertThat(waiting).containsExactly(b);
        waiting.forEach(l -> l.pump(t0, start));
        assertThat(started()).containsExactly("b1");
    }

    private List<String> started() {
        List<String> ids = start.stream().map(DeliveryTask::deliveryId).toList();
        start.clear();
        return ids;
    }

    @Test
    void capsTriesInFlightAndStartsTheHighestPriorityNext() {
        Lane lane = lane(1, 10);
        lane.offer(task("a", null, 0), false, false, t0, start, release);
        lane.offer(task("low", null, 1), false, false, t0, start, release);
        lane.offer(task("high", null, 9), false, false, t0, start, release);
        assertThat(started()).containsExactly("a");
        lane.finished(task("a", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("high");
        lane.finished(task("high", null, 9), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("low");
    }

    @Test
    void aNewLaneStartsSlowAndOpensOneMoreTryPerDeliveredOneUpToItsCap() {
        Lane lane = lane(4, 100);
        for (int i = 0; i < 20; i++) {
            lane.offer(task("t" + i, null, 0), false, false, t0, start, release);
        }
        assertThat(started()).as("slow start").containsExactly("t0", "t1");
        lane.finished(task("t0", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).as("one delivered: its slot and one more").containsExactly("t2", "t3");
        lane.finished(task("t1", null, 0), false, Lane.Finish.RETRY_LATER, t0, start, release);
        assertThat(started()).as("a failed try frees its slot only").containsExactly("t4");
        lane.finished(task("t2", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("t5", "t6");
        lane.finished(task("t3", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).as("at the cap of 4: one for one").containsExactly("t7");
        assertThat(lane.size() - lane.waiting()).isEqualTo(4);
    }

    @Test
    void aLaneWhoseBreakerClosesAgainStartsSlowAgain() {
        Lane lane = lane(4, 100);
        for (int i = 0; i < 60; i++) {
            lane.offer(task("t" + i, null, 0), false, false, t0, start, release);
        }
        int n = 0;
        for (int i = 0; i < 6; i++) { // grow to the cap
            for (String id : started()) {
                lane.finished(task(id, null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
                n++;
            }
        }
        List<String> inFlight = started();
        assertThat(inFlight).hasSize(4);
        for (String id : inFlight) {
            lane.finished(task(id, null, 0), false, Lane.Finish.RETRY_LATER, t0, start, release);
        }
        List<String> more = started();
        for (String id : more) {
            lane.finished(task(id, null, 0), false, Lane.Finish.RETRY_LATER, t0, start, release);
        }
        started();
        assertThat(lane.breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
        Instant later = t0.plusSeconds(31);
        lane.pump(later, start);
        List<String> probe = started();
        assertThat(probe).as("half-open: one probe").hasSize(1);
        lane.finished(task(probe.getFirst(), null, 0), false, Lane.Finish.DELIVERED, later, start, release);
        assertThat(lane.breaker().state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(started()).as("closed again: back to the slow start").hasSize(2);
        assertThat(n).isGreaterThan(4);
    }

    @Test
    void overflowBeyondTheWindowGoesBackToTheDatabase() {
        Lane lane = lane(1, 2);
        for (String id : List.of("a", "b", "c", "d")) {
            lane.offer(task(id, null, 0), false, false, t0, start, release);
        }
        assertThat(started()).containsExactly("a");
        assertThat(release).containsExactly("d");
        assertThat(lane.saturated(t0)).isTrue();
    }

    @Test
    void fifoSendsOneTaskPerKeyInOrderWhileOtherKeysFlow() {
        Lane lane = lane(8, 100);
        lane.offer(task("a1", "A", 0), true, false, t0, start, release);
        lane.offer(task("a2", "A", 9), true, false, t0, start, release);
        lane.offer(task("b1", "B", 0), true, false, t0, start, release);
        assertThat(started()).containsExactly("a1", "b1");
        lane.finished(task("a1", "A", 0), true, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("a2");
    }

    @Test
    void failingHeadBlocksItsKeyOnlyAndItsFollowersGoBackToTheDatabase() {
        Lane lane = lane(8, 100);
        lane.offer(task("a1", "A", 0), true, false, t0, start, release);
        lane.offer(task("a2", "A", 0), true, false, t0, start, release);
        lane.offer(task("b1", "B", 0), true, false, t0, start, release);
        started();
        lane.finished(task("a1", "A", 0), true, Lane.Finish.RETRY_LATER, t0, start, release);
        assertThat(release).containsExactly("a2");
        assertThat(started()).isEmpty();

        lane.offer(task("a3", "A", 0), true, false, t0, start, release);
        assertThat(release).as("fresh work of a blocked key waits in the database").containsExactly("a2", "a3");
        lane.offer(task("b2", "B", 0), true, false, t0, start, release);
        lane.finished(task("b1", "B", 0), true, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("b2");

        lane.offer(task("a1", "A", 0), true, true, t0, start, release);
        assertThat(started()).as("the database hands the head back; it unblocks its key").containsExactly("a1");
        lane.finished(task("a1", "A", 0), true, Lane.Finish.DELIVERED, t0, start, release);
        lane.offer(task("a2", "A", 0), true, false, t0, start, release);
        assertThat(started()).containsExactly("a2");
    }

    @Test
    void breakerOpensAfterConsecutiveFailuresProbesOnceAfterCooldownAndClosesOnSuccess() {
        Lane lane = lane(4, 100);
        for (int i = 0; i < 3; i++) {
            lane.offer(task("f" + i, null, 0), false, false, t0, start, release);
        }
        started();
        for (int i = 0; i < 3; i++) {
            lane.finished(task("f" + i, null, 0), false, Lane.Finish.RETRY_LATER, t0, start, release);
        }
        started(); // f2, started by the slow start once f0 ended
        assertThat(lane.breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(lane.breaker().retryAt()).isEqualTo(t0.plusSeconds(30));
        lane.offer(task("w1", null, 0), false, false, t0, start, release);
        lane.offer(task("w2", null, 0), false, false, t0, start, release);
        assertThat(started()).as("open: nothing is sent").isEmpty();
        assertThat(lane.saturated(t0)).isTrue();

        Instant later = t0.plusSeconds(31);
        lane.pump(later, start);
        assertThat(started()).as("half-open: one probe").containsExactly("w1");
        assertThat(lane.breaker().state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        lane.finished(task("w1", null, 0), false, Lane.Finish.RETRY_LATER, later, start, release);
        assertThat(lane.breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(lane.breaker().retryAt()).as("cool-down doubles").isEqualTo(later.plusSeconds(60));

        Instant evenLater = later.plusSeconds(61);
        lane.pump(evenLater, start);
        assertThat(started()).containsExactly("w2");
        lane.finished(task("w2", null, 0), false, Lane.Finish.DELIVERED, evenLater, start, release);
        assertThat(lane.breaker().state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(lane.breaker().consecutiveFailures()).isZero();
    }

    @Test
    void drainReturnsWaitingWorkButNotWhatIsInFlight() {
        Lane lane = lane(1, 10);
        lane.offer(task("a", null, 0), false, false, t0, start, release);
        lane.offer(task("b", null, 0), false, false, t0, start, release);
        lane.offer(task("k1", "K", 0), true, false, t0, start, release);
        assertThat(lane.drain()).containsExactlyInAnyOrder("b", "k1");
        assertThat(lane.size()).isEqualTo(1);
    }

    private static Lane lane(int maxInFlight, MemoryBudget budget) {
        return new Lane(maxInFlight, 100, new CircuitBreaker(3, Duration.ofSeconds(30), Duration.ofMinutes(5)), budget, null);
    }

    @Test
    void sharedMemoryBudgetCapsWaitingTasksAcrossLanesAndIsReturned() {
        MemoryBudget shared = new MemoryBudget(3, 0);
        Lane one = lane(1, shared);
        Lane two = lane(1, shared);
        for (String id : List.of("a", "b", "c")) {
            one.offer(task(id, null, 0), false, false, t0, start, release);
        }
        for (String id : List.of("x", "y", "z")) {
            two.offer(task(id, null, 0), false, false, t0, start, release);
        }
        assertThat(started()).containsExactly("a", "x");
        assertThat(shared.used()).isEqualTo(3);
        assertThat(release).containsExactly("z");
        one.finished(task("a", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).containsExactly("b");
        assertThat(one.drain()).containsExactly("c");
        assertThat(shared.used()).as("started and drained tasks give their budget back").isEqualTo(1);
    }

    @Test
    void aLaneMayAlwaysHoldTheFloorSoAFullNodeDoesNotStarveIt() {
        MemoryBudget shared = new MemoryBudget(2, 1);
        Lane hog = lane(1, shared);
        Lane healthy = lane(1, shared);
        for (String id : List.of("h0", "h1", "h2", "h3")) {
            hog.offer(task(id, null, 0), false, false, t0, start, release);
        }
        assertThat(release).as("the hog holds the node's whole budget").containsExactly("h3");
        healthy.offer(task("x0", null, 0), false, false, t0, start, release);
        healthy.offer(task("x1", null, 0), false, false, t0, start, release);
        assertThat(started()).containsExactly("h0", "x0");
        assertThat(healthy.waiting()).as("within the floor though the node is full").isEqualTo(1);
    }

    @Test
    void sheddingHandsBackTheLowestPriorityNewestTasksBeyondTheShare() {
        MemoryBudget shared = new MemoryBudget(100, 0);
        Lane lane = lane(1, shared);
        lane.offer(task("busy", null, 0), false, false, t0, start, release); // in flight: never shed
        lane.offer(task("old-low", null, 0), false, false, t0, start, release);
        lane.offer(task("high", null, 5), false, false, t0, start, release);
        lane.offer(task("new-low", null, 0), false, false, t0, start, release);
        shared.split(50); // fifty lanes with work: a share of 2 each
        assertThat(lane.saturated(t0)).isTrue();
        assertThat(lane.shed(shared.share())).containsExactly("new-low");
        assertThat(lane.waiting()).isEqualTo(2);
        assertThat(shared.used()).isEqualTo(2);
        assertThat(lane.shed(shared.share())).as("nothing beyond the share").isEmpty();
    }

    @Test
    void aShedFifoKeyGoesBackWholeAndStaysBlockedUntilTheDatabaseHandsOutItsHead() {
        MemoryBudget shared = new MemoryBudget(100, 0);
        Lane lane = lane(1, shared);
        lane.offer(task("busy", null, 0), true, false, t0, start, release);
        lane.offer(task("k1", "K", 0), true, false, t0, start, release);
        lane.offer(task("k2", "K", 0), true, false, t0, start, release);
        assertThat(lane.shed(0)).containsExactly("k1", "k2");
        lane.offer(task("k3", "K", 0), true, false, t0, start, release);
        assertThat(release).as("a fresh task may not overtake the shed ones").containsExactly("k3");
        lane.offer(task("k1", "K", 0), true, true, t0, start, release);
        assertThat(lane.waiting()).as("the claimed head unblocks its key").isEqualTo(1);
        assertThat(shared.used()).isEqualTo(1);
    }

    @Test
    void rateLimitSpacesTriesAndSaysWhenTheNextMayStart() {
        Lane lane = lane(10, 100);
        lane.rateLimit(2, t0);
        for (String id : List.of("a", "b", "c", "d")) {
            lane.offer(task(id, null, 0), false, false, t0, start, release);
        }
        assertThat(started()).as("a burst of one second's worth").containsExactly("a", "b");
        lane.finished(task("a", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        lane.finished(task("b", null, 0), false, Lane.Finish.DELIVERED, t0, start, release);
        assertThat(started()).as("slots free, but no token").isEmpty();
        assertThat(lane.nextPaceAt(t0)).isEqualTo(t0.plusMillis(500));
        lane.pump(t0.plusMillis(499), start);
        assertThat(started()).isEmpty();
        lane.pump(t0.plusMillis(500), start);
        assertThat(started()).containsExactly("c");
        lane.rateLimit(null, t0.plusMillis(500));
        lane.pump(t0.plusMillis(500), start);
        assertThat(started()).as("limit removed").containsExactly("d");
        assertThat(lane.nextPaceAt(t0.plusMillis(500))).isNull();
    }
}
