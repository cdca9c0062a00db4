package dev.herald.bank;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.risk.RiskRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import dev.herald.store.DatabaseConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/** Every route refuses bad input with a 4xx problem+json naming the field at fault, and every /bank/v1 route needs a key. */
@ParameterizedClass
@MethodSource("dev.herald.testing.TestPostgres#allTargets")
class ApiTest {
    @Parameter
    DatabaseConfig db;
    private static TestBank t;
    private static String account;
    private static String transaction;
    private static String transfer;
    /** Pays the transfers, so that {@link #account}'s balance changes only by what a test does to it. */
    private static String payer;

    record Case(String method, String path, String body, int status, String field) {}

    @BeforeParameterizedClassInvocation
    static void start(DatabaseConfig db) {
        t = new TestBank(db, RiskRules.DEFAULTS);
        account = t.account("EUR");
        payer = t.account("EUR");
        String other = t.account("EUR");
        transaction = t.post("/bank/v1/accounts/" + account + "/deposits", "{\"amount\":1000,\"reference\":\"r\"}").json().get("transaction_uuid").asText();
        t.post("/bank/v1/accounts/" + payer + "/deposits", "{\"amount\":1000}");
        transfer = t.post("/bank/v1/transfers", "{\"client_transfer_id\":\"api-1\",\"from_account_uuid\":\"" + payer + "\",\"to_account_uuid\":\""
                + other + "\",\"amount\":1,\"currency\":\"EUR\"}").json().get("transfer_uuid").asText();
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        t.close();
    }

