package dev.herald.bank;

import static dev.herald.bank.BankHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.account.Account;
import dev.herald.bank.ledger.ChainVerifier;
import dev.herald.bank.ledger.Ledger;
import dev.herald.web.Problem;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LedgerTest {

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void depositsAndWithdrawalsPostEntriesThatNetToZeroAgainstCash(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.open("EUR");
            h.bank.ledger().deposit(OP, a.uuid(), 5_000, "EUR", "salary");
            Ledger.Posted w = h.bank.ledger().withdraw(OP, a.uuid(), 1_200, null, "atm");

            assertThat(w.transaction().balanceBefore()).isEqualTo(5_000);
            assertThat(w.transaction().balanceAfter()).isEqualTo(3_800);
            assertThat(h.balance(a.uuid())).isEqualTo(3_800);
            assertThat(w.counterpart().balance()).isEqualTo(-3_800);
            long total = h.jdbc().read(c -> Jdbc.query(c, "select sum(amount) from bank_entries", ps -> {}, rs -> rs.getLong(1)).getFirst());
            assertThat(total).isZero();
            assertThat(h.bank.reconciler().run().ok()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aWithdrawalBeyondTheBalanceIsRefusedAndMovesAndEmitsNothing(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 500);
            long events = h.outboxCount();
            assertThatThrownBy(() -> h.bank.ledger().withdraw(OP, a.uuid(), 501, null, null))
                    .isInstanceOfSatisfying(Problem.class, e -> {
                        assertThat(e.status()).isEqualTo(422);
                        assertThat(e.field()).isEqualTo("amount");
                    });
            assertThat(h.balance(a.uuid())).isEqualTo(500);
            assertThat(h.outboxCount()).isEqualTo(events);
            assertThat(h.bank.ledger().transactions(a.uuid(), null, 10)).hasSize(1);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aTransactionIsReversedOnceAndAReversalCannotBeReversed(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("USD", 2_000);
            Ledger.Posted d = h.bank.ledger().deposit(OP, a.uuid(), 700, null, null);
            Ledger.Posted r = h.bank.ledger().reverse(OP, d.transaction().uuid(), "duplicate");

            assertThat(r.transaction().type()).isEqualTo("reversal");
            assertThat(h.balance(a.uuid())).isEqualTo(2_000);
            assertThat(h.bank.ledger().transaction(d.transaction().uuid()).reversed()).isTrue();
            assertThatThrownBy(() -> h.bank.ledger().reverse(OP, d.transaction().uuid(), "again"))
                    .isInstanceOfSatisfying(Problem.class, e -> assertThat(e.status()).isEqualTo(409));
            assertThatThrownBy(() -> h.bank.ledger().reverse(OP, r.transaction().uuid(), "undo"))
                    .isInstanceOfSatisfying(Problem.class, e -> assertThat(e.status()).isEqualTo(422));
            assertThat(h.balance(a.uuid())).isEqualTo(2_000);
            JsonNode reversed = h.outbox("transaction.reversed").getFirst();
            assertThat(reversed.get("data").get("reversal_transaction_uuid").asText()).isEqualTo(r.transaction().uuid().toString());
            assertThat(reversed.get("data").get("balance_after").asLong()).isEqualTo(2_000);
            assertThat(h.bank.reconciler().run().ok()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void reversingADepositAlreadySpentIsRefusedForInsufficientFunds(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.open("EUR");
            Ledger.Posted d = h.bank.ledger().deposit(OP, a.uuid(), 700, null, null);
            h.bank.ledger().withdraw(OP, a.uuid(), 600, null, null);
            assertThatThrownBy(() -> h.bank.ledger().reverse(OP, d.transaction().uuid(), "chargeback"))
                    .isInstanceOfSatisfying(Problem.class, e -> assertThat(e.status()).isEqualTo(422));
            assertThat(h.balance(a.uuid())).isEqualTo(100);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void balanceLowIsEmittedOnlyWhenABalanceFallsBelowTheThreshold(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 1_500);
            h.bank.ledger().withdraw(OP, a.uuid(), 400, null, null); // 1,100: still above
            h.bank.ledger().withdraw(OP, a.uuid(), 200, null, null); // 900: crosses
            h.bank.ledger().withdraw(OP, a.uuid(), 100, null, null); // 800: already below
            assertThat(h.outbox("balance.low")).hasSize(1);
            assertThat(h.outbox("balance.low").getFirst().get("data").get("balance").asLong()).isEqualTo(900);
            assertThat(h.outbox("balance.negative")).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void chainVerificationReportsTheFirstTamperedEntry(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 1_000);
            h.bank.ledger().deposit(OP, a.uuid(), 10, null, null);
            h.bank.ledger().deposit(OP, a.uuid(), 20, null, null);
            assertThat(h.bank.ledger().verify(a.uuid()).ok()).isTrue();
            JsonNode first = h.outbox("transaction.created").getFirst().get("data");
            assertThat(first.get("previous_hash").asText()).isEqualTo("0".repeat(64));

            h.sql("update bank_entries set amount = 11 where seq = 2 and account_id = (select id from bank_accounts where uuid = '" + a.uuid() + "')");

            ChainVerifier.Result r = h.bank.ledger().verify(a.uuid());
            assertThat(r.ok()).isFalse();
            assertThat(r.firstBadSeq()).isEqualTo(2);
            assertThat(h.bank.reconciler().run().brokenChains()).extracting(ChainVerifier.Result::accountUuid).contains(a.uuid());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void chainVerificationNoticesARemovedLastEntry(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            Account a = h.funded("EUR", 1_000);
            h.bank.ledger().deposit(OP, a.uuid(), 10, null, null);
            h.sql("delete from bank_entries where seq = 2 and account_id = (select id from bank_accounts where uuid = '" + a.uuid() + "')");

            ChainVerifier.Result r = h.bank.ledger().verify(a.uuid());
            assertThat(r.ok()).isFalse();
            assertThat(r.firstBadSeq()).isEqualTo(2);
            assertThat(h.bank.reconciler().run().balanceDifferences()).isNotEmpty();
        }
    }
}
