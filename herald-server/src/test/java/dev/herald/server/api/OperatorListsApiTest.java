package dev.herald.server.api;

import static dev.herald.server.api.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.TestReceiver;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the console's operator pages need from the API: {@code GET /v1/merchants} (status and search filters, cursor
 * paging, a merchant's key finding its own merchant only), {@code POST /v1/deliveries/resend} (the list's filters,
 * bounded, scoped to a merchant's key, audited) and {@code GET /v1/deliveries/{id}/request} (the request a try sends).
 */
class OperatorListsApiTest {
    private static TestServer server;
    private static TestReceiver receiver;
    private static String writerA;
    private static String readerA;
    private static String writerB;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        receiver = TestReceiver.start();
        for (String m : List.of("lst-a1", "lst-a2", "lst-b", "lst-c")) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"Lister " + m + "\"}").status()).isEqualTo(201);
        }
        assertThat(server.put("/v1/merchants/lst-c", "{\"status\": \"suspended\"}").status()).isEqualTo(200);
        writerA = key("lst-writer-a", "lst-a1", "merchant:write");
        readerA = key("lst-reader-a", "lst-a1", "merchant:read");
        writerB = key("lst-writer-b", "lst-b", "merchant:write");
    }

    @AfterAll
    static void stop() {
        receiver.close();
        server.close();
    }

    @Test
    void theOperatorListsMerchantsFilteredByStatusAndSearchAPageAtATime() {
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/merchants?q=LST-")).containsExactly("lst-a1", "lst-a2", "lst-b", "lst-c");
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/merchants?q=lister%20lst-a")).containsExactly("lst-a1", "lst-a2");
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/merchants?q=lst-&status=suspended")).containsExactly("lst-c");
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/merchants?q=lst_")).as("_ is no wildcard").isEmpty();

        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            Response r = as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?q=lst-&limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(r.status()).isEqualTo(200);
            r.json().get("data").forEach(m -> paged.add(m.get("id").asText()));
            assertThat(r.json().get("has_more").asBoolean()).isEqualTo(!r.json().get("next_cursor").isNull());
            cursor = r.json().get("next_cursor").isNull() ? null : r.json().get("next_cursor").asText();
        } while (cursor != null);
        assertThat(paged).containsExactly("lst-a1", "lst-a2", "lst-b", "lst-c");
        JsonNode first = as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?q=lst-a1").json().get("data").get(0);
        assertThat(first.get("name").asText()).isEqualTo("Lister lst-a1");
        assertThat(first.has("secret")).as("no secret in a list").isFalse();
    }

    @Test
    void aMerchantsKeyFindsOnlyItsOwnMerchantInTheList() {
        assertThat(ids(readerA, "/v1/merchants")).containsExactly("lst-a1");
        assertThat(ids(readerA, "/v1/merchants?q=lst-a2")).isEmpty();
        assertThat(ids(writerB, "/v1/merchants?q=lister")).containsExactly("lst-b");
    }

    @Test
    void aBadMerchantFilterIsAProblemNamingIt() {
        assertProblem(as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?status=paused"), 422, "status");
        assertProblem(as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?q="), 422, "q");
        assertProblem(as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?q=" + "x".repeat(201)), 422, "q");
        assertProblem(as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?limit=0"), 422, "limit");
        assertProblem(as(TestServer.ADMIN_KEY, "GET", "/v1/merchants?limit=many"), 422, "limit");
    }

    @Test
    void aBulkResendSendsAgainWhatTheListsFiltersSelectWithinItsBoundAndAuditsEach() {
        String path = "/bulk-" + System.nanoTime();
        receiver.reply(path, TestReceiver.Reply.status(500));
        String endpoint = server.createEndpoint(Map.of("name", "bulk", "url", receiver.url(path).toString(), "events", List.of("lst.bulk"),
                "merchant_id", "lst-a1", "retry_attempts", 0)).get("id").asText();
        for (int i = 0; i < 3; i++) {
            assertThat(server.postJson("/v1/events", Map.of("event", "lst.bulk", "merchant_id", "lst-a1", "data", Map.of("n", i))).status()).isEqualTo(202);
        }
        String failed = "/v1/deliveries/resend?status=failed&endpoint_id=" + endpoint;
        await().atMost(Duration.ofSeconds(30)).until(() -> ids(TestServer.ADMIN_KEY, "/v1/deliveries?status=failed&endpoint_id=" + endpoint).size() == 3);
        receiver.reply(path, TestReceiver.Reply.status(200));

        assertProblem(as(TestServer.ADMIN_KEY, "POST", failed + "&limit=2"), 422, "limit");
        assertProblem(as(TestServer.ADMIN_KEY, "POST", "/v1/deliveries/resend?status=lost&endpoint_id=" + endpoint), 422, "status");
        assertProblem(as(TestServer.ADMIN_KEY, "POST", "/v1/deliveries/resend?since=yesterday"), 422, "since");
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/deliveries?status=failed&endpoint_id=" + endpoint)).as("a refused bulk resend sends none").hasSize(3);
        assertThat(as(readerA, "POST", failed).status()).as("a read-only key may not").isEqualTo(403);
        JsonNode other = as(writerB, "POST", failed).json();
        assertThat(other.get("matched").asInt()).as("another merchant's deliveries are as if there were none").isZero();

        Response r = as(writerA, "POST", failed + "&limit=3");
        assertThat(r.status()).isEqualTo(202);
        assertThat(r.json().get("matched").asInt()).isEqualTo(3);
        assertThat(r.json().get("resent").asInt()).isEqualTo(3);
        Set<String> resent = new TreeSet<>();
        r.json().get("delivery_ids").forEach(n -> resent.add(n.asText()));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                ids(TestServer.ADMIN_KEY, "/v1/deliveries?status=delivered&endpoint_id=" + endpoint).size() == 3);
        JsonNode audit = as(TestServer.ADMIN_KEY, "GET", "/v1/audit?action=delivery.bulk_resend&limit=200").json().get("data");
        Set<String> audited = new TreeSet<>();
        audit.forEach(e -> audited.add(e.get("target").get("id").asText()));
        assertThat(audited).containsAll(resent);
        assertThat(as(writerB, "GET", "/v1/audit?action=delivery.bulk_resend").json().get("data")).as("not in another merchant's audit").isEmpty();
    }

    @Test
    void aPagedBulkResendWalksTheSelectionNewestFirstAPageAtATimeAndTypePatternsSelect() {
        String path = "/paged-" + System.nanoTime();
        receiver.reply(path, TestReceiver.Reply.status(200));
        String endpoint = server.createEndpoint(Map.of("name", "paged", "url", receiver.url(path).toString(), "events", List.of("lst.paged.*"),
                "merchant_id", "lst-a1")).get("id").asText();
        for (int i = 0; i < 5; i++) {
            String type = i == 2 ? "lst.paged.other" : "lst.paged.one";
            assertThat(server.postJson("/v1/events", Map.of("event", type, "merchant_id", "lst-a1", "data", Map.of("n", i))).status()).isEqualTo(202);
        }
        String filter = "endpoint_id=" + endpoint + "&event=lst.paged.*";
        await().atMost(Duration.ofSeconds(30)).until(() -> ids(TestServer.ADMIN_KEY, "/v1/deliveries?status=delivered&" + filter).size() == 5);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/deliveries?endpoint_id=" + endpoint + "&event=lst.paged.one")).hasSize(4);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/deliveries?endpoint_id=" + endpoint + "&event=lst.*")).hasSize(5);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/deliveries?endpoint_id=" + endpoint + "&event=*")).hasSize(5);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/deliveries?endpoint_id=" + endpoint + "&event=lst.pag.*")).isEmpty();
        List<String> newestFirst = ids(TestServer.ADMIN_KEY, "/v1/deliveries?" + filter);

        assertProblem(as(TestServer.ADMIN_KEY, "POST", "/v1/deliveries/resend?limit=2&" + filter), 422, "limit");
        List<String> resent = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Response r = as(writerA, "POST", "/v1/deliveries/resend?page=true&limit=2&" + filter + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            r.json().get("delivery_ids").forEach(n -> resent.add(n.asText()));
            assertThat(r.json().get("has_more").asBoolean()).isEqualTo(!r.json().get("next_cursor").isNull());
            cursor = r.json().get("next_cursor").isNull() ? null : r.json().get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(resent).as("each once, newest first").isEqualTo(newestFirst);
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() == 10);
        assertProblem(as(TestServer.ADMIN_KEY, "POST", "/v1/deliveries/resend?page=yes&" + filter), 422, "page");
        assertProblem(as(TestServer.ADMIN_KEY, "POST", "/v1/deliveries/resend?page=true&cursor=bogus&" + filter), 422, "cursor");
    }

    @Test
    void theEventsListTakesATypePatternAndASince() {
        String before = java.time.Instant.now().minusSeconds(1).toString();
        for (String type : List.of("lstev.a.one", "lstev.a.two", "lstev.b")) {
            assertThat(server.postJson("/v1/events", Map.of("event", type, "data", Map.of())).status()).isEqualTo(202);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ids(TestServer.ADMIN_KEY, "/v1/events?type=lstev.*&limit=500").size() == 3);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/events?type=lstev.a.*&since=" + before)).hasSize(2);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/events?type=lstev.b&since=" + before)).hasSize(1);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/events?type=lstev.*&since=2099-01-01T00:00:00Z")).isEmpty();
        assertProblem(as(TestServer.ADMIN_KEY, "GET", "/v1/events?since=yesterday"), 422, "since");
    }

    @Test
    void aDeliverysRequestShowsTheHeadersAndBodyATrySendsWithCustomHeaderValuesMasked() {
        String path = "/request-" + System.nanoTime();
        receiver.reply(path, TestReceiver.Reply.status(200));
        String endpoint = server.createEndpoint(Map.of("name", "req", "url", receiver.url(path).toString(), "events", List.of("lst.req"),
                "merchant_id", "lst-a1", "headers", Map.of("X-Api-Token", "t0ken-v4lue"))).get("id").asText();
        assertThat(server.post("/v1/events", "{\"event\": \"lst.req\", \"merchant_id\": \"lst-a1\", \"data\": {\"amount\": 12.30}}").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> !receiver.received(path).isEmpty());
        TestReceiver.Received got = receiver.received(path).getFirst();
        String delivery = got.header("X-Webhook-Delivery");

        Response r = as(readerA, "GET", "/v1/deliveries/" + delivery + "/request");
        assertThat(r.status()).isEqualTo(200);
        JsonNode shown = r.json();
        assertThat(shown.get("method").asText()).isEqualTo("POST");
        assertThat(shown.get("url").asText()).isEqualTo(receiver.url(path).toString());
        assertThat(shown.get("body").asText()).isEqualTo(new String(got.body(), StandardCharsets.UTF_8)).contains("12.30");
        assertThat(shown.get("sealed").asBoolean()).isFalse();
        Map<String, String> headers = new LinkedHashMap<>();
        shown.get("headers").properties().forEach(e -> headers.put(e.getKey().toLowerCase(), e.getValue().asText()));
        assertThat(headers).containsEntry("x-api-token", "********").containsEntry("x-webhook-delivery", delivery)
                .containsEntry("x-webhook-id", endpoint).containsEntry("content-type", "application/json")
                .containsEntry("x-webhook-signature", "(computed at each try)").containsEntry("webhook-signature", "(computed at each try)");
        assertThat(r.body()).doesNotContain("t0ken-v4lue");
        Set<String> sent = new TreeSet<>();
        got.headers().keySet().forEach(h -> sent.add(h.toLowerCase()));
        sent.removeAll(Set.of("content-length", "host", "connection", "accept-encoding", "upgrade", "http2-settings"));
        assertThat(headers.keySet()).as("every header a try sends is shown, and no other").containsExactlyInAnyOrderElementsOf(sent);

        assertThat(as(writerB, "GET", "/v1/deliveries/" + delivery + "/request").status()).as("another merchant's: not found").isEqualTo(404);
        assertThat(server.delete("/v1/endpoints/" + endpoint).status()).isEqualTo(204);
        assertProblem(as(readerA, "GET", "/v1/deliveries/" + delivery + "/request"), 404);
    }

    private static String key(String name, String merchant, String... scopes) {
        Response r = server.postJson("/v1/api-keys", Map.of("name", name, "merchant_id", merchant, "scopes", List.of(scopes)));
        assertThat(r.status()).isEqualTo(201);
        return r.json().get("key").asText();
    }

    private static Response as(String key, String method, String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key)
                .method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    private static List<String> ids(String key, String path) {
        Response r = as(key, "GET", path);
        assertThat(r.status()).as("%s: %s", path, r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().get("data").forEach(n -> out.add(n.get("id").asText()));
        return out;
    }
}
