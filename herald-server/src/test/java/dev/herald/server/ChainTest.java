package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.Bank;
import dev.herald.bank.BankConfig;
import dev.herald.bus.Bus;
import dev.herald.bus.RabbitBus;
import dev.herald.bus.TestRabbit;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Received;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole chain — bank transaction → {@code herald_outbox} → relay → bus → Herald → merchant — on the in-process bus
 * and on a real RabbitMQ (bank and Herald on separate connections, meeting only on the broker). Whatever the bank
 * committed to its outbox reaches the merchant, byte for byte and signed, even when the broker drops the connections
 * or the bank (and its relay) stops mid-burst. Herald may redeliver; a duplicate always carries the same webhook-id.
 */
class ChainTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String BANK_KEY = "bk_test_" + UUID.randomUUID().toString().replace("-", "");
    private static final List<String> BANK_EVENTS = List.of("account.*", "transaction.*", "transfer.*", "balance.*", "risk.*");
    private static final String HOOK = "/merchant/webhooks";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private boolean rabbit;
    private TestServer herald;
    private TestReceiver receiver;
    private DatabaseConfig bankDb;
    private Bus bankBus;
    private volatile Bank bank; // replaced mid-burst by the relay-crash test while workers read it
    private String secret;


    /** Herald (with its receiver endpoint) and a bank publishing to {@code amqpUrl}'s broker, or to Herald's in-process bus. */
    private void start(String amqpUrl) {
        rabbit = amqpUrl != null;
        if (rabbit) {
            TestRabbit.deleteQueue("herald.ingest"); // messages of earlier runs would arrive as foreign webhooks
        }
        herald = TestServer.start(true, Clock.systemUTC(), TestPostgres.embedded(), amqpUrl, List.of("#"));
        closing.add(herald);
        receiver = TestReceiver.start();
        closing.add(receiver);
        Map<String, Object> ep = new LinkedHashMap<>();
        ep.put("name", "chain merchant");
        ep.put("url", receiver.url(HOOK).toString());
        ep.put("events", BANK_EVENTS);
        secret = herald.createEndpoint(ep).get("secret").asText();
        if (rabbit) {
            RabbitBus own = RabbitBus.connect(amqpUrl);
            closing.add(own);
            bankBus = own;
        } else {
            bankBus = herald.server().bus();
        }
        bankDb = TestPostgres.embedded();
        bank = startBank();
    }

    /** The bank's audit key: a restarted bank keeps it, as a deployed one keeps its key file. */
    private final byte[] bankAuditKey = java.util.HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    private Bank startBank() {
        Bank b = Bank.start(BankConfig.defaults(bankDb, bankBus).withPort(0).withApiKey(BANK_KEY).withAuditKey(bankAuditKey));
        closing.add(b);
        return b;
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (Exception | Error ignored) {
                // closing twice (a bank stopped by the test) or after a broker drop: best effort
            }
        }
        if (rabbit) {
            TestRabbit.deleteQueue("herald.ingest");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.herald.bus.TestRabbit#buses")
    void aBankOperationsEventsReachTheMerchantExactlyAsCommitted(String amqpUrl) throws Exception {
        start(amqpUrl);
        String api = bankApi(bank);

        String alice = call("POST", api + "/accounts", account("Alice"), 201).path("account_uuid").asText();
        String bob = call("POST", api + "/accounts", account("Bob"), 201).path("account_uuid").asText();
        call("POST", api + "/accounts/" + alice + "/deposits", deposit(100_000, "salary"), 201);
        String mistake = call("POST", api + "/accounts/" + alice + "/deposits", deposit(2_500, "duplicate payment"), 201)
                .path("transaction_uuid").asText();
        call("POST", api + "/transactions/" + mistake + "/reversals", TestServer.JSON.createObjectNode().put("reason", "duplicate payment"), 201);
        String ok = call("POST", api + "/transfers", transfer("chain-1", alice, bob, 99_500), 201).path("transfer_uuid").asText();
        assertThat(awaitDecided(api, ok)).isEqualTo("completed"); // leaves Alice at 5.00: below the low-balance mark
        String risky = call("POST", api + "/transfers", transfer("chain-2", bob, alice, 20_000_000), 201).path("transfer_uuid").asText();
        assertThat(awaitDecided(api, risky)).isEqualTo("failed"); // over the per-transfer limit

        Map<String, Row> outbox = awaitEveryRowReceived();

        List<Received> got = receiver.received(HOOK);
        assertThat(distinctIds(got)).isEqualTo(outbox.keySet());
        assertDeliveredAsCommitted(got, outbox);
        Set<String> types = new HashSet<>();
        outbox.values().forEach(r -> types.add(r.type()));
        assertThat(types).contains("account.created", "transaction.created", "transaction.reversed", "transfer.created",
                "transfer.completed", "transfer.failed", "risk.alert", "balance.low");
        assertThat(got.stream().map(r -> r.header("X-Webhook-Event")).toList()).containsAll(types);
    }

    @Test
    void aBrokerDropMidRunLosesNothing() throws Exception {
        start(TestRabbit.uriOrSkip());
        burst(false, committed -> TestRabbit.rabbitmqctl("close_all_connections", "herald ChainTest: broker-side drop"));
        verifyEverythingArrived();
    }

    @Test
    void aBrokerRestartMidRunLosesNothing() throws Exception {
        start(TestRabbit.uriOrSkip());
        burst(false, committed -> {
            try {
                TestRabbit.rabbitmqctl("stop_app");
                int down = committed.get();
                await().atMost(WAIT).until(() -> committed.get() >= down + 10); // operations keep committing while the broker is away
            } finally {
                TestRabbit.rabbitmqctl("start_app");
            }
        });
        verifyEverythingArrived();
    }

    @Test
    void aRelayCrashMidRunLosesNothing() throws Exception {
        start(null);
        burst(true, committed -> {
            closing.remove(bank);
            bank.close(); // mid-burst: HTTP, risk consumer and relay stop, whatever the relay had not published stays in the outbox
            bank = startBank(); // same database, same bus
        });
        verifyEverythingArrived();
    }

    // ---- a burst of deposits on 5 accounts from 5 threads, with a disruption in the middle

    @FunctionalInterface
    private interface Disruption {
        void run(AtomicInteger committed) throws Exception;
    }

    /**
     * Deposits from 5 threads on 5 accounts until the disruption is over and 15 more have committed after it, so that
     * the outbox keeps filling before, during and after it (deposits need the bank's database, not the broker). With
     * {@code bankStops}, a deposit that fails while the bank is away is retried on the bank running then; otherwise a
     * failed deposit fails the test.
     */
    private void burst(boolean bankStops, Disruption disruption) throws Exception {
        List<String> accounts = openAccounts(bankApi(bank), 5);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger committed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (String acc : accounts) {
                workers.add(pool.submit(() -> {
                    for (int n = 0; !done.get(); n++) {
                        try {
                            call("POST", bankApi(bank) + "/accounts/" + acc + "/deposits", deposit(1_000 + n, "burst " + n), 201);
                            committed.incrementAndGet();
                            sleep(50);
                        } catch (Exception e) {
                            if (!bankStops) {
                                throw e; // the bank must not need the broker to commit
                            }
                            sleep(20); // the bank is down or stopping: an operation that failed committed nothing it told us about
                        }
                    }
                    return null;
                }));
            }
            await().atMost(WAIT).until(() -> committed.get() >= 15);
            disruption.run(committed);
            int after = committed.get();
            await().atMost(WAIT).until(() -> committed.get() >= after + 15);
            done.set(true);
            for (Future<?> w : workers) {
                w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
    }

    private void verifyEverythingArrived() throws Exception {
        Map<String, Row> outbox = awaitEveryRowReceived();
        List<Received> got = receiver.received(HOOK);
        assertThat(distinctIds(got)).isEqualTo(outbox.keySet());
        assertDeliveredAsCommitted(got, outbox);
    }

    // ---- outbox and receiver

    private record Row(String id, String type, String body) {}

    /** Waits until every row of the bank's outbox has reached the receiver, and returns the rows by id. */
    private Map<String, Row> awaitEveryRowReceived() {
        AtomicReference<Map<String, Row>> rows = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            Map<String, Row> now = outbox();
            rows.set(now);
            return !now.isEmpty() && distinctIds(receiver.received(HOOK)).containsAll(now.keySet());
        });
        return rows.get();
    }

    /** Every delivery: a committed row's id, its exact bytes, its type, and valid signatures (so a duplicate is the same webhook). */
    private void assertDeliveredAsCommitted(List<Received> got, Map<String, Row> outbox) {
        WebhookVerifier verifier = WebhookVerifier.create(secret);
        for (Received r : got) {
            String id = r.header("webhook-id");
            Row row = outbox.get(id);
            assertThat(row).as("delivery %s is a committed outbox row", id).isNotNull();
            assertThat(r.body()).as("body of %s", id).isEqualTo(row.body().getBytes(StandardCharsets.UTF_8));
            assertThat(r.header("X-Webhook-Event")).as("type of %s", id).isEqualTo(row.type());
            verifier.verifyStandard(id, r.header("webhook-timestamp"), r.header("webhook-signature"), r.body());
            verifier.verifyClassic(r.header("X-Webhook-Signature"), r.body());
        }
    }

    private static Set<String> distinctIds(List<Received> got) {
        Set<String> ids = new HashSet<>();
        got.forEach(r -> ids.add(r.header("webhook-id")));
        return ids;
    }

    private Map<String, Row> outbox() throws SQLException {
        Map<String, Row> rows = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(bankDb.jdbcUrl(), bankDb.user(), bankDb.password());
             ResultSet rs = c.createStatement().executeQuery("select id, type, body from herald_outbox order by seq")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new Row(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        return rows;
    }

    // ---- the bank's HTTP API

    private static String bankApi(Bank b) {
        return "http://127.0.0.1:" + b.port() + "/bank/v1";
    }

    private List<String> openAccounts(String api, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(call("POST", api + "/accounts", account("Holder " + i), 201).path("account_uuid").asText());
        }
        return ids;
    }

    private static ObjectNode account(String name) {
        return TestServer.JSON.createObjectNode().put("name", name).put("user_uuid", UUID.randomUUID().toString()).put("currency", "EUR");
    }

    private static ObjectNode deposit(long amount, String reference) {
        return TestServer.JSON.createObjectNode().put("amount", amount).put("reference", reference);
    }

    private static ObjectNode transfer(String clientId, String from, String to, long amount) {
        return TestServer.JSON.createObjectNode().put("client_transfer_id", clientId).put("from_account_uuid", from).put("to_account_uuid", to)
                .put("amount", amount).put("currency", "EUR");
    }

    /** Waits until the risk consumer on the bus has decided the transfer; returns its status. */
    private String awaitDecided(String api, String transferId) {
        AtomicReference<String> status = new AtomicReference<>();
        await().atMost(WAIT).until(() -> {
            status.set(call("GET", api + "/transfers/" + transferId, null, 200).path("status").asText());
            return !status.get().equals("pending");
        });
        return status.get();
    }

    private JsonNode call(String method, String url, JsonNode body, int expect) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + BANK_KEY);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expect) {
            throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return TestServer.JSON.readTree(r.body());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
