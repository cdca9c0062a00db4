package dev.herald.bank.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.support.Json;
import dev.herald.outbox.OutboxEvent;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BalanceAlertsTest {
    private static final UUID ACCOUNT = UUID.randomUUID();
    private static final Instant AT = Instant.parse("2025-01-14T10:30:00Z");

    @Test
    void aBalanceGoingBelowZeroEmitsBalanceNegativeAsWellAsBalanceLow() {
        List<OutboxEvent> events = Ledger.balanceAlerts(ACCOUNT, "EUR", 1_500, -20, "t", AT, 1_000);
        assertThat(events).extracting(OutboxEvent::type).containsExactly("balance.low", "balance.negative");
        JsonNode data = Json.read(events.get(1).body()).get("data");
        assertThat(data.toString()).isEqualTo("{\"account_uuid\":\"" + ACCOUNT + "\",\"balance\":-20,\"currency\":\"EUR\",\"threshold\":0}");
        assertThat(events.get(1).orderingKey()).isEqualTo(ACCOUNT.toString());
    }

    @Test
    void balanceLowFiresOnlyOnTheCrossing() {
        assertThat(Ledger.balanceAlerts(ACCOUNT, "EUR", 1_000, 999, "t", AT, 1_000)).hasSize(1);
        assertThat(Ledger.balanceAlerts(ACCOUNT, "EUR", 999, 500, "t", AT, 1_000)).isEmpty();
        assertThat(Ledger.balanceAlerts(ACCOUNT, "EUR", 5_000, 1_000, "t", AT, 1_000)).isEmpty();
    }
}
