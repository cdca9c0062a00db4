package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.testing.TestReceiver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote commands ({@code herald events|endpoints|deliveries|tail|resend|replay|completion}) against a real node. */
class RemoteCliTest {
    private static TestServer server;
    private static TestReceiver receiver;
    @TempDir
    static Path cache;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        receiver = TestReceiver.start();
    }

    @AfterAll
    static void stop() {
        receiver.close();
        server.close();
    }

    record Result(int code, String out, String err) {}

    private static Map<String, String> env() {
        return Map.of("HERALD_URL", "http://127.0.0.1:" + server.port(), "HERALD_API_KEY", TestServer.ADMIN_KEY, "XDG_CACHE_HOME", cache.toString());
    }

    private static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, env, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private static Result run(String... args) {
        return run(env(), args);
    }

    private static String endpoint(String type, String path, int retries) {
        Map<String, Object> body = new HashMap<>(Map.of("name", "cli " + path, "url", receiver.url(path).toString(), "events", List.of(type),
                "retry_attempts", retries));
        if (retries > 0) {
            body.put("retry_schedule", java.util.Collections.nCopies(retries, "1s"));
        }
        return server.createEndpoint(body).get("id").asText();
    }

    private static String publish(String type, String data) {
        TestServer.Response r = server.post("/v1/events", "{\"event\": \"" + type + "\", \"data\": " + data + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("id").asText();
    }

    private static List<String> deliveries(String query) {
        List<String> ids = new ArrayList<>();
        server.get("/v1/deliveries?limit=500&" + query).json().get("data").forEach(d -> ids.add(d.get("id").asText()));
        return ids;
    }

    // ---------------------------------------------------------------- events

    @Test
    void eventsShowPrintsTheDataBytesAsStoredAndListFiltersByTypePattern() {
        String data = "{\"amount\": 10.50, \"big\": 12345678901234567890.000, \"note\": \"caf\\u00e9\", \"z\": 1, \"a\": 2}";
        String id = publish("clievt.created", data);
        publish("clievt.other_thing", "{\"n\": 1}");
        publish("unrelated.thing", "{\"n\": 2}");

        Result show = run("events", "show", id);
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("data:").contains(data).contains("clievt.created");
        Result raw = run("events", "show", id, "--json");
        assertThat(raw.out().strip()).isEqualTo(server.get("/v1/events/" + id).body().strip());
        assertThat(raw.out()).contains(data);

        Result list = run("events", "list", "--type", "clievt.*", "--since", "1h");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out().lines().findFirst().orElseThrow()).matches("ID\\s+TYPE\\s+RECEIVED\\s+MERCHANT\\s+ACCOUNT");
        assertThat(list.out()).contains(id, "clievt.other_thing").doesNotContain("unrelated.thing");
        assertThat(list.out().lines()).hasSize(3);
        assertThat(run("events", "list", "--type", "clievt.*", "--limit", "1").out().lines()).as("header and one").hasSize(2);
        assertThat(run("events", "list", "--type", "clievt.*", "--since", "2099-01-01").out().lines()).as("only the header").hasSize(1);
        Result json = run("events", "list", "--type", "clievt.created", "--json");
        assertThat(json.out().lines()).hasSize(1);
        assertThat(json.out()).contains(data);
    }

    // ---------------------------------------------------------------- endpoints

    @Test
    void endpointsCreateListShowDisableEnableAndTest() {
        String path = "/ep-" + System.nanoTime();
        Result made = run("endpoints", "create", receiver.url(path).toString(), "--events", "cliep.a,cliep.b.*", "--name", "cli-made");
        assertThat(made.code()).as(made.err()).isZero();
        Matcher secret = Pattern.compile("(?m)^secret: (whsec_\\S+)").matcher(made.out());
        assertThat(secret.find()).as(made.out()).isTrue();
        Matcher idm = Pattern.compile("(?m)^id:\\s+(ep_\\S+)").matcher(made.out());
        assertThat(idm.find()).isTrue();
        String id = idm.group(1);

        assertThat(run("endpoints", "list").out()).contains(id, "cli-made", "cliep.a,cliep.b.*", "active");
        Result show = run("endpoints", "show", id);
        assertThat(show.out()).contains("name:").contains("cli-made").contains(receiver.url(path).toString()).doesNotContain(secret.group(1));
        assertThat(run("endpoints", "show", id, "--json").out().strip()).startsWith("{").contains("\"id\":\"" + id + "\"");

        assertThat(run("endpoints", "disable", id).out()).contains("disabled " + id);
        assertThat(server.get("/v1/endpoints/" + id).json().get("is_active").asBoolean()).isFalse();
        assertThat(run("endpoints", "list", "--status", "disabled").out()).contains(id);
        assertThat(run("endpoints", "enable", id).out()).contains("enabled " + id);
        assertThat(server.get("/v1/endpoints/" + id).json().get("is_active").asBoolean()).isTrue();

        Result test = run("endpoints", "test", id);
        assertThat(test.code()).as(test.err()).isZero();
        assertThat(test.out()).startsWith("delivered ").contains("HTTP 200");
        assertThat(receiver.received(path)).hasSize(1);
        receiver.reply(path, TestReceiver.Reply.status(503));
        Result failing = run("endpoints", "test", id);
        assertThat(failing.code()).isEqualTo(1);
        assertThat(failing.out()).startsWith("failed ").contains("HTTP 503");
        assertThat(failing.err().lines()).hasSize(1);
    }

    // ---------------------------------------------------------------- deliveries and resend

    @Test
    void deliveriesListFiltersAndPagesAndShowListsTheAttempts() {
        String path = "/dl-" + System.nanoTime();
        String ep = endpoint("clidl.*", path, 0);
        for (int i = 0; i < 5; i++) {
            publish(i < 3 ? "clidl.one" : "clidl.two", "{\"i\": " + i + "}");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=delivered&endpoint_id=" + ep).size() == 5);

        Result all = run("deliveries", "list", "--endpoint", ep, "--all");
        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.out().lines()).hasSize(6);
        assertThat(all.out().lines().findFirst().orElseThrow()).matches("CREATED\\s+ID\\s+TYPE\\s+ENDPOINT\\s+STATUS\\s+ATTEMPTS\\s+LAST");
        assertThat(run("deliveries", "list", "--endpoint", ep, "--limit", "2").out().lines()).hasSize(3);
        assertThat(run("deliveries", "list", "--endpoint", ep, "--events", "clidl.two", "--all").out().lines()).hasSize(3);
        assertThat(run("deliveries", "list", "--endpoint", ep, "--events", "clidl.*", "--status", "delivered", "--since", "1h").out().lines()).hasSize(6);
        assertThat(run("deliveries", "list", "--endpoint", ep, "--status", "failed").out().lines()).hasSize(1);
        assertThat(run("deliveries", "list", "--endpoint", ep, "--until", "2000-01-01").out().lines()).hasSize(1);
        Result json = run("deliveries", "list", "--endpoint", ep, "--limit", "2", "--json");
        assertThat(json.out().lines()).hasSize(1);
        assertThat(json.out()).startsWith("{\"data\":[");

        String one = deliveries("endpoint_id=" + ep).getFirst();
        Result show = run("deliveries", "show", one);
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("status:").contains("delivered").containsPattern("(?m)^ATTEMPT\\s+STARTED\\s+STATUS\\s+LATENCY\\s+ANSWER")
                .containsPattern("(?m)^1\\s+\\S+\\s+200\\s+\\d+ ms");

        Result resend = run("resend", one);
        assertThat(resend.code()).as(resend.err()).isZero();
        assertThat(resend.out()).startsWith("resent " + one);
        await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/v1/deliveries/" + one).json().get("attempts").size() == 2);
        assertThat(server.get("/v1/audit?action=delivery.resend&target=" + one).json().get("data")).hasSize(1);
    }

    // ---------------------------------------------------------------- replay

    @Test
    void replayDryRunCountsWhatTheReplayThenResendsPageByPageAudited() {
        String path = "/rp-" + System.nanoTime();
        receiver.reply(path, TestReceiver.Reply.status(500));
        String ep = endpoint("clirp.*", path, 0);
        for (int i = 0; i < 4; i++) { // fewer failures in a row than open the endpoint's circuit
            publish(i % 2 == 0 ? "clirp.even" : "clirp.odd", "{\"i\": " + i + "}");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=failed&endpoint_id=" + ep).size() == 4);
        receiver.reply(path, TestReceiver.Reply.status(200));
        publish("clirp.even", "{\"i\": 4}");
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=delivered&endpoint_id=" + ep).size() == 1);
        Set<String> failedEven = new TreeSet<>(deliveries("status=failed&event=clirp.even&endpoint_id=" + ep));
        assertThat(failedEven).hasSize(2);
        String[] replay = {"replay", "--endpoint", ep, "--since", "1h", "--status", "failed", "--events", "clirp.even", "--page-size", "1"};

        Result dry = run(concat(replay, "--dry-run"));
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.out()).startsWith("2 deliveries to resend");
        assertThat(deliveries("status=failed&endpoint_id=" + ep)).as("a dry run resends nothing").hasSize(4);

        Result real = run(replay);
        assertThat(real.code()).as(real.err()).isZero();
        assertThat(real.out()).contains("2 deliveries to resend", "page 1: 1 resent (1/2)", "page 2: 1 resent (2/2)").contains("done: 2 resent in 2 pages");
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=delivered&endpoint_id=" + ep).size() == 3);
        assertThat(deliveries("status=failed&endpoint_id=" + ep)).as("the odd ones were not replayed").hasSize(2);
        assertThat(receiver.received(path)).as("five first tries, two resends").hasSize(7);

        Matcher id = Pattern.compile("replay ([0-9a-f]{24}) done").matcher(real.out());
        assertThat(id.find()).isTrue();
        List<JsonNode> audit = new ArrayList<>();
        server.get("/v1/audit?action=delivery.bulk_resend&limit=500").json().get("data").forEach(audit::add);
        Set<String> audited = audit.stream().filter(e -> e.get("trace_id").asText().startsWith(id.group(1)))
                .map(e -> e.get("target").get("id").asText()).collect(Collectors.toCollection(TreeSet::new));
        assertThat(audited).as("each resend audited under the replay's id").isEqualTo(failedEven);
        try (var files = Files.list(cache.resolve("herald/replays"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".json")).toList()).as("a finished replay leaves no state").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anInterruptedReplayGoesOnWhereItStoppedAndResendsNothingTwice() {
        String path = "/rpi-" + System.nanoTime();
        String ep = endpoint("clirpi.*", path, 0);
        for (int i = 0; i < 5; i++) {
            publish("clirpi.x", "{\"i\": " + i + "}");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=delivered&endpoint_id=" + ep).size() == 5);
        String[] replay = {"replay", "--endpoint", ep, "--since", "1h", "--page-size", "2"};

        Result first = run(concat(replay, "--max-pages", "1"));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("5 deliveries to resend", "page 1: 2 resent (2/5)", "stopped after 1 pages");
        Result dry = run(concat(replay, "--dry-run"));
        assertThat(dry.out()).contains("resuming replay").contains("3 deliveries to resend");

        Result rest = run(replay);
        assertThat(rest.code()).as(rest.err()).isZero();
        assertThat(rest.out()).contains("resuming replay", "3 deliveries to resend", "page 2: 2 resent", "page 3: 1 resent", "done: 5 resent in 3 pages");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() >= 10);
        Map<String, Long> perDelivery = receiver.received(path).stream().collect(Collectors.groupingBy(r -> r.header("X-Webhook-Delivery"), Collectors.counting()));
        assertThat(perDelivery).hasSize(5);
        assertThat(perDelivery.values()).as("each delivery's first try and one resend").containsOnly(2L);
        assertThat(run(concat(replay, "--dry-run")).out()).as("a finished replay run again is a new one").startsWith("5 deliveries to resend");
    }

    @Test
    void aPageWhoseAnswerWasLostIsResentOnlyIfItNeverReachedTheNode() throws IOException {
        String path = "/rpl-" + System.nanoTime();
        String ep = endpoint("clirpl.*", path, 0);
        for (int i = 0; i < 3; i++) {
            publish("clirpl.x", "{\"i\": " + i + "}");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=delivered&endpoint_id=" + ep).size() == 3);
        String[] replay = {"replay", "--endpoint", ep, "--since", "1h", "--page-size", "2"};
        assertThat(run(concat(replay, "--max-pages", "1")).out()).contains("page 1: 2 resent");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() == 5);
        Path state;
        try (var files = Files.list(cache.resolve("herald/replays"))) {
            state = files.filter(f -> f.toString().endsWith(".json")).filter(f -> {
                try {
                    return Files.readString(f).contains(ep);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).findFirst().orElseThrow();
        }
        var saved = (com.fasterxml.jackson.databind.node.ObjectNode) TestServer.JSON.readTree(state.toFile());
        String replayId = saved.get("replay_id").asText();
        // as if the run had been killed after sending page 1, before it recorded the answer
        var lost = saved.deepCopy().put("pages", 0).put("resent", 0).put("in_flight", replayId + "00000001")
                .put("in_flight_at", java.time.Instant.now().minusSeconds(600).toString());
        lost.putNull("cursor");
        Files.writeString(state, lost.toString());
        Result stopped = run(replay);
        assertThat(stopped.code()).isEqualTo(1);
        assertThat(stopped.err()).contains("was resent but its answer was lost").hasLineCount(1);
        assertThat(receiver.received(path)).as("nothing sent twice").hasSize(5);
        // as if killed while page 2 was on its way but before the node got it
        Files.writeString(state, saved.deepCopy().put("in_flight", replayId + "00000002").put("in_flight_at", java.time.Instant.now().toString()).toString());
        Result resumed = run(replay);
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("page 2: 1 resent", "done: 3 resent in 2 pages");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() == 6);
    }

    @Test
    void aMerchantsKeyReplaysItsOwnDeliveriesThroughItsSealedCursors() {
        assertThat(server.put("/v1/merchants/cli-m", "{\"name\": \"CLI merchant\"}").status()).isEqualTo(201);
        TestServer.Response made = server.postJson("/v1/api-keys", Map.of("name", "cli-m-writer", "merchant_id", "cli-m",
                "scopes", List.of("merchant:write", "merchant:read")));
        assertThat(made.status()).isEqualTo(201);
        Map<String, String> merchant = new HashMap<>(env());
        merchant.put("HERALD_API_KEY", made.json().get("key").asText());
        String path = "/rpm-" + System.nanoTime();
        String ep = server.createEndpoint(Map.of("url", receiver.url(path).toString(), "events", List.of("clirpm.*"), "merchant_id", "cli-m"))
                .get("id").asText();
        for (int i = 0; i < 3; i++) {
            assertThat(server.postJson("/v1/events", Map.of("event", "clirpm.x", "merchant_id", "cli-m", "data", Map.of("i", i))).status()).isEqualTo(202);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() == 3);
        assertThat(run(merchant, "deliveries", "list", "--all").out().lines()).hasSize(4);
        String[] replay = {"replay", "--endpoint", ep, "--since", "1h", "--page-size", "1"};
        assertThat(run(merchant, concat(replay, "--max-pages", "2")).out()).contains("page 2: 1 resent (2/3)");
        Result rest = run(merchant, replay);
        assertThat(rest.code()).as(rest.err()).isZero();
        assertThat(rest.out()).contains("page 3: 1 resent (1/1)", "done: 3 resent in 3 pages");
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() == 6);
        String operators = endpoint("clirpo.x", "/rpo-" + System.nanoTime(), 0);
        publish("clirpo.x", "{}");
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("endpoint_id=" + operators).size() == 1);
        Result other = run(merchant, "deliveries", "show", deliveries("endpoint_id=" + operators).getFirst());
        assertThat(other.code()).as("a delivery that is not the merchant's").isEqualTo(1);
        assertThat(other.err()).startsWith("herald: 404 ").hasLineCount(1);
        assertThat(run(merchant, "keys", "list").err()).startsWith("herald: 403 ");
    }

    // ---------------------------------------------------------------- tail

    @Test
    void tailShowsEachNewDeliveryAndEachAttemptExactlyOnceUntilInterrupted() throws Exception {
        String okPath = "/tail-ok-" + System.nanoTime();
        String flakyPath = "/tail-flaky-" + System.nanoTime();
        String okEp = endpoint("clitail.ok", okPath, 0);
        receiver.reply(flakyPath, TestReceiver.Reply.status(500));
        String flakyEp = endpoint("clitail.flaky", flakyPath, 2); // three tries, a second apart

        publish("clitail.ok", "{\"before\": true}"); // made before the tail starts: only what happens to it later shows
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=delivered&endpoint_id=" + okEp).size() == 1);
        String older = deliveries("endpoint_id=" + okEp).getFirst();

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread tail = new Thread(() -> code.set(Main.run(new String[] {"tail", "--events", "clitail.*", "--interval", "200"}, env(),
                new PrintWriter(out), new PrintWriter(err))));
        tail.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().startsWith("TIME"));
        for (int i = 0; i < 6; i++) {
            publish("clitail.ok", "{\"i\": " + i + "}");
        }
        publish("clitail.flaky", "{\"i\": 0}");
        publish("other.kind", "{\"i\": 0}");
        assertThat(run("resend", older).code()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=failed&endpoint_id=" + flakyEp).size() == 1
                && deliveries("status=delivered&endpoint_id=" + okEp).size() == 7);
        String flaky = deliveries("endpoint_id=" + flakyEp).getFirst();
        await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().lines().filter(l -> l.contains(flaky) && l.contains("#3")).count() == 1);
        Thread.sleep(1000); // more polls: nothing is shown twice
        tail.interrupt();
        tail.join(10_000);
        assertThat(code.get()).as(err.toString()).isZero();
        assertThat(err.toString()).isEmpty();

        List<String> lines = out.toString().lines().skip(1).toList();
        assertThat(lines).noneMatch(l -> l.contains("other.kind"));
        assertThat(lines.stream().filter(l -> l.contains(older)).toList()).as("a resend of an older delivery: its new try only")
                .singleElement().matches(l -> l.matches(".*HTTP 200 delivered\\s+#2\\s+\\d+ ms"));
        for (String d : deliveries("endpoint_id=" + okEp)) {
            if (d.equals(older)) {
                continue;
            }
            assertThat(lines.stream().filter(l -> l.contains(d)).toList()).as(d).hasSize(2)
                    .anyMatch(l -> l.contains(" new ")).anyMatch(l -> l.matches(".*HTTP 200 delivered\\s+#1\\s+\\d+ ms"));
        }
        List<String> flakyLines = lines.stream().filter(l -> l.contains(flaky)).toList();
        assertThat(flakyLines).as(String.join("\n", lines)).hasSize(4);
        assertThat(flakyLines.get(0)).contains(" new ");
        assertThat(flakyLines.get(1)).matches(".*HTTP 500\\s+#1\\s+\\d+ ms");
        assertThat(flakyLines.get(2)).matches(".*HTTP 500\\s+#2\\s+\\d+ ms");
        assertThat(flakyLines.get(3)).matches(".*HTTP 500 failed\\s+#3\\s+\\d+ ms");
    }

    // ---------------------------------------------------------------- completion and failures

    @Test
    void completionPrintsAScriptForBashAndZsh() {
        Result bash = run(Map.of(), "completion", "bash");
        assertThat(bash.code()).isZero();
        assertThat(bash.out()).contains("complete -F", "replay", "deliveries", "--dry-run");
        Result zsh = run(Map.of(), "completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit").contains("bashcompinit", "tail");
        assertThat(run(Map.of(), "completion", "fish").code()).isEqualTo(2);
    }

    @Test
    void everyFailureIsOneLineAndANonZeroExit() throws IOException {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        Result down = run(Map.of("HERALD_URL", "http://127.0.0.1:" + free, "HERALD_API_KEY", "k"), "deliveries", "list");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.out()).isEmpty();
        assertThat(down.err()).isEqualTo("herald: cannot reach http://127.0.0.1:" + free + ": connection refused (is a Herald node running there?"
                + " --url or HERALD_URL names it)" + System.lineSeparator());

        Map<String, String> badKey = new HashMap<>(env());
        badKey.put("HERALD_API_KEY", "not-a-key-of-this-node");
        Result unauthorized = run(badKey, "events", "list");
        assertThat(unauthorized.code()).isEqualTo(1);
        assertThat(unauthorized.err()).startsWith("herald: 401 ").hasLineCount(1);

        Result missing = run("deliveries", "show", "del_nosuchdelivery");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("herald: 404 ").hasLineCount(1);

        Result bad = run("deliveries", "list", "--status", "lost");
        assertThat(bad.err()).isEqualTo("herald: 422 " + server.get("/v1/deliveries?status=lost").json().get("title").asText()
                + ": status must be one of pending, delivered, failed, cancelled (status)" + System.lineSeparator());

        Result unknown = run("deliveries", "list", "--colour");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("herald: unknown option --colour for herald deliveries list (herald deliveries list --help shows the usage)"
                + System.lineSeparator());

        Result noKey = run(Map.of("HERALD_URL", "http://127.0.0.1:" + server.port()), "endpoints", "list");
        assertThat(noKey.code()).isEqualTo(1);
        assertThat(noKey.err()).startsWith("herald: an API key is needed").hasLineCount(1);

        Map<String, String> stray = new HashMap<>(env());
        stray.putAll(Map.of("HERALD_STATUS", "lost", "HERALD_LIMIT", "many", "HERALD_SINCE", "whenever"));
        assertThat(run(stray, "deliveries", "list").code()).as("only --url and --api-key-file come from the environment").isZero();

        Result badTime = run("deliveries", "list", "--since", "yesterday");
        assertThat(badTime.code()).isEqualTo(1);
        assertThat(badTime.err()).startsWith("herald: --since must be a time").hasLineCount(1);
    }

    @Test
    void theKeyIsNeverAnArgumentAndNeverEchoed() throws IOException {
        String secret = "sk-" + System.nanoTime();
        for (String[] args : new String[][] {{"events", "list", "--api-key", secret}, {"tail", "--api-key=" + secret}, {"replay", "--key", secret}}) {
            Result r = run(Map.of("HERALD_URL", "http://127.0.0.1:" + server.port()), args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).hasLineCount(1).contains("never from an argument").doesNotContain(secret);
        }
        Path file = Files.writeString(cache.resolve("key"), TestServer.ADMIN_KEY + "\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Result fromFile = run(Map.of("HERALD_URL", "http://127.0.0.1:" + server.port()), "endpoints", "list", "--api-key-file", file.toString());
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        Result fromEnvFile = run(Map.of("HERALD_URL", "http://127.0.0.1:" + server.port(), "HERALD_API_KEY_FILE", file.toString()), "endpoints", "list");
        assertThat(fromEnvFile.code()).as(fromEnvFile.err()).isZero();
        assertThat(run(Map.of(), "events", "list", "--help").out()).contains("--api-key-file", "HERALD_API_KEY").doesNotContain("--api-key ");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
