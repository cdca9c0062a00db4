package dev.herald.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.api.BankServices;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bus.BusMessage;
import dev.herald.bus.QueueSpec;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The whole chain over HTTP and the bus: request, outbox, relay, risk consumer, execution, events, audit, reconciliation. */
class BankFlowTest {

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aTransferPostedOverHttpIsExecutedByTheRiskConsumerOnTheBus(DatabaseConfig db) {
        try (TestBank t = new TestBank(db, RiskRules.DEFAULTS)) {
            List<BusMessage> seen = new CopyOnWriteArrayList<>();
            t.bus.consume(new QueueSpec("test.all", List.of("#"), 0, null), 100, in -> {
                seen.add(in.message());
                in.ack();
            });
            String a = t.account("EUR");
            String b = t.account("EUR");
            assertThat(t.post("/bank/v1/accounts/" + a + "/deposits", "{\"amount\":5000,\"currency\":\"EUR\"}").status()).isEqualTo(201);

            String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
            TestBank.Response created = t.send("POST", "/bank/v1/transfers", "{\"client_transfer_id\":\"inv-1\",\"from_account_uuid\":\"" + a
                    + "\",\"to_account_uuid\":\"" + b + "\",\"amount\":1200,\"currency\":\"EUR\",\"description\":\"invoice 1\"}", TestBank.KEY,
                    Map.of("traceparent", "00-" + trace + "-00f067aa0ba902b7-01", "User-Agent", "flow-test"));
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.json().get("status").asText()).isEqualTo("pending");
            String transfer = created.json().get("transfer_uuid").asText();

            await().atMost(Duration.ofSeconds(30)).until(() -> t.get("/bank/v1/transfers/" + transfer).json().get("status").asText().equals("completed"));
            assertThat(t.get("/bank/v1/accounts/" + a).json().get("balance").asLong()).isEqualTo(3_800);
            assertThat(t.get("/bank/v1/accounts/" + b).json().get("balance").asLong()).isEqualTo(1_200);

            await().atMost(Duration.ofSeconds(30)).until(() -> seen.stream().anyMatch(m -> m.routingKey().equals("transfer.completed")));
            BusMessage completed = seen.stream().filter(m -> m.routingKey().equals("transfer.completed")).findFirst().orElseThrow();
            assertThat(completed.headers()).containsEntry(BusMessage.TRACE_ID, trace);

            JsonNode audit = t.get("/bank/v1/audit?trace_id=" + trace).json().get("data");
            assertThat(audit).extracting(e -> e.get("operation").asText()).containsExactly("transfer.create", "transfer.execute");
            assertThat(audit.get(0).get("user_agent").asText()).isEqualTo("flow-test");
            assertThat(audit.get(0).get("status").asText()).isEqualTo("201");
            assertThat(audit.get(1).get("balance_after").asLong()).isEqualTo(3_800);

            await().atMost(Duration.ofSeconds(30)).until(() -> t.get("/bank/v1/reconciliation").json().get("outbox").get("pending").asLong() == 0);
            JsonNode rec = t.get("/bank/v1/reconciliation").json();
            assertThat(rec.get("ok").asBoolean()).as(rec.toString()).isTrue();
            assertThat(t.get("/bank/v1/audit/verify").json().get("ok").asBoolean()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void concurrentTransfersExecutedByTheBusConsumerAllFinishAndConserveMoney(DatabaseConfig db) throws Exception {
        try (TestBank t = new TestBank(db, new RiskRules(Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, Set.of()))) {
            BankServices s = t.bank.services();
            List<java.util.UUID> accounts = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                java.util.UUID a = java.util.UUID.fromString(t.account("EUR"));
                s.ledger().deposit(dev.herald.bank.support.Op.trace("t"), a, 3_000, null, null);
                accounts.add(a);
            }
            int threads = 4;
            int perThread = 50;
            try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int n = 0; n < threads; n++) {
                    int thread = n;
                    done.add(pool.submit(() -> {
                        java.util.Random r = new java.util.Random(thread);
                        for (int i = 0; i < perThread; i++) {
                            int from = r.nextInt(3);
                            s.transfers().create(dev.herald.bank.support.Op.trace("t"), new dev.herald.bank.transfer.TransferService.Request("bus-" + thread + "-" + i,
                                    accounts.get(from), accounts.get((from + 1 + r.nextInt(2)) % 3), 1L + r.nextInt(500), "EUR", null));
                        }
                        return null;
                    }));
                }
                for (var f : done) {
                    f.get();
                }
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> s.jdbc().read(c -> Jdbc.query(c,
                    "select count(*) from bank_transfers where status = 'pending'", ps -> {}, rs -> rs.getLong(1)).getFirst()) == 0);
            long total = accounts.stream().mapToLong(a -> s.accounts().get(a).balance()).sum();
            assertThat(total).isEqualTo(9_000);
            await().atMost(Duration.ofSeconds(30)).until(() -> t.bank.reconcile().outboxPending() == 0);
            assertThat(t.bank.reconcile().ok()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void reconciliationReportsAnInjectedBalanceDifferenceAndAStaleOutboxEvent(DatabaseConfig db) {
        try (BankHarness h = BankHarness.open(db)) {
            var a = h.funded("EUR", 2_000);
            assertThat(h.bank.reconciler().run().ok()).isTrue(); // nothing published, but nothing is older than 5 minutes yet
            h.sql("update bank_accounts set balance = balance + 1 where uuid = '" + a.uuid() + "'");
            h.sql("update herald_outbox set created_at = now() - interval '1 hour' where seq = (select min(seq) from herald_outbox)");

            var rec = h.bank.reconciler().run();
            assertThat(rec.ok()).isFalse();
            assertThat(rec.balanceDifferences()).singleElement().satisfies(d -> {
                assertThat(d.accountUuid()).isEqualTo(a.uuid());
                assertThat(d.balance()).isEqualTo(2_001);
                assertThat(d.journalSum()).isEqualTo(2_000);
            });
            assertThat(rec.journalTotal()).isZero();
            assertThat(rec.staleEvents()).hasSize(1);
            assertThat(rec.view().get("balance_differences").get(0).get("difference").asLong()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void auditTamperingIsDetected(DatabaseConfig db) {
        try (TestBank t = new TestBank(db, RiskRules.DEFAULTS)) {
            String a = t.account("EUR");
            t.post("/bank/v1/accounts/" + a + "/deposits", "{\"amount\":100}");
            t.post("/bank/v1/accounts/" + a + "/withdrawals", "{\"amount\":40}");
            assertThat(t.get("/bank/v1/audit/verify").json().get("ok").asBoolean()).isTrue();
            long target = t.bank.services().jdbc().read(c -> Jdbc.query(c, "select id from bank_audit where operation = 'deposit'", ps -> {},
                    rs -> rs.getLong(1)).getFirst());
            t.bank.services().jdbc().inTransaction(c -> Jdbc.update(c, "update bank_audit set amount = 1000 where id = " + target, ps -> {}));

            JsonNode v = t.get("/bank/v1/audit/verify").json();
            assertThat(v.get("ok").asBoolean()).isFalse();
            assertThat(v.get("first_bad_id").asLong()).isEqualTo(target);
            assertThat(t.bank.reconcile().audit().ok()).isFalse();

            t.bank.services().jdbc().inTransaction(c -> Jdbc.update(c, "update bank_audit set amount = 100 where id = " + target, ps -> {}));
            assertThat(t.get("/bank/v1/audit/verify").json().get("ok").asBoolean()).isTrue();
            t.bank.services().jdbc().inTransaction(c -> Jdbc.update(c, "delete from bank_audit where id = " + target, ps -> {}));
            JsonNode removed = t.get("/bank/v1/audit/verify").json();
            assertThat(removed.get("ok").asBoolean()).isFalse();
            assertThat(removed.get("first_bad_id").asLong()).isGreaterThan(target);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aRiskRejectionOverTheBusFailsTheTransferAndRaisesAnAlert(DatabaseConfig db) {
        try (TestBank t = new TestBank(db, new RiskRules(1_000, 1_000_000, 100, Set.of()))) {
            List<BusMessage> alerts = new CopyOnWriteArrayList<>();
            t.bus.consume(new QueueSpec("test.risk", List.of("risk.*"), 0, null), 10, in -> {
                alerts.add(in.message());
                in.ack();
            });
            String a = t.account("EUR");
            String b = t.account("EUR");
            t.post("/bank/v1/accounts/" + a + "/deposits", "{\"amount\":5000}");
            String transfer = t.post("/bank/v1/transfers", "{\"client_transfer_id\":\"big\",\"from_account_uuid\":\"" + a
                    + "\",\"to_account_uuid\":\"" + b + "\",\"amount\":1001,\"currency\":\"EUR\"}").json().get("transfer_uuid").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> t.get("/bank/v1/transfers/" + transfer).json().get("status").asText().equals("failed"));
            JsonNode failed = t.get("/bank/v1/transfers/" + transfer).json();
            assertThat(failed.get("reason").asText()).isEqualTo("risk_rejected");
            assertThat(failed.get("rule").asText()).isEqualTo("transfer_limit");
            await().atMost(Duration.ofSeconds(30)).until(() -> !alerts.isEmpty());
            assertThat(t.get("/bank/v1/accounts/" + a).json().get("balance").asLong()).isEqualTo(5_000);
        }
    }
}
