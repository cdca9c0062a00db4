package dev.herald.bank;

import static dev.herald.bank.BankHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.bank.account.Account;
import dev.herald.bank.risk.RiskRules;
import dev.herald.web.Problem;
import dev.herald.bank.transfer.Transfer;
import dev.herald.bank.transfer.TransferService;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TransferTest {
    private static final RiskRules OPEN = new RiskRules(Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, Set.of());

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void parallelTransfersInBothDirectionsConserveMoneyNeverGoNegativeAndAllFinish(DatabaseConfig db) throws Exception {
        try (BankHarness h = BankHarness.open(db, OPEN)) {
            List<Account> accounts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                accounts.add(h.funded("EUR", 20_000));
            }
            int threads = 8;
            int perThread = 200;
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        Random r = new Random(thread);
                        go.await();
                        for (int i = 0; i < perThread; i++) {
                            int from = r.nextInt(4);
                            int to = (from + 1 + r.nextInt(3)) % 4;
                            TransferService.Created c = h.bank.transfers().create(OP, new TransferService.Request("t-" + thread + "-" + i,
                                    accounts.get(from).uuid(), accounts.get(to).uuid(), 1L + r.nextInt(3_000), "EUR", null));
                            h.bank.transfers().execute(c.transfer().uuid(), "msg-" + thread + "-" + i);
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : done) {
                    f.get();
                }
            }
            long total = accounts.stream().mapToLong(a -> h.balance(a.uuid())).sum();
            assertThat(total).isEqualTo(80_000);
            List<String> statuses = h.jdbc().read(c -> Jdbc.query(c, "select distinct status from bank_transfers", ps -> {}, rs -> rs.getString(1)));
            assertThat(statuses).isSubsetOf("completed", "failed");
            long count = h.jdbc().read(c -> Jdbc.query(c, "select count(*) from bank_transfers", ps -> {}, rs -> rs.getLong(1)).getFirst());
            assertThat(count).isEqualTo(threads * perThread);
            long lowest = h.jdbc().read(c -> Jdbc.query(c, "select min(e.balance_after) from bank_entries e join bank_accounts a on a.id = e.account_id "
                    + "where a.kind = 'customer'", ps -> {}, rs -> rs.getLong(1)).getFirst());
            assertThat(lowest).isGreaterThanOrEqualTo(0);
            List<String> failures = h.jdbc().read(c -> Jdbc.query(c, "select distinct failure_reason from bank_transfers where status = 'failed'",
                    ps -> {}, rs -> rs.getString(1)));
            assertThat(failures).isSubsetOf("insufficient_funds");
            long completed = h.jdbc().read(c -> Jdbc.query(c, "select count(*) from bank_transfers where status = 'completed'", ps -> {},
                    rs -> rs.getLong(1)).getFirst());
            assertThat(completed).isPositive();
            assertThat(h.outbox("transfer.completed")).hasSize((int) completed);
            assertThat(h.outbox("balance.negative")).isEmpty();
            assertThat(h.bank.reconciler().run().ok()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aReplayedTransferRequestReturnsTheSameTransferAndMovesMoneyOnce(DatabaseConfig db) throws Exception {
        try (BankHarness h = BankHarness.open(db, OPEN)) {
            Account a = h.funded("EUR", 10_000);
            Account b = h.open("EUR");
            TransferService.Request req = new TransferService.Request("order-42", a.uuid(), b.uuid(), 2_500L, "EUR", "rent");
            int n = 8;
            CountDownLatch go = new CountDownLatch(1);
            List<Future<TransferService.Created>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
                for (int i = 0; i < n; i++) {
                    results.add(pool.submit(() -> {
                        go.await();
                        TransferService.Created c = h.bank.transfers().create(OP, req);
                        h.bank.transfers().execute(c.transfer().uuid(), "redelivery");
                        return c;
                    }));
                }
                go.countDown();
                List<TransferService.Created> created = new ArrayList<>();
                for (Future<TransferService.Created> f : results) {
                    created.add(f.get());
                }
                assertThat(created).extracting(c -> c.transfer().uuid()).containsOnly(created.getFirst().transfer().uuid());
                assertThat(created).filteredOn(TransferService.Created::created).hasSize(1);
            }
            TransferService.Created again = h.bank.transfers().create(OP, req);
            assertThat(again.created()).isFalse();
            assertThat(again.transfer().status()).isEqualTo(Transfer.COMPLETED);
            assertThat(h.balance(a.uuid())).isEqualTo(7_500);
            assertThat(h.balance(b.uuid())).isEqualTo(2_500);
            assertThat(h.outbox("transfer.created")).hasSize(1);
            assertThat(h.outbox("transfer.completed")).hasSize(1);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void reusingAClientTransferIdForADifferentTransferIsAConflict(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, OPEN)) {
            Account a = h.funded("EUR", 10_000);
            Account b = h.open("EUR");
            h.bank.transfers().create(OP, new TransferService.Request("x-1", a.uuid(), b.uuid(), 100L, "EUR", null));
            long events = h.outboxCount();
            assertThatThrownBy(() -> h.bank.transfers().create(OP, new TransferService.Request("x-1", a.uuid(), b.uuid(), 101L, "EUR", null)))
                    .isInstanceOfSatisfying(Problem.class, e -> {
                        assertThat(e.status()).isEqualTo(409);
                        assertThat(e.field()).isEqualTo("client_transfer_id");
                    });
            assertThat(h.outboxCount()).isEqualTo(events);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aTransferBeyondTheBalanceFailsWithoutMovingMoney(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, OPEN)) {
            Account a = h.funded("EUR", 1_000);
            Account b = h.open("EUR");
            Transfer t = h.bank.transfers().create(OP, new TransferService.Request("big", a.uuid(), b.uuid(), 1_001L, "EUR", null)).transfer();
            Transfer done = h.bank.transfers().execute(t.uuid(), "m").transfer();
            assertThat(done.status()).isEqualTo(Transfer.FAILED);
            assertThat(done.failureReason()).isEqualTo("insufficient_funds");
            assertThat(h.balance(a.uuid())).isEqualTo(1_000);
            assertThat(h.outbox("transfer.failed")).hasSize(1);
            assertThat(h.outbox("risk.alert")).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aTransferBetweenCurrenciesFailsAsACurrencyMismatch(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db, OPEN)) {
            Account a = h.funded("EUR", 1_000);
            Account b = h.open("USD");
            Transfer t = h.bank.transfers().create(OP, new TransferService.Request("fx", a.uuid(), b.uuid(), 10L, "EUR", null)).transfer();
            Transfer done = h.bank.transfers().execute(t.uuid(), "m").transfer();
            assertThat(done.failureReason()).isEqualTo("currency_mismatch");
            assertThat(h.balance(a.uuid())).isEqualTo(1_000);
        }
    }
}
