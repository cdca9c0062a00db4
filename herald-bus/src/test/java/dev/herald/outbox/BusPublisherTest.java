package dev.herald.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.bus.Bus;
import dev.herald.bus.BusMessage;
import dev.herald.bus.InProcessBus;
import dev.herald.bus.Incoming;
import dev.herald.bus.QueueSpec;
import dev.herald.store.Database;
import dev.herald.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class BusPublisherTest {

    @Test
    void anEventBecomesAPersistentMessageWithItsIdTypePriorityAndTraceHeaders() {
        OutboxEvent e = new OutboxEvent("evt_42", "transfer.completed", "acc-1", 7, "0af7651916cd43dd8448eb211c80319c", "{\"id\":\"evt_42\"}");

        BusMessage m = BusPublisher.toMessage(e);

        assertThat(m.messageId()).isEqualTo("evt_42");
        assertThat(m.routingKey()).isEqualTo("transfer.completed");
        assertThat(m.priority()).isEqualTo(7);
        assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"evt_42\"}");
        assertThat(m.headers()).containsEntry(BusMessage.TRACE_ID, "0af7651916cd43dd8448eb211c80319c");
        assertThat(m.headers().get(BusMessage.TRACEPARENT)).matches("00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01");
        assertThat(BusPublisher.toMessage(e).headers()).as("a republished event carries the same headers").isEqualTo(m.headers());
    }

    @Test
    void anInvalidTraceIdIsPassedOnWithoutATraceparent() {
        BusMessage m = BusPublisher.toMessage(new OutboxEvent("e", "a.b", null, 0, "not-hex", "{}"));
        assertThat(m.headers()).containsEntry(BusMessage.TRACE_ID, "not-hex").doesNotContainKey(BusMessage.TRACEPARENT);
        assertThat(BusPublisher.toMessage(new OutboxEvent("e", "a.b", null, 0, null, "{}")).headers()).isEmpty();
    }

    @Test
    void aRunningRelayCarriesCommittedOutboxRowsToBusConsumers() throws Exception {
        try (Database db = Database.open(TestPostgres.embedded(), "classpath:db/none"); Bus bus = InProcessBus.create()) {
            try (Connection c = db.dataSource().getConnection()) {
                Outbox.createTable(c);
            }
            List<Incoming> got = new CopyOnWriteArrayList<>();
            QueueSpec q = new QueueSpec("test.relay", List.of("account.*"), 10, null);
            try (Bus.Subscription ignored = bus.consume(q, 10, m -> {
                got.add(m);
                m.ack();
            }); OutboxRelay relay = new OutboxRelay(db.dataSource(), new BusPublisher(bus), OutboxRelay.Config.defaults(), Clock.systemUTC()).start()) {
                try (Connection c = db.dataSource().getConnection()) {
                    c.setAutoCommit(false);
                    Outbox.append(c, List.of(new OutboxEvent("a1", "account.created", "acc", 0, null, "{\"id\":\"a1\"}"),
                            new OutboxEvent("a2", "account.updated", "acc", 0, null, "{\"id\":\"a2\"}")));
                    c.commit();
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 2);
                assertThat(got).extracting(i -> i.message().messageId()).containsExactly("a1", "a2");
            }
        }
    }
}
