package dev.herald.bank.transfer;

import static dev.herald.bank.BankHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.bank.BankHarness;
import dev.herald.bank.account.Account;
import dev.herald.bus.BusMessage;
import dev.herald.bus.Incoming;
import dev.herald.outbox.BusPublisher;
import dev.herald.outbox.OutboxEvent;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TransferConsumerTest {

    /** A delivered message that records how it was settled. */
    static final class Delivery implements Incoming {
        final BusMessage message;
        final boolean redelivered;
        volatile String outcome;

        Delivery(BusMessage message, boolean redelivered) {
            this.message = message;
            this.redelivered = redelivered;
        }

        @Override public BusMessage message() { return message; }
        @Override public boolean redelivered() { return redelivered; }
        @Override public void ack() { outcome = "ack"; }
        @Override public void requeue() { outcome = "requeue"; }
        @Override public void deadLetter(String reason) { outcome = "dead"; }
    }

    private static BusMessage created(BankHarness h) {
        return h.jdbc().read(c -> Jdbc.query(c, "select id, type, ordering_key, priority, trace_id, body from herald_outbox where type = 'transfer.created'",
                ps -> {}, rs -> BusPublisher.toMessage(new OutboxEvent(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                        rs.getString(5), rs.getString(6))))).getFirst();
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aRedeliveredTransferCreatedIsAckedWithoutMovingMoneyAgain(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 5_000);
            Account b = h.open("EUR");
            h.bank.transfers().create(OP, new TransferService.Request("redeliver", a.uuid(), b.uuid(), 1_000L, "EUR", null));
            BusMessage m = created(h);
            TransferConsumer consumer = new TransferConsumer(h.bank.transfers(), java.time.Duration.ZERO);

            Delivery first = new Delivery(m, false);
            consumer.process(first);
            Delivery again = new Delivery(m, true);
            consumer.process(again);

            assertThat(first.outcome).isEqualTo("ack");
            assertThat(again.outcome).isEqualTo("ack");
            assertThat(h.balance(a.uuid())).isEqualTo(4_000);
            assertThat(h.balance(b.uuid())).isEqualTo(1_000);
            assertThat(h.outbox("transfer.completed")).hasSize(1);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void otherTypesAreAckedUnreadableOnesDeadLetteredAndADatabaseFailureRequeues(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 5_000);
            Account b = h.open("EUR");
            h.bank.transfers().create(OP, new TransferService.Request("down", a.uuid(), b.uuid(), 1_000L, "EUR", null));
            TransferConsumer consumer = new TransferConsumer(h.bank.transfers(), java.time.Duration.ZERO);

            Delivery other = new Delivery(new BusMessage("evt_x", "transfer.completed", 5, "{}".getBytes(StandardCharsets.UTF_8), Map.of()), false);
            consumer.process(other);
            assertThat(other.outcome).isEqualTo("ack");
            Delivery garbage = new Delivery(new BusMessage("evt_y", "transfer.created", 5, "not json".getBytes(StandardCharsets.UTF_8), Map.of()), false);
            consumer.process(garbage);
            assertThat(garbage.outcome).isEqualTo("dead");

            BusMessage m = created(h);
            h.db.close();
            Delivery down = new Delivery(m, false);
            consumer.process(down);
            assertThat(down.outcome).isEqualTo("requeue");
        }
    }
}
