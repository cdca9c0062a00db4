package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.catalog.ValidationMode;
import dev.herald.server.cli.Output;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code herald trigger} and {@code herald event-types} against a real node that enforces the catalog's schemas. */
class TriggerCliTest {
    /** A type of this test's own: a decimal amount (the shipped ones count minor units), a note, optional nested objects. */
    private static final String PRICED = "{\"description\": \"A priced thing.\", \"version\": 1, \"schema\": {\"type\": \"object\","
            + " \"properties\": {\"note\": {\"type\": \"string\"}, \"amount\": {\"type\": \"number\", \"minimum\": 0},"
            + " \"meta\": {\"type\": \"object\"}}, \"required\": [\"note\", \"amount\"], \"additionalProperties\": false},"
            + " \"example\": {\"note\": \"x\", \"amount\": 1}}";
    private static TestServer server;
    private static TestReceiver receiver;

    @BeforeAll
    static void start() {
        server = TestServer.start(true, TestPostgres.embedded(), null, c -> c.withSchemaValidation(ValidationMode.ENFORCE));
        receiver = TestReceiver.start();
        TestServer.Response put = server.put("/v1/event-types/trigger.priced", PRICED);
        assertThat(put.status()).as(put.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        receiver.close();
        server.close();
    }

    record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        return run(Map.of("HERALD_URL", "http://127.0.0.1:" + server.port(), "HERALD_API_KEY", TestServer.ADMIN_KEY), args);
    }

    private static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, env, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private static String publishedId(Result r) {
        Matcher m = Pattern.compile("(?m)^published (evt_\\S+) \\(").matcher(r.out());
        assertThat(m.find()).as(r.out() + r.err()).isTrue();
        return m.group(1);
    }

    private static String endpoint(String name, String type, String path) {
        return server.createEndpoint(Map.of("name", name, "url", receiver.url(path).toString(), "events", List.of(type), "retry_attempts", 0))
                .get("id").asText();
    }

    @Test
    void triggerOfEachShippedTypePublishesItsExampleWhichTheEnforcingNodeAcceptsWithoutWarnings() {
        List<String> types = new ArrayList<>(); // Herald's operational types too: an integrator may rehearse them
        server.get("/v1/event-types").json().get("data").forEach(t -> {
            types.add(t.get("type").asText());
        });
        assertThat(types).contains("transfer.completed", "account.created", "risk.alert");
        for (String type : types) {
            Result r = run("trigger", type, "--wait", "0s");
            assertThat(r.code()).as(type + ": " + r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).as(type).doesNotContain("warning");
            String id = publishedId(r);
            assertThat(r.out()).contains("idempotency key trigger-");
            JsonNode stored = server.get("/v1/events/" + id).json();
            assertThat(stored.get("event").asText()).isEqualTo(type);
            assertThat(stored.get("data")).as(type).isEqualTo(server.get("/v1/event-types/" + type).json().get("example"));
        }
    }

    @Test
    void theReceiverGetsTheExampleWithTheOverridesAppliedByteForByteAndEachDeliveryShowsItsOutcome() throws Exception {
        String ok = endpoint("priced-ok", "trigger.priced", "/priced-ok");
        String bad = endpoint("priced-bad", "trigger.priced", "/priced-bad");
        receiver.reply("/priced-bad", TestReceiver.Reply.status(500));

        Result r = run("trigger", "trigger.priced", "--set", "data.amount=10.50", "--set", "data.meta.tags.0=a", "--set", "data.meta.n=1e3",
                "--set-string", "data.note=007", "--wait", "20s");
        assertThat(r.code()).as(r.err()).isZero();
        String id = publishedId(r);
        assertThat(receiver.received("/priced-ok")).hasSize(1);
        byte[] body = receiver.received("/priced-ok").getFirst().body();
        assertThat(Output.member(body, "data")).contains("{\"note\":\"007\",\"amount\":10.50,\"meta\":{\"tags\":[\"a\"],\"n\":1e3}}");
        assertThat(new String(body, StandardCharsets.UTF_8)).contains(id);

        assertThat(r.out()).containsPattern("(?m)^DELIVERY\\s+ENDPOINT\\s+STATUS\\s+ATTEMPTS\\s+LAST\\s+LATENCY$")
                .containsPattern("(?m)^dlv_\\S+\\s+priced-ok \\(" + ok + "\\)\\s+delivered\\s+1\\s+HTTP 200\\s+\\d+ ms$")
                .containsPattern("(?m)^dlv_\\S+\\s+priced-bad \\(" + bad + "\\)\\s+failed\\s+1\\s+HTTP 500\\s+\\d+ ms$")
                .containsPattern("(?m)^2 deliveries: (1 delivered, 1 failed|1 failed, 1 delivered) \\(the event was published;");

        Result json = run("trigger", "trigger.priced", "--json", "--wait", "20s");
        assertThat(json.code()).as(json.err()).isZero();
        List<String> lines = json.out().lines().toList();
        assertThat(lines).hasSize(3);
        String published = TestServer.JSON.readTree(lines.getFirst()).get("id").asText();
        assertThat(TestServer.JSON.readTree(lines.getFirst()).get("deliveries").asInt()).isEqualTo(2);
        for (String line : lines.subList(1, 3)) {
            JsonNode d = TestServer.JSON.readTree(line);
            assertThat(d.get("event_id").asText()).isEqualTo(published);
            assertThat(d.get("attempts")).hasSize(1);
        }
    }

