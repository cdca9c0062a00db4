package dev.herald.server.api;

import static dev.herald.server.api.ProblemAssertions.assertProblem;
import static dev.herald.server.api.ProblemAssertions.assertWellFormedProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.store.Jdbc;
import dev.herald.testing.MutableClock;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Received;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The endpoint list's server-side filters ({@code q}, {@code status}, {@code failing}, {@code merchant_id}) with cursor
 * paging, the delivery log's time range ({@code since}, {@code until}), and {@code POST /v1/endpoints/{id}/rotate-secret}:
 * a secret made by Herald, shown once, the old one signing on for the grace period and not after, audited without
 * either secret. One server on a clock the tests move by hand; every test works on its own endpoints and event types.
 */
class EndpointFilterTest {
    private static final String A = "flt-a";
    private static final String B = "flt-b";
    /** The merchant of the endpoints single tests make, so the lists of A and B stay as {@link #start} made them. */
    private static final String C = "flt-c";

    private static final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private static TestServer server;
    private static TestReceiver receiver;
    private static String writerB;
    private static String readerA;
    private static String writerC;
    private static String readerC;
    private static String publisher;
    /** Merchant A's endpoints by a short name. */
    private static final Map<String, String> ep = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        server = TestServer.start(true, clock);
        receiver = TestReceiver.start();
        for (String m : List.of(A, B, C)) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}").status()).isEqualTo(201);
        }
        writerB = key("writer-b", B, "merchant:write");
        readerA = key("reader-a", A, "merchant:read");
        writerC = key("writer-c", C, "merchant:write");
        readerC = key("reader-c", C, "merchant:read");
        publisher = key("publisher", null, "events:publish");
        ep.put("ordersEu", endpoint(A, "Orders EU", "/orders/eu", true));
        ep.put("ordersUs", endpoint(A, "orders us", "/orders/us", false));
        ep.put("refunds", endpoint(A, "Refunds", "/refunds/ORDERS-archive", true));
        ep.put("percent", endpoint(A, "100% match_all", "/percent", true));
        ep.put("plain", endpoint(A, "100 matchXall", "/plain", true));
        ep.put("backslash", endpoint(A, "back\\slash", "/backslash", false));
        ep.put("failing", server.createEndpoint(Map.of("name", "orders failing", "url", receiver.url("/failing").toString(),
                "events", List.of("flt.fail"), "merchant_id", A, "retry_attempts", 0)).get("id").asText());
        ep.put("b", endpoint(B, "Orders B", "/b/orders", true));
        receiver.reply("/failing", TestReceiver.Reply.status(500));
        assertThat(server.postJson("/v1/events", Map.of("event", "flt.fail", "merchant_id", A)).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/v1/endpoints/" + ep.get("failing")).json().get("consecutive_failures").asInt() > 0);
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------- the endpoint list's filters

    @Test
    void searchMatchesIdNameOrUrlIgnoringCase() {
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?merchant_id=" + A + "&q=ORDERS"))
                .as("names 'Orders EU', 'orders us', 'orders failing' and the URL of 'Refunds'")
                .containsExactlyElementsOf(sorted(ep.get("ordersEu"), ep.get("ordersUs"), ep.get("refunds"), ep.get("failing")));
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=orders")).as("every merchant's, for the operator")
                .containsExactlyElementsOf(sorted(ep.get("ordersEu"), ep.get("ordersUs"), ep.get("refunds"), ep.get("failing"), ep.get("b")));
        String id = ep.get("plain");
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q(id.substring(3)))).containsExactly(id);
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q("/orders/eu"))).containsExactly(ep.get("ordersEu"));
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=nothing-is-called-this")).isEmpty();
    }

    @Test
    void likeMetacharactersInTheSearchAreMatchedLiterally() {
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q("100%"))).as("%% is no wildcard").containsExactly(ep.get("percent"));
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q("match_all"))).as("_ is no wildcard").containsExactly(ep.get("percent"));
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q("%"))).containsExactly(ep.get("percent"));
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q("k\\s"))).as("\\ is no escape").containsExactly(ep.get("backslash"));
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=" + q("'; drop table endpoints; --"))).isEmpty();
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?merchant_id=" + A)).containsExactlyElementsOf(sorted(ep.values().stream()
                .filter(id -> !id.equals(ep.get("b"))).toArray(String[]::new)));
    }

    @Test
    void statusAndFailingFilterAndCombineWithTheSearch() {
        String all = "/v1/endpoints?merchant_id=" + A;
        assertThat(ids(TestServer.ADMIN_KEY, all + "&status=disabled")).containsExactlyElementsOf(sorted(ep.get("ordersUs"), ep.get("backslash")));
        assertThat(ids(TestServer.ADMIN_KEY, all + "&status=active"))
                .containsExactlyElementsOf(sorted(ep.get("ordersEu"), ep.get("refunds"), ep.get("percent"), ep.get("plain"), ep.get("failing")));
        assertThat(ids(TestServer.ADMIN_KEY, all + "&failing=true")).containsExactly(ep.get("failing"));
        assertThat(ids(TestServer.ADMIN_KEY, all + "&failing=false")).hasSize(6).doesNotContain(ep.get("failing"));
        assertThat(ids(TestServer.ADMIN_KEY, all + "&q=orders&status=active"))
                .containsExactlyElementsOf(sorted(ep.get("ordersEu"), ep.get("refunds"), ep.get("failing")));
        assertThat(ids(TestServer.ADMIN_KEY, all + "&q=orders&status=active&failing=true")).containsExactly(ep.get("failing"));
        assertThat(ids(TestServer.ADMIN_KEY, all + "&q=orders&status=disabled&failing=true")).isEmpty();
        JsonNode failing = server.get("/v1/endpoints?failing=true").json().get("data");
        assertThat(failing).isNotEmpty().allSatisfy(e -> assertThat(e.get("consecutive_failures").asInt()).isPositive());
    }

    @Test
    void filtersCombineWithPagingAcrossPages() {
        for (String filter : List.of("q=orders", "q=orders&status=active", "status=active", "failing=false&q=o", "q=100")) {
            String path = "/v1/endpoints?merchant_id=" + A + "&" + filter;
            List<String> whole = server.get(path + "&limit=500").json().get("data").findValues("id").stream().map(JsonNode::asText).toList();
            List<String> paged = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                JsonNode page = server.get(path + "&limit=2" + (cursor == null ? "" : "&cursor=" + q(cursor))).json();
                page.get("data").forEach(e -> paged.add(e.get("id").asText()));
                assertThat(page.get("data").size()).as("%s page %d", filter, pages).isBetween(1, 2);
                cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
                assertThat(page.get("has_more").asBoolean()).isEqualTo(cursor != null);
                pages++;
            } while (cursor != null && pages < 20);
            assertThat(paged).as(filter).isEqualTo(whole).doesNotHaveDuplicates().isSorted();
            assertThat(pages).as(filter).isEqualTo((whole.size() + 1) / 2);
        }
    }

    @Test
    void aMerchantsKeyListsAndFiltersItsOwnEndpointsOnly() {
        assertThat(ids(writerB, "/v1/endpoints")).containsExactly(ep.get("b"));
        assertThat(ids(writerB, "/v1/endpoints?q=orders")).containsExactly(ep.get("b"));
        assertThat(ids(writerB, "/v1/endpoints?merchant_id=" + B + "&status=active")).containsExactly(ep.get("b"));
        assertThat(ids(writerB, "/v1/endpoints?merchant_id=" + A)).as("another merchant's: as if it had none").isEmpty();
        assertThat(ids(writerB, "/v1/endpoints?merchant_id=" + A + "&q=orders&failing=true")).isEmpty();
        assertThat(ids(writerB, "/v1/endpoints?q=" + q(ep.get("ordersEu")))).as("another merchant's endpoint by its id").isEmpty();
        assertThat(ids(writerB, "/v1/endpoints?cursor=" + q(ep.get("ordersEu")))).as("a cursor pages its own list").containsExactly(ep.get("b"));
        assertThat(ids(readerA, "/v1/endpoints?failing=true")).containsExactly(ep.get("failing"));
        assertProblem(as(publisher, "GET", "/v1/endpoints?q=orders", null), 403);
    }

    @Test
    void badFilterValuesAreRefusedNamingTheParameter() {
        assertProblem(server.get("/v1/endpoints?q="), 422, "q");
        assertProblem(server.get("/v1/endpoints?q=" + "x".repeat(201)), 422, "q");
        assertThat(server.get("/v1/endpoints?q=" + "x".repeat(200)).status()).isEqualTo(200);
        assertProblem(server.get("/v1/endpoints?status=paused"), 422, "status");
        assertProblem(server.get("/v1/endpoints?status=ACTIVE"), 422, "status");
        assertProblem(server.get("/v1/endpoints?status="), 422, "status");
        assertProblem(server.get("/v1/endpoints?failing=yes"), 422, "failing");
        assertProblem(server.get("/v1/endpoints?failing=1"), 422, "failing");
        assertWellFormedProblem(server.get("/v1/endpoints?q=a%00b"));
        assertProblem(as(writerB, "GET", "/v1/endpoints?merchant_id=" + A + "&status=bogus", null), 422, "status");
        assertProblem(server.get("/v1/deliveries?until=tomorrow"), 422, "until");
        assertProblem(server.get("/v1/deliveries?until="), 422, "until");
        assertProblem(server.get("/v1/deliveries?since=2026-01-02T00:00:00Z&until=2026-01-01T23:59:59Z"), 422, "until");
        assertProblem(as(writerB, "GET", "/v1/deliveries?merchant_id=" + A + "&until=tomorrow", null), 422, "until");
    }

    // ---------------------------------------------------------------- the delivery log's time range

    @Test
    void deliveriesAreSelectedByATimeRangeWhoseEndIsExclusive() {
        String range = server.createEndpoint(Map.of("name", "range", "url", "http://127.0.0.1:9/range", "events", List.of("flt.range"),
                "merchant_id", C, "is_active", false)).get("id").asText(); // deliveries wait: their status stays pending
        Instant t0 = clock.instant();
        List<String> deliveries = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String evt = server.postJson("/v1/events", Map.of("event", "flt.range", "merchant_id", C)).json().get("id").asText();
            deliveries.add(server.get("/v1/deliveries?event=" + evt).json().get("data").get(0).get("id").asText());
            clock.advance(Duration.ofHours(1));
        }
        String d0 = deliveries.get(0);
        String d1 = deliveries.get(1);
        String d2 = deliveries.get(2);
        String base = "/v1/deliveries?endpoint_id=" + range;
        Instant t1 = t0.plus(Duration.ofHours(1));
        Instant t2 = t0.plus(Duration.ofHours(2));
        assertThat(ids(TestServer.ADMIN_KEY, base)).containsExactly(d2, d1, d0);
        assertThat(ids(TestServer.ADMIN_KEY, base + "&since=" + t0 + "&until=" + t1)).as("until is exclusive").containsExactly(d0);
        assertThat(ids(TestServer.ADMIN_KEY, base + "&until=" + t1.plusNanos(1000))).containsExactly(d1, d0);
        assertThat(ids(TestServer.ADMIN_KEY, base + "&since=" + t1)).as("since is inclusive").containsExactly(d2, d1);
        assertThat(ids(TestServer.ADMIN_KEY, base + "&since=" + t1 + "&until=" + t2)).containsExactly(d1);
        assertThat(ids(TestServer.ADMIN_KEY, base + "&since=" + t1 + "&until=" + t1)).as("an empty range").isEmpty();
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/deliveries?event=flt.range&status=pending&merchant_id=" + C + "&since=" + t0 + "&until=" + t2))
                .containsExactly(d1, d0);
        assertThat(ids(TestServer.ADMIN_KEY, base + "&status=delivered&since=" + t0)).isEmpty();
        assertThat(ids(readerC, base + "&since=" + t0 + "&until=" + t2)).containsExactly(d1, d0);
        assertThat(ids(writerB, base + "&since=" + t0 + "&until=" + t2)).as("another merchant's deliveries").isEmpty();
        assertThat(ids(writerB, "/v1/deliveries?merchant_id=" + C + "&since=" + t0)).isEmpty();

        List<String> paged = new ArrayList<>();
        String cursor = null;
        do { // a page at a time, the range kept
            JsonNode page = as(readerC, "GET", base + "&since=" + t0 + "&until=" + t2.plusSeconds(1) + "&limit=1"
                    + (cursor == null ? "" : "&cursor=" + q(cursor)), null).json();
            page.get("data").forEach(d -> paged.add(d.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null && paged.size() < 10);
        assertThat(paged).containsExactly(d2, d1, d0);
    }

    // ---------------------------------------------------------------- rotating the secret

    @Test
    void aRotatedSecretSignsNewDeliveriesAndTheOldOneVerifiesOnlyDuringTheGrace() throws Exception {
        JsonNode created = server.createEndpoint(Map.of("name", "rotating", "url", receiver.url("/rotate").toString(), "events", List.of("flt.rotate"),
                "merchant_id", C));
        String id = created.get("id").asText();
        String old = created.get("secret").asText();
        Instant now = clock.instant();

        Response r = server.postJson("/v1/endpoints/" + id + "/rotate-secret", Map.of("grace_seconds", 3600));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String fresh = r.json().get("secret").asText();
        assertThat(fresh).matches("whsec_[A-Za-z0-9+/]{32}").isNotEqualTo(old);
        assertThat(r.json().get("id").asText()).isEqualTo(id);
        assertThat(Instant.parse(r.json().get("previous_secret_until").asText())).isEqualTo(now.plusSeconds(3600));

        for (Response read : List.of(server.get("/v1/endpoints/" + id), server.get("/v1/endpoints?merchant_id=" + C + "&limit=500"),
                server.get("/v1/endpoints?q=rotating"), as(readerC, "GET", "/v1/endpoints/" + id, null))) {
            assertThat(read.body()).as("the new secret is shown once").doesNotContain(fresh).doesNotContain(old).doesNotContain("whsec_");
        }
        List<String> stored = server.jdbc().read(c -> Jdbc.query(c, "select secret || ' ' || previous_secret from endpoints where id = ?",
                ps -> ps.setString(1, id), rs -> rs.getString(1)));
        assertThat(stored.getFirst()).as("both sealed at rest").startsWith("sealed:v1:").contains(" sealed:v1:").doesNotContain(fresh).doesNotContain(old);

        Received during = deliver(id, "/rotate");
        verifier(fresh).verify(headers(during), during.body());
        verifier(old).verify(headers(during), during.body());
        assertThat(during.header("x-webhook-signature")).as("the classic scheme signs with the new secret")
                .isEqualTo("sha256=" + HexFormat.of().formatHex(hmac(fresh, during.body())));

        clock.advance(Duration.ofSeconds(3601));
        Received after = deliver(id, "/rotate");
        verifier(fresh).verify(headers(after), after.body());
        assertThat(after.header("webhook-signature").split(" ")).as("only the new secret signs").hasSize(1);
        assertThatThrownBy(() -> verifier(old).verify(headers(after), after.body())).isInstanceOf(WebhookVerificationException.class);
    }

    @Test
    void aRotationIsAuditedWithoutEitherSecret() {
        JsonNode created = server.createEndpoint(Map.of("name", "audited", "url", "http://127.0.0.1:9/audited", "events", List.of("flt.audit"),
                "merchant_id", C, "is_active", false));
        String id = created.get("id").asText();
        Response r = as(writerC, "POST", "/v1/endpoints/" + id + "/rotate-secret", "");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String fresh = r.json().get("secret").asText();
        assertThat(Instant.parse(r.json().get("previous_secret_until").asText())).as("24 h by default").isEqualTo(clock.instant().plus(Duration.ofHours(24)));

        Response audit = as(writerC, "GET", "/v1/audit?target=" + id + "&action=endpoint.rotate_secret", null);
        assertThat(audit.body()).doesNotContain(fresh).doesNotContain(created.get("secret").asText()).doesNotContain("whsec_");
        JsonNode entries = audit.json().get("data");
        assertThat(entries).hasSize(1);
        JsonNode e = entries.get(0);
        assertThat(e.get("actor").get("name").asText()).isEqualTo("writer-c");
        assertThat(e.get("target").get("merchant_id").asText()).isEqualTo(C);
        assertThat(e.get("before").get("secret").asText()).isEqualTo("[redacted]");
        assertThat(e.get("after").get("secret").asText()).isEqualTo("[redacted, changed]");
        assertThat(e.get("after").get("previous_secret_until").asText()).isEqualTo(r.json().get("previous_secret_until").asText());
    }

    @Test
    void aGraceOfZeroEndsTheOldSecretAtOnce() throws Exception {
        JsonNode created = server.createEndpoint(Map.of("url", receiver.url("/rotate-now").toString(), "events", List.of("flt.now"), "merchant_id", C));
        String id = created.get("id").asText();
        Response r = server.postJson("/v1/endpoints/" + id + "/rotate-secret", Map.of("grace_seconds", 0));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        Received got = deliver(id, "/rotate-now");
        verifier(r.json().get("secret").asText()).verify(headers(got), got.body());
        assertThatThrownBy(() -> verifier(created.get("secret").asText()).verify(headers(got), got.body()))
                .isInstanceOf(WebhookVerificationException.class);
    }

    @Test
    void rotationIsRefusedToOtherMerchantsReadersAndBadGraces() {
        String id = ep.get("ordersUs");
        Response other = as(writerB, "POST", "/v1/endpoints/" + id + "/rotate-secret", "");
        Response missing = as(writerB, "POST", "/v1/endpoints/ep_0000000000000000000000/rotate-secret", "");
        assertProblem(other, 404);
        assertThat(other.body().replace(id, "ID")).isEqualTo(missing.body().replace("ep_0000000000000000000000", "ID"));
        assertProblem(as(readerA, "POST", "/v1/endpoints/" + id + "/rotate-secret", ""), 403);
        assertProblem(as(publisher, "POST", "/v1/endpoints/" + id + "/rotate-secret", ""), 403);
        String path = "/v1/endpoints/" + id + "/rotate-secret";
        assertProblem(server.post(path, "{\"grace_seconds\": -1}"), 422, "grace_seconds");
        assertProblem(server.post(path, "{\"grace_seconds\": 604801}"), 422, "grace_seconds");
        assertProblem(server.post(path, "{\"grace_seconds\": \"1h\"}"), 422, "grace_seconds");
        assertProblem(server.post(path, "{\"grace_seconds\": 1.5}"), 422, "grace_seconds");
        assertProblem(server.post(path, "{\"grace_seconds\": 99999999999}"), 422, "grace_seconds");
        assertProblem(server.post(path, "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}"), 400, "secret");
        assertProblem(server.post(path, "{\"grace_seconds\": "), 400);
        assertProblem(server.post(path, "[]"), 400);
        List<String> audited = server.get("/v1/audit?target=" + id + "&action=endpoint.rotate_secret").json().get("data").findValues("action")
                .stream().map(JsonNode::asText).toList();
        assertThat(audited).as("nothing was rotated").isEmpty();
        assertThat(server.post(path, "{\"grace_seconds\": 604800}").status()).isEqualTo(200);
    }

    /**
     * The endpoint behind a notify_url is internal to its merchant's notifications: no endpoint route reaches it (404 for
     * every method and sub-route, to the merchant's key and the operator's), no list shows it, and it never receives an
     * event by subscription, even one its row claims (as an older version let a merchant's key set).
     */
    @Test
    void theHiddenEndpointOfANotifyUrlIsReachableByNoEndpointRouteAndFannedOutToNever() {
        Response sent = server.postJson("/v1/notifications", Map.of("merchant_id", C, "notify_url", "http://127.0.0.1:9/notify", "mode", "async",
                "event", "payment.succeeded"));
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        String target = server.jdbc().read(c -> Jdbc.query(c, "select id from endpoints where kind = 'notification' and merchant_id = ?",
                ps -> ps.setString(1, C), rs -> rs.getString(1))).getFirst();
        String base = "/v1/endpoints/" + target;
        String[][] routes = {{"GET", base, null}, {"PATCH", base, "{\"events\": [\"*\"], \"url\": \"http://127.0.0.1:9/stolen\"}"},
                {"DELETE", base, null}, {"POST", base + "/enable", null}, {"POST", base + "/disable", null}, {"POST", base + "/test", null},
                {"POST", base + "/recover?since=2025-01-14T10:30:00Z", null}, {"POST", base + "/rotate-secret", null},
                {"GET", base + "/signing-keys", null}, {"GET", base + "/signing-keys?format=jwks", null}, {"POST", base + "/signing-keys/rotate", null}};
        for (String key : List.of(writerC, TestServer.ADMIN_KEY)) {
            for (String[] r : routes) {
                var b = HttpRequest.newBuilder(server.uri(r[1])).header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .method(r[0], r[2] == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(r[2]));
                assertProblem(server.send(b.build()), 404);
            }
        }
        assertThat(ids(TestServer.ADMIN_KEY, "/v1/endpoints?q=notify")).as("not listed as an endpoint").doesNotContain(target);
        assertThat(ids(readerC, "/v1/endpoints")).doesNotContain(target);
        List<String> urls = server.jdbc().read(c -> Jdbc.query(c, "select url from endpoints where id = ? and deleted_at is null",
                ps -> ps.setString(1, target), rs -> rs.getString(1)));
        assertThat(urls).as("unchanged, not deleted").containsExactly("http://127.0.0.1:9/notify");

        server.jdbc().inTransaction(c -> Jdbc.update(c, "update endpoints set events = '{*}', updated_at = now() where id = ?",
                ps -> ps.setString(1, target)));
        for (Map<String, String> event : List.of(Map.of("event", "flt.broadcast"), Map.of("event", "flt.broadcast", "merchant_id", C))) {
            String id = server.postJson("/v1/events", event).json().get("id").asText();
            assertThat(server.get("/v1/deliveries?event=" + id).json().get("data").findValues("endpoint_id").stream().map(JsonNode::asText))
                    .as("deliveries of %s", event).doesNotContain(target);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String endpoint(String merchant, String name, String path, boolean active) {
        return server.createEndpoint(Map.of("name", name, "url", "http://127.0.0.1:9" + path, "events", List.of("flt.never"), "merchant_id", merchant,
                "is_active", active)).get("id").asText();
    }

    private static String key(String name, String merchant, String... scopes) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        if (merchant != null) {
            body.put("merchant_id", merchant);
        }
        body.put("scopes", List.of(scopes));
        Response r = server.postJson("/v1/api-keys", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("key").asText();
    }

    /** A call with {@code key}; a body of null sends none. */
    private static Response as(String key, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return server.send(b.build());
    }

    /** The ids of a list's first page (at most 500), as {@code key} sees it. */
    private static List<String> ids(String key, String path) {
        Response r = as(key, "GET", path + (path.contains("limit=") ? "" : (path.contains("?") ? "&" : "?") + "limit=500"), null);
        assertThat(r.status()).as("%s: %s", path, r.body()).isEqualTo(200);
        return r.json().get("data").findValues("id").stream().map(JsonNode::asText).toList();
    }

    private static List<String> sorted(String... ids) {
        return java.util.Arrays.stream(ids).sorted().toList();
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Posts an event for endpoint {@code id}'s type and waits for the one request it makes at {@code path}. */
    private static Received deliver(String id, String path) {
        String type = server.get("/v1/endpoints/" + id).json().get("events").get(0).asText();
        int before = receiver.received(path).size();
        assertThat(server.postJson("/v1/events", Map.of("event", type, "merchant_id", C)).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received(path).size() > before);
        return receiver.received(path).get(before);
    }

    private static WebhookVerifier verifier(String secret) {
        return WebhookVerifier.create(secret, WebhookVerifier.DEFAULT_TOLERANCE, clock);
    }

    private static Map<String, List<String>> headers(Received r) {
        Map<String, List<String>> h = new LinkedHashMap<>();
        r.headers().forEach((k, v) -> h.put(k, List.of(v)));
        return h;
    }

    private static byte[] hmac(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return mac.doFinal(body);
    }
}
