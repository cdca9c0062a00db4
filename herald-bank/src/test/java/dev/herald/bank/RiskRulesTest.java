package dev.herald.bank;

import static dev.herald.bank.BankHarness.OP;
import static dev.herald.bank.BankHarness.TRACE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.account.Account;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bank.transfer.Transfer;
import dev.herald.bank.transfer.TransferService;
import dev.herald.store.DatabaseConfig;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RiskRulesTest {
    private static final UUID BLOCKED = UUID.randomUUID();
    private static final RiskRules RULES = new RiskRules(10_000, 15_000, 3, Set.of());
    private final AtomicInteger ids = new AtomicInteger();

    private Transfer transfer(BankHarness h, Account from, Account to, long amount) {
        Transfer t = h.bank.transfers().create(OP, new TransferService.Request("r-" + ids.incrementAndGet(), from.uuid(), to.uuid(), amount,
                from.currency(), null)).transfer();
        return h.bank.transfers().execute(t.uuid(), "m").transfer();
    }

    private static void assertRejected(BankHarness h, Transfer t, String reason, String rule, long balanceBefore, Account from) {
        assertThat(t.status()).isEqualTo(Transfer.FAILED);
        assertThat(t.failureReason()).isEqualTo(reason);
        assertThat(t.failureRule()).isEqualTo(rule);
        assertThat(h.balance(from.uuid())).isEqualTo(balanceBefore);
        JsonNode alert = h.outbox("risk.alert").getLast().get("data");
        assertThat(alert.get("transfer_uuid").asText()).isEqualTo(t.uuid().toString());
        assertThat(alert.get("rule").asText()).isEqualTo(rule);
        JsonNode failed = h.outbox("transfer.failed").getLast().get("data");
        assertThat(failed.get("reason").asText()).isEqualTo(reason);
        assertThat(failed.get("rule").asText()).isEqualTo(rule);
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aTransferAboveThePerTransferLimitIsRejected(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, RULES)) {
            Account a = h.funded("EUR", 50_000);
            Account b = h.open("EUR");
            assertRejected(h, transfer(h, a, b, 10_001), "risk_rejected", "transfer_limit", 50_000, a);
            assertThat(transfer(h, a, b, 10_000).status()).isEqualTo(Transfer.COMPLETED);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void transfersBeyondTheDailyLimitAreRejectedUntilTheNextDay(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, RULES)) {
            Account a = h.funded("EUR", 50_000);
            Account b = h.open("EUR");
            assertThat(transfer(h, a, b, 8_000).status()).isEqualTo(Transfer.COMPLETED);
            h.clock.advance(Duration.ofMinutes(5));
            assertRejected(h, transfer(h, a, b, 8_000), "risk_rejected", "daily_limit", 42_000, a);
            h.clock.advance(Duration.ofDays(1));
            assertThat(transfer(h, a, b, 8_000).status()).isEqualTo(Transfer.COMPLETED);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void tooManyTransfersWithinAMinuteAreRejected(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, RULES)) {
            Account a = h.funded("EUR", 50_000);
            Account b = h.open("EUR");
            for (int i = 0; i < 3; i++) {
                assertThat(transfer(h, a, b, 10).status()).isEqualTo(Transfer.COMPLETED);
            }
            assertRejected(h, transfer(h, a, b, 10), "risk_rejected", "velocity", 49_970, a);
            h.clock.advance(Duration.ofSeconds(61));
            assertThat(transfer(h, a, b, 10).status()).isEqualTo(Transfer.COMPLETED);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aTransferToABlockedAccountIsRejected(DatabaseConfig db) {
        try (BankHarness probe = BankHarness.open(db, RULES)) {
            Account a = probe.funded("EUR", 5_000);
            Account b = probe.open("EUR");
            try (BankHarness h = BankHarness.open(db, RULES.withBlocked(Set.of(b.uuid(), BLOCKED)))) {
                Transfer t = transfer(h, a, b, 100);
                assertRejected(h, t, "risk_rejected", "blocked_account", 5_000, a);
                assertThat(h.outbox("risk.alert").getLast().get("data").get("severity").asText()).isEqualTo("high");
                assertThat(h.outbox("risk.alert").getLast().get("account_uuid").asText()).isEqualTo(b.uuid().toString());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void transfersFromFrozenOrToClosedAccountsAreRejected(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, RULES)) {
            Account a = h.funded("EUR", 5_000);
            Account b = h.open("EUR");
            h.bank.accounts().freeze(OP, a.uuid(), "kyc");
            assertRejected(h, transfer(h, a, b, 100), "account_frozen", "account_frozen", 5_000, a);
            h.bank.accounts().unfreeze(OP, a.uuid(), "kyc done");
            h.bank.accounts().close(OP, b.uuid());
            assertRejected(h, transfer(h, a, b, 100), "account_closed", "account_closed", 5_000, a);
        }
    }
}