    @Test
    void anOverrideThatBreaksTheSchemaIsOneLineNamingThePointerAndTheRuleAndExit1() {
        Result r = run("trigger", "transfer.completed", "--set", "data.amount=10.50", "--wait", "0s");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("herald: 422").contains("data/amount").contains("rule type");
    }

    @Test
    void anUnknownTypeIsOneLineNamingItWithTheNearNamesOfTheCatalogAndExit1() {
        Result r = run("trigger", "transfer.complete");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("herald: no event type transfer.complete in the catalog").contains("did you mean transfer.completed")
                .contains("herald event-types list");
        Result show = run("event-types", "show", "acount.created");
        assertThat(show.code()).isEqualTo(1);
        assertThat(show.err()).startsWith("herald: no event type acount.created").contains("account.created");
    }

    @Test
    void merchantAndAccountGoOnTheEventAndTheNodesWarningsArePrinted() {
        Result r = run("trigger", "account.created", "--merchant", "nobody", "--account", "11111111-2222-4333-8444-555555555555", "--wait", "0s");
        assertThat(r.code()).as(r.err()).isZero();
        String id = publishedId(r);
        assertThat(r.out()).containsPattern("(?m)^warning: merchant_id: no merchant nobody is registered");
        JsonNode stored = server.get("/v1/events/" + id).json();
        assertThat(stored.get("merchant_id").asText()).isEqualTo("nobody");
        assertThat(stored.get("account_uuid").asText()).isEqualTo("11111111-2222-4333-8444-555555555555");

        Result none = run("trigger", "account.frozen");
        assertThat(none.code()).as(none.err()).isZero();
        assertThat(none.out()).contains("no endpoint subscribes to account.frozen: nothing to deliver");
    }

    @Test
    void aSetThatNamesNoFieldUnderDataOrWalksIntoAValueIsOneLineAndNothingIsPublished() {
        long before = server.get("/v1/events?limit=500&type=account.closed").json().get("data").size();
        for (String[] set : new String[][] {{"--set", "amount=1"}, {"--set", "data.balance.x=1"}, {"--set", "data.name"},
                {"--set", "data.changes.5=1"}}) {
            Result r = run("trigger", "account.closed", set[0], set[1]);
            assertThat(r.code()).as(set[1]).isEqualTo(1);
            assertThat(r.err().lines()).as(set[1]).hasSize(1);
            assertThat(r.err()).startsWith("herald: --set ");
        }
        assertThat(server.get("/v1/events?limit=500&type=account.closed").json().get("data").size()).isEqualTo(before);
    }

    @Test
    void aKeyThatMayPublishButNotReadTheLogPublishesAndSaysWhyItCannotFollowExit0() {
        TestServer.Response made = server.postJson("/v1/api-keys", Map.of("name", "trigger-publisher", "scopes", List.of("events:publish")));
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        Result r = run(Map.of("HERALD_URL", "http://127.0.0.1:" + server.port(), "HERALD_API_KEY", made.json().get("key").asText()),
                "trigger", "balance.low");
        assertThat(r.code()).as(r.err()).isZero();
        String id = publishedId(r);
        assertThat(server.get("/v1/events/" + id).status()).isEqualTo(200);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("herald: " + id + " was published, but its deliveries cannot be followed: 403");
    }

    @Test
    void aNodeThatCannotBeReachedIsOneLineAndExit1() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Result r = run(Map.of("HERALD_URL", "http://127.0.0.1:" + port, "HERALD_API_KEY", TestServer.ADMIN_KEY), "trigger", "balance.low");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("herald: cannot reach http://127.0.0.1:" + port);
    }

    @Test
    void eventTypesListShowsEveryTypeAndShowPrintsTheExampleAsServed() {
        Result list = run("event-types", "list");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out().lines().findFirst().orElseThrow()).matches("TYPE\\s+VERSION\\s+SENT BY\\s+DESCRIPTION");
        int count = server.get("/v1/event-types").json().get("data").size();
        assertThat(list.out().lines()).hasSize(count + 1);
        assertThat(list.out()).containsPattern("(?m)^webhook\\.test\\s+1\\s+herald\\s").containsPattern("(?m)^transfer\\.completed\\s+1\\s+producer\\s");

        TestServer.Response type = server.get("/v1/event-types/trigger.priced");
        Result show = run("event-types", "show", "trigger.priced");
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("A priced thing.").contains("example:").contains(Output.member(type.bytes(), "example").orElseThrow());
        assertThat(run("event-types", "show", "trigger.priced", "--json").out().strip()).isEqualTo(type.body().strip());
    }
}
