package dev.herald.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link Bus} must do, run against each implementation. */
abstract class BusContractTest {
    protected Bus bus;
    private final List<String> created = new ArrayList<>();
    private final List<Bus.Subscription> subscriptions = new ArrayList<>();

    /** A fresh bus for one test. */
    protected abstract Bus newBus();

    /** Deletes a queue a test declared (a no-op where queues die with the bus). */
    protected abstract void deleteQueue(String name);

    @BeforeEach
    void openBus() {
        bus = newBus();
    }

    @AfterEach
    void closeBus() {
        subscriptions.forEach(Bus.Subscription::close);
        bus.close();
        created.forEach(this::deleteQueue);
    }

    protected QueueSpec queue(String... bindings) {
        return queue(10, bindings);
    }

    protected QueueSpec queue(int maxPriority, String... bindings) {
        String name = "test." + getClass().getSimpleName() + "." + UUID.randomUUID().toString().substring(0, 8);
        created.add(name);
        return new QueueSpec(name, List.of(bindings), maxPriority, null);
    }

    protected static String uniqueKey(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    protected static BusMessage message(String id, String routingKey, int priority) {
        return new BusMessage(id, routingKey, priority, ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8),
                Map.of(BusMessage.TRACE_ID, "0af7651916cd43dd8448eb211c80319c"));
    }

    protected void subscriptionsAdd(Bus.Subscription s) {
        subscriptions.add(s);
    }

    protected Recorder consume(QueueSpec q, int prefetch, boolean autoAck) {
        Recorder r = new Recorder(autoAck);
        subscriptions.add(bus.consume(q, prefetch, r));
        return r;
    }

    protected static final class Recorder implements Bus.MessageHandler {
        final List<Incoming> received = new CopyOnWriteArrayList<>();
        private final boolean autoAck;

        Recorder(boolean autoAck) {
            this.autoAck = autoAck;
        }

        @Override
        public void handle(Incoming m) {
            received.add(m);
            if (autoAck) {
                m.ack();
            }
        }

        List<String> ids() {
            return received.stream().map(i -> i.message().messageId()).toList();
        }
    }

