package dev.herald.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The bus contract on a real RabbitMQ, plus what only a broker can do: drop connections and restart. */
class RabbitBusTest extends BusContractTest {
    private static final Duration RECOVERY = Duration.ofSeconds(60);

    @Override
    protected Bus newBus() {
        return RabbitBus.connect(TestRabbit.uriOrSkip());
    }

    @Override
    protected void deleteQueue(String name) {
        TestRabbit.deleteQueue(name);
    }

    @Test
    void theUriPasswordIsNeverShown() {
        assertThat(RabbitBus.redact("amqp://herald:s3cret@mq.example:5672/finance")).isEqualTo("amqp://herald:***@mq.example:5672/finance");
        assertThat(RabbitBus.redact("amqp://mq.example/")).isEqualTo("amqp://mq.example/");
        assertThat(RabbitBus.redact("amqp://herald:s3cret@/")).isEqualTo("amqp://herald:***@/");
        assertThat(RabbitBus.redact("amqp://herald:p@ss:w0rd@mq/%2F")).isEqualTo("amqp://herald:***@mq/%2F");
        assertThat(RabbitBus.redact("amqp://herald@mq/")).isEqualTo("amqp://herald@mq/");
        assertThatThrownBy(() -> RabbitBus.connect("amqp://herald:s3cret@127.0.0.1:1/"))
                .isInstanceOf(BusException.class)
                .hasMessageContaining("herald:***@127.0.0.1:1")
                .message().doesNotContain("s3cret");
    }

    @Test
    void theBrokerTellsHowManyMessagesWaitInAQueue() {
        String key = uniqueKey("ready");
        QueueSpec q = queue(key);
        bus.declare(q);
        assertThat(bus.ready(q.name())).hasValue(0);
        bus.publish(IntStream.range(0, 3).mapToObj(i -> message("r" + i, key, 0)).toList());
        await().atMost(Duration.ofSeconds(10)).until(() -> bus.ready(q.name()).orElse(-1) == 3);
        assertThatThrownBy(() -> bus.ready("test.no-such-queue." + key)).isInstanceOf(BusException.class);
        assertThat(bus.ready(q.name())).as("the bus stays usable").hasValue(3);
    }

    @Test
    void aDeclarationWithDifferentArgumentsIsRefusedAndTheBusStaysUsable() {
        QueueSpec q = queue(5, uniqueKey("args"));
        bus.declare(q);
        assertThatThrownBy(() -> bus.declare(new QueueSpec(q.name(), q.bindings(), 7, null))).isInstanceOf(BusException.class);
        Recorder r = consume(q, 10, true);
        bus.publish(List.of(message("still", q.bindings().getFirst(), 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> r.ids().contains("still"));
    }

    @Test
    void afterABrokerSideDropTheConsumerGetsUnackedMessagesAgainAndStaleAcksAreDropped() {
        String key = uniqueKey("drop");
        QueueSpec q = queue(key);
        Recorder r = consume(q, 10, false);
        bus.publish(IntStream.range(0, 5).mapToObj(i -> message("d" + i, key, 0)).toList());
        await().atMost(Duration.ofSeconds(10)).until(() -> r.received.size() == 5);
        List<Incoming> beforeDrop = new ArrayList<>(r.received);

        TestRabbit.rabbitmqctl("close_all_connections", "test");

        await().atMost(RECOVERY).until(() -> r.received.size() == 10);
        List<Incoming> again = r.received.subList(5, 10);
        assertThat(again).allMatch(Incoming::redelivered);
        assertThat(again).extracting(i -> i.message().messageId()).containsExactlyInAnyOrder("d0", "d1", "d2", "d3", "d4");

        beforeDrop.forEach(Incoming::ack); // tags of the dead channel: dropped, must not break the new one
        again.forEach(Incoming::ack);
        await().atMost(RECOVERY).ignoreExceptions().until(() -> {
            bus.publish(List.of(message("after", key, 0)));
            return true;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> r.ids().contains("after"));
        r.received.getLast().ack();
        assertThat(r.received).hasSize(11); // nothing acked was delivered a third time
    }

    @Test
    void aBrokerRestartLosesNoConfirmedMessageAndDuplicatesKeepTheirId() throws Exception {
        String key = uniqueKey("restart");
        QueueSpec q = queue(key);
        Set<String> receivedIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        subscriptionsAdd(bus.consume(q, 50, m -> {
            receivedIds.add(m.message().messageId());
            deliveries.incrementAndGet();
            m.ack();
        }));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        List<String> published = new CopyOnWriteArrayList<>();
        Thread publisher = Thread.ofPlatform().start(() -> {
            for (int i = 0; !stop.get(); i++) {
                BusMessage m = message("r" + i, key, i % 10);
                while (true) { // a producer publishes again what was not confirmed, as the outbox relay does
                    try {
                        bus.publish(List.of(m));
                        published.add(m.messageId());
                        break;
                    } catch (BusException e) {
                        failures.incrementAndGet();
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            }
        });
        int beforeRestart;
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> published.size() >= 50);
            TestRabbit.rabbitmqctl("stop_app");
            await().atMost(Duration.ofSeconds(20)).until(() -> failures.get() > 0); // publishing during the outage fails
        } finally {
            beforeRestart = published.size();
            TestRabbit.rabbitmqctl("start_app");
        }
        await().atMost(RECOVERY).until(() -> published.size() >= beforeRestart + 50); // and works again after it
        stop.set(true);
        publisher.join(RECOVERY.toMillis());
        assertThat(publisher.isAlive()).isFalse();

        await().atMost(RECOVERY).until(() -> receivedIds.containsAll(published));
        assertThat(receivedIds).containsExactlyInAnyOrderElementsOf(new HashSet<>(published));
        assertThat(deliveries.get()).isGreaterThanOrEqualTo(published.size());
    }
}