    @Test
    void badInputOnEveryRouteIsA4xxProblemNamingTheField() {
        String acc = "/bank/v1/accounts/" + account;
        String unknown = UUID.randomUUID().toString();
        String user = UUID.randomUUID().toString();
        String transferBody = "{\"client_transfer_id\":\"%s\",\"from_account_uuid\":\"%s\",\"to_account_uuid\":\"%s\",\"amount\":%s,\"currency\":\"EUR\"}";
        List<Case> cases = List.of(
                new Case("POST", "/bank/v1/accounts", "", 400, null),
                new Case("POST", "/bank/v1/accounts", "{\"name\":", 400, null),
                new Case("POST", "/bank/v1/accounts", "[1]", 400, null),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"a\",\"name\":\"b\"}", 400, null),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"a\",\"user_uuid\":\"" + user + "\",\"currency\":\"EUR\",\"balance\":5}", 400, "balance"),
                new Case("POST", "/bank/v1/accounts", "{\"user_uuid\":\"" + user + "\",\"currency\":\"EUR\"}", 422, "name"),
                new Case("POST", "/bank/v1/accounts", "{\"name\":7,\"user_uuid\":\"" + user + "\",\"currency\":\"EUR\"}", 422, "name"),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"a\\u0000b\",\"user_uuid\":\"" + user + "\",\"currency\":\"EUR\"}", 422, "name"),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"a\",\"user_uuid\":\"nope\",\"currency\":\"EUR\"}", 422, "user_uuid"),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"a\",\"user_uuid\":\"" + user + "\",\"currency\":\"eur\"}", 422, "currency"),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"a\",\"user_uuid\":\"" + user + "\",\"currency\":\"XYZ\"}", 422, "currency"),
                new Case("POST", "/bank/v1/accounts", "{\"name\":\"" + "n".repeat(201) + "\",\"user_uuid\":\"" + user + "\",\"currency\":\"EUR\"}", 422, "name"),
                new Case("GET", "/bank/v1/accounts/not-a-uuid", null, 400, "account_uuid"),
                new Case("GET", "/bank/v1/accounts/" + unknown, null, 404, "account_uuid"),
                new Case("PATCH", acc, "{}", 422, "name"),
                new Case("PATCH", acc, "{\"name\":\"x\",\"status\":\"closed\"}", 400, "status"),
                new Case("PATCH", "/bank/v1/accounts/" + unknown, "{\"name\":\"x\"}", 404, "account_uuid"),
                new Case("POST", acc + "/freeze", "{\"reason\":5}", 422, "reason"),
                new Case("POST", acc + "/unfreeze", "", 409, "account_uuid"),
                new Case("POST", acc + "/close", "", 409, "account_uuid"),
                new Case("POST", acc + "/close", "{\"force\":true}", 400, "force"),
                new Case("POST", acc + "/deposits", "{\"amount\":1.5}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":-1}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":0}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":\"10\"}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":1e30}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":99999999999999999999}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":9223372036854775807}", 422, "amount"),
                new Case("POST", acc + "/deposits", "{\"amount\":10,\"currency\":\"USD\"}", 422, "currency"),
                new Case("POST", acc + "/deposits", "{\"amount\":10,\"reference\":\"" + "r".repeat(201) + "\"}", 422, "reference"),
                new Case("POST", acc + "/withdrawals", "{\"amount\":1000000}", 422, "amount"),
                new Case("POST", acc + "/withdrawals", "{\"amount\":5,\"fee\":1}", 400, "fee"),
                new Case("POST", "/bank/v1/accounts/" + unknown + "/withdrawals", "{\"amount\":5}", 404, "account_uuid"),
                new Case("GET", acc + "/transactions?limit=0", null, 422, "limit"),
                new Case("GET", acc + "/transactions?limit=abc", null, 422, "limit"),
                new Case("GET", acc + "/transactions?before=abc", null, 422, "before"),
                new Case("GET", "/bank/v1/accounts/x/verify", null, 400, "account_uuid"),
                new Case("GET", "/bank/v1/transactions/x", null, 400, "transaction_uuid"),
                new Case("GET", "/bank/v1/transactions/" + unknown, null, 404, "transaction_uuid"),
                new Case("POST", "/bank/v1/transactions/" + unknown + "/reversals", "", 404, "transaction_uuid"),
                new Case("POST", "/bank/v1/transactions/" + transaction + "/reversals", "{\"reason\":[]}", 422, "reason"),
                new Case("POST", "/bank/v1/transfers", "{}", 422, "client_transfer_id"),
                new Case("POST", "/bank/v1/transfers", transferBody.formatted("", account, unknown, 1), 422, "client_transfer_id"),
                new Case("POST", "/bank/v1/transfers", transferBody.formatted("b1", account, account, 1), 422, "to_account_uuid"),
                new Case("POST", "/bank/v1/transfers", transferBody.formatted("b2", unknown, account, 1), 422, "from_account_uuid"),
                new Case("POST", "/bank/v1/transfers", transferBody.formatted("b3", account, "x", 1), 422, "to_account_uuid"),
                new Case("POST", "/bank/v1/transfers", transferBody.formatted("b4", account, unknown, 0), 422, "amount"),
                new Case("POST", "/bank/v1/transfers", transferBody.formatted("api-1", payer, unknown, 2), 409, "client_transfer_id"),
                new Case("POST", "/bank/v1/transfers", "{\"client_transfer_id\":\"b5\",\"from_account_uuid\":\"" + account
                        + "\",\"to_account_uuid\":\"" + unknown + "\",\"amount\":1}", 422, "currency"),
                new Case("POST", "/bank/v1/transfers", "{\"client_transfer_id\":\"b6\",\"from_account_uuid\":\"" + account
                        + "\",\"to_account_uuid\":\"" + unknown + "\",\"amount\":1,\"currency\":\"EUR\",\"description\":\"" + "d".repeat(501) + "\"}", 422,
                        "description"),
                new Case("GET", "/bank/v1/transfers/x", null, 400, "transfer_uuid"),
                new Case("GET", "/bank/v1/transfers/" + unknown, null, 404, "transfer_uuid"),
                new Case("GET", "/bank/v1/audit?limit=-1", null, 422, "limit"),
                new Case("GET", "/bank/v1/nothing", null, 404, null),
                new Case("DELETE", acc, null, 404, null));
        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            TestBank.Response r = t.send(c.method(), c.path(), c.body(), TestBank.KEY, Map.of());
            String problem = checkProblem(r, c.status(), c.field());
            if (problem != null) {
                wrong.add(c.method() + " " + c.path() + " " + c.body() + ": " + problem);
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(t.get("/bank/v1/accounts/" + account).json().get("balance").asLong()).isEqualTo(1_000);
        assertThat(t.get("/bank/v1/reconciliation").json().get("balance_differences")).isEmpty();
    }

    @Test
    void aReplayedClientTransferIdWithADifferentBodyIsAConflict() {
        String other = t.account("EUR");
        String body = "{\"client_transfer_id\":\"api-2\",\"from_account_uuid\":\"" + payer + "\",\"to_account_uuid\":\"" + other
                + "\",\"amount\":%d,\"currency\":\"EUR\"}";
        assertThat(t.post("/bank/v1/transfers", body.formatted(1)).status()).isEqualTo(201);
        assertThat(t.post("/bank/v1/transfers", body.formatted(1)).status()).isEqualTo(200);
        TestBank.Response r = t.post("/bank/v1/transfers", body.formatted(2));
        assertThat(checkProblem(r, 409, "client_transfer_id")).isNull();
    }

    @Test
    void everyBankRouteNeedsAValidKeyAndA401RevealsNothing() {
        String acc = "/bank/v1/accounts/" + account;
        List<String[]> routes = List.of(new String[] {"POST", "/bank/v1/accounts"}, new String[] {"GET", acc}, new String[] {"PATCH", acc},
                new String[] {"POST", acc + "/freeze"}, new String[] {"POST", acc + "/unfreeze"}, new String[] {"POST", acc + "/close"},
                new String[] {"POST", acc + "/deposits"}, new String[] {"POST", acc + "/withdrawals"}, new String[] {"GET", acc + "/transactions"},
                new String[] {"GET", acc + "/verify"}, new String[] {"GET", "/bank/v1/transactions/" + transaction},
                new String[] {"POST", "/bank/v1/transactions/" + transaction + "/reversals"}, new String[] {"POST", "/bank/v1/transfers"},
                new String[] {"GET", "/bank/v1/transfers/" + transfer}, new String[] {"GET", "/bank/v1/audit"},
                new String[] {"GET", "/bank/v1/audit/verify"}, new String[] {"GET", "/bank/v1/reconciliation"}, new String[] {"GET", "/bank/v1/nothing"});
        String expected = null;
        for (String[] route : routes) {
            for (String key : new String[] {null, "wrong-key-0123456789", TestBank.KEY + "x"}) {
                TestBank.Response r = t.send(route[0], route[1], route[0].equals("GET") ? null : "{\"amount\":1}", key, Map.of());
                assertThat(checkProblem(r, 401, null)).as("%s %s with key %s", route[0], route[1], key).isNull();
                assertThat(r.headers().get("www-authenticate")).containsExactly("Bearer");
                expected = expected == null ? r.body() : expected;
                assertThat(r.body()).isEqualTo(expected);
            }
        }
        assertThat(t.get("/bank/v1/accounts/" + account).json().get("balance").asLong()).isEqualTo(1_000);
        assertThat(t.send("GET", "/bank/health", null, null, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void theTraceIdOfARequestReachesItsAuditEntryAndItsEvents() {
        String trace = "11112222333344445555666677778888";
        TestBank.Response r = t.send("POST", "/bank/v1/accounts/" + payer + "/deposits", "{\"amount\":5}", TestBank.KEY,
                Map.of("traceparent", "00-" + trace + "-1111222233334444-01"));
        assertThat(r.headers().get("x-trace-id")).containsExactly(trace);
        JsonNode audit = t.get("/bank/v1/audit?trace_id=" + trace).json().get("data");
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0).get("operation").asText()).isEqualTo("deposit");
        assertThat(audit.get(0).get("request_body").asText()).isEqualTo("{\"amount\":5}");
        assertThat(audit.get(0).get("client_ip").asText()).isNotBlank();
        assertThat(audit.get(0).get("balance_before").asLong() + 5).isEqualTo(audit.get(0).get("balance_after").asLong());
        long events = t.bank.services().jdbc().read(c -> dev.herald.store.Jdbc.query(c, "select count(*) from herald_outbox where trace_id = ?",
                ps -> ps.setString(1, trace), rs -> rs.getLong(1)).getFirst());
        assertThat(events).isEqualTo(1);
        // the audit entry committed in the transaction of the deposit itself
        List<Boolean> sameTx = t.bank.services().jdbc().read(c -> dev.herald.store.Jdbc.query(c, "select a.xmin::text = x.xmin::text from bank_audit a "
                + "join bank_transactions x on x.trace_id = a.trace_id where a.trace_id = ?", ps -> ps.setString(1, trace), rs -> rs.getBoolean(1)));
        assertThat(sameTx).containsExactly(true);
        // a refused request is audited too, with its status
        t.send("POST", "/bank/v1/accounts/" + payer + "/withdrawals", "{\"amount\":99999999}", TestBank.KEY,
                Map.of("traceparent", "00-99992222333344445555666677778888-1111222233334444-01"));
        JsonNode refused = t.get("/bank/v1/audit?trace_id=99992222333344445555666677778888").json().get("data");
        assertThat(refused.get(0).get("status").asText()).isEqualTo("422");
    }

    /** Null when {@code r} is a well-formed problem with {@code status} and {@code field}; else what is wrong. */
    private static String checkProblem(TestBank.Response r, int status, String field) {
        if (r.status() != status) {
            return "status " + r.status() + " (expected " + status + "): " + r.body();
        }
        if (!r.contentType().startsWith("application/problem+json")) {
            return "content type " + r.contentType();
        }
        JsonNode p = r.json();
        if (!p.path("title").isTextual() || !p.path("detail").isTextual() || p.path("status").asInt() != status || !p.path("type").isTextual()) {
            return "malformed problem " + r.body();
        }
        if (r.body().contains("Exception") || r.body().contains("\tat ")) {
            return "leaks internals: " + r.body();
        }
        String actual = p.path("field").isTextual() ? p.get("field").asText() : null;
        if (field == null ? actual != null : !field.equals(actual)) {
            return "field " + actual + " (expected " + field + ")";
        }
        return null;
    }
}