    @Test
    void topicBindingsRouteStarAsOneWordAndHashAsAnyWords() {
        String ns = uniqueKey("ns");
        QueueSpec star = queue(ns + ".*");
        QueueSpec hash = queue(ns + ".#");
        QueueSpec exact = queue(ns + ".a.b");
        Recorder s = consume(star, 100, true);
        Recorder h = consume(hash, 100, true);
        Recorder e = consume(exact, 100, true);

        bus.publish(List.of(message("m1", ns + ".a", 0), message("m2", ns + ".a.b", 0), message("m3", ns, 0),
                message("m4", "other.a", 0)));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(s.ids()).containsExactly("m1");
            assertThat(h.ids()).containsExactlyInAnyOrder("m1", "m2", "m3");
            assertThat(e.ids()).containsExactly("m2");
        });
    }

    @Test
    void messageIdRoutingKeyPriorityHeadersAndBodyArriveUnchanged() {
        String key = uniqueKey("rt");
        QueueSpec q = queue(key);
        Recorder r = consume(q, 10, true);
        BusMessage sent = new BusMessage("evt_1", key, 7, "{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8),
                Map.of(BusMessage.TRACE_ID, "t1", BusMessage.TRACEPARENT, "00-t1-01"));

        bus.publish(List.of(sent));

        await().atMost(Duration.ofSeconds(10)).until(() -> r.received.size() == 1);
        Incoming in = r.received.getFirst();
        assertThat(in.redelivered()).isFalse();
        assertThat(in.message().messageId()).isEqualTo("evt_1");
        assertThat(in.message().routingKey()).isEqualTo(key);
        assertThat(in.message().priority()).isEqualTo(7);
        assertThat(in.message().body()).isEqualTo(sent.body());
        assertThat(in.message().headers()).containsAllEntriesOf(sent.headers());
    }

    @Test
    void messagesPublishedBeforeTheQueueIsDeclaredAreDropped() {
        String key = uniqueKey("early");
        QueueSpec q = queue(key);
        bus.publish(List.of(message("before", key, 0)));
        bus.declare(q);
        bus.publish(List.of(message("after", key, 0)));
        Recorder r = consume(q, 10, true);

        await().atMost(Duration.ofSeconds(10)).until(() -> r.ids().contains("after"));
        bus.publish(List.of(message("marker", key, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> r.ids().contains("marker"));
        assertThat(r.ids()).containsExactly("after", "marker");
    }

    @Test
    void aDeclaredQueueKeepsMessagesUntilAConsumerComesInFifoOrder() {
        String key = uniqueKey("fifo");
        QueueSpec q = queue(key);
        bus.declare(q);
        List<String> ids = IntStream.range(0, 50).mapToObj(i -> "m" + i).toList();
        bus.publish(ids.stream().map(id -> message(id, key, 0)).toList());
        Recorder r = consume(q, 5, true);

        await().atMost(Duration.ofSeconds(10)).until(() -> r.received.size() == 50);
        assertThat(r.ids()).containsExactlyElementsOf(ids);
    }

    @Test
    void higherPriorityMessagesAreDeliveredFirst() {
        String key = uniqueKey("prio");
        QueueSpec q = queue(key);
        bus.declare(q);
        bus.publish(List.of(message("low1", key, 0), message("high1", key, 9), message("mid", key, 5), message("low2", key, 0),
                message("high2", key, 9)));
        Recorder r = consume(q, 1, true);

        await().atMost(Duration.ofSeconds(10)).until(() -> r.received.size() == 5);
        assertThat(r.ids()).containsExactly("high1", "high2", "mid", "low1", "low2");
    }

    @Test
    void aConsumerNeverHoldsMoreUnackedMessagesThanItsPrefetch() {
        String key = uniqueKey("prefetch");
        QueueSpec q = queue(key);
        bus.declare(q);
        bus.publish(IntStream.range(0, 8).mapToObj(i -> message("m" + i, key, 0)).toList());
        Recorder holder = consume(q, 3, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> holder.received.size() == 3);

        Recorder other = consume(q, 100, false); // takes what the full window of the first consumer leaves
        await().atMost(Duration.ofSeconds(10)).until(() -> other.received.size() == 5);
        assertThat(holder.received).hasSize(3);

        holder.received.getFirst().ack();
        bus.publish(List.of(message("m8", key, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> holder.received.size() + other.received.size() == 9);
    }

    @Test
    void aRequeuedMessageIsDeliveredAgainMarkedRedelivered() {
        String key = uniqueKey("requeue");
        QueueSpec q = queue(key);
        List<Incoming> seen = new CopyOnWriteArrayList<>();
        subscriptions.add(bus.consume(q, 10, m -> {
            seen.add(m);
            if (seen.size() == 1) {
                m.requeue();
            } else {
                m.ack();
            }
        }));

        bus.publish(List.of(message("again", key, 0)));

        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        assertThat(seen.get(0).redelivered()).isFalse();
        assertThat(seen.get(1).redelivered()).isTrue();
        assertThat(seen.get(1).message().messageId()).isEqualTo("again");
    }

    @Test
    void aDeadLetteredMessageLandsInFinanceDeadWithItsIdAndReason() {
        String key = uniqueKey("poison");
        QueueSpec q = queue(key);
        String id = uniqueKey("poison-id");
        subscriptions.add(bus.consume(q, 10, in -> in.deadLetter("ordering_key: too long\n" + "x".repeat(1000))));
        // finance.dead is shared: keep others' messages unacked (they go back when the subscription closes)
        Recorder dead = consume(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null), 10_000, false);

        bus.publish(List.of(message(id, key, 3)));

        await().atMost(Duration.ofSeconds(10)).until(() -> dead.ids().contains(id));
        Incoming d = dead.received.stream().filter(i -> i.message().messageId().equals(id)).findFirst().orElseThrow();
        assertThat(d.message().routingKey()).isEqualTo(key);
        assertThat(d.message().headers()).containsEntry("x-first-death-queue", q.name());
        assertThat(d.message().headers().get(Incoming.REASON_HEADER)).startsWith("ordering_key: too long?xxx")
                .hasSize(Incoming.MAX_REASON);
        d.ack();
    }

    @Test
    void aMessageDeadLetteredWithoutAReasonStillLandsInFinanceDead() {
        String key = uniqueKey("poison-plain");
        QueueSpec q = queue(key);
        String id = uniqueKey("poison-plain-id");
        subscriptions.add(bus.consume(q, 10, in -> in.deadLetter(null)));
        Recorder dead = consume(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null), 10_000, false);

        bus.publish(List.of(message(id, key, 0)));

        await().atMost(Duration.ofSeconds(10)).until(() -> dead.ids().contains(id));
        Incoming d = dead.received.stream().filter(i -> i.message().messageId().equals(id)).findFirst().orElseThrow();
        assertThat(d.message().headers()).doesNotContainKey(Incoming.REASON_HEADER);
        d.ack();
    }

    @Test
    void closingASubscriptionReturnsItsUnackedMessagesForRedelivery() {
        String key = uniqueKey("close");
        QueueSpec q = queue(key);
        List<Incoming> first = new CopyOnWriteArrayList<>();
        Bus.Subscription sub = bus.consume(q, 10, first::add);
        bus.publish(List.of(message("a", key, 0), message("b", key, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.size() == 2);
        first.getFirst().ack();

        sub.close();
        first.get(1).ack(); // too late: the message went back with the subscription

        Recorder second = consume(q, 10, true);
        await().atMost(Duration.ofSeconds(10)).until(() -> second.received.size() == 1);
        assertThat(second.ids()).containsExactly("b");
        assertThat(second.received.getFirst().redelivered()).isTrue();
    }

    @Test
    void onlyTheFirstSettlementCountsAndItMayComeFromAnotherThread() throws Exception {
        String key = uniqueKey("once");
        QueueSpec q = queue(key);
        List<Incoming> seen = new CopyOnWriteArrayList<>();
        subscriptions.add(bus.consume(q, 10, seen::add));
        bus.publish(List.of(message("x", key, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);

        Thread t = Thread.ofPlatform().start(() -> {
            seen.getFirst().ack();
            seen.getFirst().requeue();
            seen.getFirst().deadLetter("too late");
        });
        t.join();
        bus.publish(List.of(message("y", key, 0)));

        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        assertThat(seen.get(1).message().messageId()).isEqualTo("y");
        seen.get(1).ack();
    }

    @Test
    void manyConcurrentPublishersLoseNothing() throws Exception {
        String key = uniqueKey("many");
        QueueSpec q = queue(key);
        Recorder r = consume(q, 64, true);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 250; i += 25) {
                    int from = base + i;
                    bus.publish(IntStream.range(from, from + 25).mapToObj(n -> message("m" + n, key, n % 10)).toList());
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> r.received.size() >= 1000);
        List<String> ids = new ArrayList<>(r.ids());
        Collections.sort(ids);
        assertThat(ids).doesNotHaveDuplicates().hasSize(1000);
    }

    @Test
    void publishAfterCloseThrowsBusException() {
        Bus other = newBus();
        other.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> other.publish(List.of(message("late", "x.y", 0))))
                .isInstanceOf(BusException.class);
    }
}
