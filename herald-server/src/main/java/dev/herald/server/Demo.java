package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herald.bank.Bank;
import dev.herald.bank.BankConfig;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.seal.LocalMasterKey;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald demo}: the whole chain in one process — embedded PostgreSQL, the in-process bus, Herald, the reference
 * bank and a sample merchant receiver that verifies both signatures — then a short story through the bank's HTTP API.
 * Each event the bank commits travels outbox → bus → Herald → receiver, and the terminal shows it arrive, verified.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run Herald, the reference bank and a verifying receiver in one process and play a short banking story.")
final class Demo implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_KEY = "hk_demo_" + UUID.randomUUID().toString().replace("-", "");
    private static final String BANK_KEY = "bk_demo_" + UUID.randomUUID().toString().replace("-", "");
    private static final List<String> BANK_EVENTS = List.of("account.*", "transaction.*", "transfer.*", "balance.*", "risk.*");

    @Option(names = "--stay", description = "Keep everything running after the story (Ctrl-C to stop), to explore the APIs.")
    boolean stay;
    @Option(names = "--timeout", defaultValue = "60", description = "Seconds to wait for every event to arrive (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;
    @Spec
    CommandSpec spec;

    private HttpClient http; // made when the demo runs (not when the command line is parsed), closed when it ends
    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            http = client;
            return story();
        }
    }

    private Integer story() throws Exception {
        out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("herald-demo-");
        AtomicInteger received = new AtomicInteger();
        AtomicInteger invalid = new AtomicInteger();
        HttpServer receiver = null;
        try (EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral()) {
            pg.createDatabase("herald");
            pg.createDatabase("bank");
            ServerConfig cfg = new ServerConfig("127.0.0.1", 0, dir, pg.jdbcUrl("herald"), true, false, 256 * 1024, 10, 16, 64, ADMIN_KEY)
                    .withMasterKey(LocalMasterKey.generate()); // the demo's database is thrown away with its key
            try (HeraldServer herald = HeraldServer.start(cfg, Clock.systemUTC());
                 Bank bank = Bank.start(BankConfig.defaults(DatabaseConfig.fromUrl(pg.jdbcUrl("bank")), herald.bus()).withPort(0).withApiKey(BANK_KEY))) {
                String heraldUrl = "http://127.0.0.1:" + herald.port();
                String bankUrl = "http://127.0.0.1:" + bank.port() + "/bank/v1";

                String[] secret = new String[1];
                CountDownLatch ready = new CountDownLatch(1);
                receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
                receiver.createContext("/", ex -> {
                    try {
                        ready.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    receive(ex, WebhookVerifier.create(secret[0]), received, invalid);
                });
                receiver.start();
                String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/merchant/webhooks";

                ObjectNode endpoint = JSON.createObjectNode().put("name", "demo merchant").put("url", hook).put("ordering", "fifo");
                endpoint.putArray("events").addAll(BANK_EVENTS.stream().map(JSON.getNodeFactory()::textNode).toList());
                secret[0] = call("POST", heraldUrl + "/v1/endpoints", ADMIN_KEY, endpoint, 201).path("secret").asText();
                ready.countDown();

                out.printf("%nHerald        %s   (admin key %s)%nBank          %s   (api key %s)%nReceiver      %s   (verifies both signatures)%n",
                        heraldUrl, ADMIN_KEY, bankUrl, BANK_KEY, hook);
                out.printf("Chain         bank transaction -> outbox -> relay -> in-process bus (finance.exchange) -> Herald -> receiver%n%n");
                out.flush();

                String bankDb = pg.jdbcUrl("bank");
                story(bankUrl, () -> awaitArrivals(bankDb, received));
                long expected = outboxRows(bankDb);
                JsonNode recon = call("GET", bankUrl + "/reconciliation", BANK_KEY, null, 200);
                out.printf("%n%d of %d events the bank committed arrived at the merchant; %d with an invalid signature.%n",
                        received.get(), expected, invalid.get());
                out.printf("Bank reconciliation: %s%n", recon.path("ok").asBoolean() ? "books balance, chains verify, every event published"
                        : "DIFFERENCES " + recon);
                out.flush();
                boolean ok = received.get() >= expected && invalid.get() == 0 && recon.path("ok").asBoolean();
                if (stay) {
                    out.println("\nStill running (Ctrl-C to stop).");
                    out.flush();
                    new CountDownLatch(1).await();
                }
                return ok ? 0 : 1;
            }
        } finally {
            if (receiver != null) {
                receiver.stop(0);
            }
            deleteTree(dir);
        }
    }

    /**
     * Two accounts, a deposit, a mistaken deposit reversed, a transfer that completes, one the risk engine rejects;
     * after each step {@code settle} waits for its events to reach the merchant.
     */
    private void story(String bank, Step settle) throws Exception {
        step("Open two accounts");
        String alice = call("POST", bank + "/accounts", BANK_KEY, account("Alice"), 201).path("account_uuid").asText();
        String bob = call("POST", bank + "/accounts", BANK_KEY, account("Bob"), 201).path("account_uuid").asText();
        settle.run();
        step("Deposit 1,000.00 EUR to Alice");
        call("POST", bank + "/accounts/" + alice + "/deposits", BANK_KEY, JSON.createObjectNode().put("amount", 100_000).put("reference", "salary"), 201);
        settle.run();
        step("Deposit 25.00 EUR to Alice by mistake, then reverse it");
        String mistake = call("POST", bank + "/accounts/" + alice + "/deposits", BANK_KEY,
                JSON.createObjectNode().put("amount", 2_500).put("reference", "duplicate payment"), 201).path("transaction_uuid").asText();
        call("POST", bank + "/transactions/" + mistake + "/reversals", BANK_KEY, JSON.createObjectNode().put("reason", "duplicate payment"), 201);
        settle.run();
        step("Transfer 995.00 EUR from Alice to Bob (leaves Alice below the low-balance mark)");
        awaitTransfer(bank, call("POST", bank + "/transfers", BANK_KEY, transfer("demo-1", alice, bob, 99_500), 201).path("transfer_uuid").asText());
        settle.run();
        step("Transfer 200,000.00 EUR from Bob to Alice (over the per-transfer limit: the risk engine rejects it)");
        awaitTransfer(bank, call("POST", bank + "/transfers", BANK_KEY, transfer("demo-2", bob, alice, 20_000_000), 201).path("transfer_uuid").asText());
        settle.run();
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private void step(String what) {
        synchronized (out) {
            out.printf("%n== %s%n", what);
            out.flush();
        }
    }

    /** Waits (at most --timeout) until the merchant has received as many events as the bank committed so far. */
    private void awaitArrivals(String bankDb, AtomicInteger received) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (received.get() < outboxRows(bankDb) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static ObjectNode account(String name) {
        return JSON.createObjectNode().put("name", name).put("user_uuid", UUID.randomUUID().toString()).put("currency", "EUR");
    }

    private static ObjectNode transfer(String clientId, String from, String to, long amount) {
        return JSON.createObjectNode().put("client_transfer_id", clientId).put("from_account_uuid", from).put("to_account_uuid", to)
                .put("amount", amount).put("currency", "EUR");
    }

    /** Waits until the risk consumer on the bus has decided the transfer. */
    private void awaitTransfer(String bank, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (System.nanoTime() < deadline) {
            if (!call("GET", bank + "/transfers/" + id, BANK_KEY, null, 200).path("status").asText().equals("pending")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("transfer " + id + " still pending after " + timeoutSeconds + " s");
    }

    private JsonNode call(String method, String url, String key, JsonNode body, int expect) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + key);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expect) {
            throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private void receive(HttpExchange ex, WebhookVerifier verifier, AtomicInteger received, AtomicInteger invalid) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            var h = ex.getRequestHeaders();
            String standard = check(() -> verifier.verifyStandard(h.getFirst("webhook-id"), h.getFirst("webhook-timestamp"),
                    h.getFirst("webhook-signature"), body));
            String classic = check(() -> verifier.verifyClassic(h.getFirst("X-Webhook-Signature"), body));
            JsonNode event = JSON.readTree(body);
            synchronized (out) {
                out.printf("  merchant <- %-22s %s  v1 %s, sha256 %s%n      data %s%n", event.path("event").asText(), event.path("id").asText(),
                        standard, classic, event.path("data"));
                out.flush();
            }
            if (!standard.equals("valid") || !classic.equals("valid")) {
                invalid.incrementAndGet();
            }
            received.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
        }
    }

    private static String check(Runnable verification) {
        try {
            verification.run();
            return "valid";
        } catch (WebhookVerificationException e) {
            return "INVALID (" + e.reason() + ")";
        }
    }

    private static long outboxRows(String jdbcUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); ResultSet rs = c.createStatement().executeQuery("select count(*) from herald_outbox")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
