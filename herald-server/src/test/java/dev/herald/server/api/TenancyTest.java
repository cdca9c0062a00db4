package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tenant matrix: every route × {admin, merchant A, merchant B, publisher, revoked key, no key}. A merchant's key
 * reaches its own merchant's resources only — another merchant's answers 404 exactly as a missing one, with the same
 * body — a key without the route's scope gets 403, and a revoked or missing key 401.
 */
class TenancyTest {
    enum Role { ADMIN, MERCHANT_A, MERCHANT_B, PUBLISHER, REVOKED, NONE }

    private static TestServer server;
    private static final Map<Role, String> KEYS = new LinkedHashMap<>();
    private static String endpointA;
    private static String endpointB;
    private static String eventA;
    private static String deliveryA;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        for (String m : List.of("mA", "mB")) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}").status()).isEqualTo(201);
        }
        KEYS.put(Role.ADMIN, TestServer.ADMIN_KEY);
        KEYS.put(Role.MERCHANT_A, key("a", "mA", "merchant:write", "merchant:read"));
        KEYS.put(Role.MERCHANT_B, key("b", "mB", "merchant:write"));
        KEYS.put(Role.PUBLISHER, key("pub", null, "events:publish"));
        JsonNode revoked = made("gone", null, "admin");
        assertThat(server.delete("/v1/api-keys/" + revoked.get("id").asText()).status()).isEqualTo(204);
        assertThat(server.delete("/v1/api-keys/" + revoked.get("id").asText()).status()).as("revoked once").isEqualTo(404);
        KEYS.put(Role.REVOKED, revoked.get("key").asText());
        KEYS.put(Role.NONE, null);
        endpointA = endpoint("mA");
        endpointB = endpoint("mB");
        Response posted = server.postJson("/v1/events", Map.of("event", "tenant.paid", "merchant_id", "mA", "data", Map.of("n", 1)));
        assertThat(posted.status()).as(posted.body()).isEqualTo(202);
        eventA = posted.json().get("id").asText();
        deliveryA = server.get("/v1/deliveries?event=" + eventA).json().get("data").get(0).get("id").asText();
        server.postJson("/v1/events", Map.of("event", "tenant.paid", "merchant_id", "mB", "data", Map.of("n", 2)));
        // wait until the revocation is seen (within a second) so REVOKED is refused from the first case on
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> call(Role.REVOKED, "GET", "/v1/event-types", null).status() == 401);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String key(String name, String merchant, String... scopes) {
        return made(name, merchant, scopes).get("key").asText();
    }

    /** A key made through the API: its record and, this once, the key. */
    private static JsonNode made(String name, String merchant, String... scopes) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        if (merchant != null) {
            body.put("merchant_id", merchant);
        }
        body.put("scopes", List.of(scopes));
        Response r = server.postJson("/v1/api-keys", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("key").asText()).startsWith("hk_");
        return r.json();
    }

    private static String endpoint(String merchant) {
        return server.createEndpoint(Map.of("url", "http://127.0.0.1:9/" + merchant, "events", List.of("tenant.*"), "merchant_id", merchant,
                "is_active", false)).get("id").asText();
    }

    /** One route and what each role gets. */
    record Route(String method, String path, String body, Map<Role, Integer> expected) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static Map<Role, Integer> statuses(int admin, int a, int b, int publisher) {
        return Map.of(Role.ADMIN, admin, Role.MERCHANT_A, a, Role.MERCHANT_B, b, Role.PUBLISHER, publisher, Role.REVOKED, 401, Role.NONE, 401);
    }

    /** The shipped webhook.test type as a PUT body: no change, so the admin's PUT answers 200 however often it runs. */
    private static final String SHIPPED_TEST_TYPE = dev.herald.catalog.EventCatalog.shipped(java.time.Instant.EPOCH).stream()
            .filter(t -> t.type().equals("webhook.test")).map(t -> TestServer.toJson(Map.of("description", t.description(), "version", t.version(),
                    "schema", t.schema(), "example", t.example()))).findFirst().orElseThrow();

    static Stream<Named<Route>> routes() {
        String ep = "{epA}";
        String evt = "{evtA}";
        String dlv = "{dlvA}";
        List<Route> r = new ArrayList<>();
        r.add(new Route("POST", "/v1/endpoints", "{\"url\": \"http://127.0.0.1:9/new\", \"events\": [\"tenant.*\"], \"is_active\": false}", statuses(201, 201, 201, 403)));
        r.add(new Route("POST", "/v1/endpoints", "{\"url\": \"http://127.0.0.1:9/new\", \"events\": [\"x.y\"], \"merchant_id\": \"mA\"}", statuses(201, 201, 422, 403)));
        r.add(new Route("GET", "/v1/endpoints", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/endpoints?q=tenant&status=disabled&failing=false", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/endpoints?status=bogus", null, statuses(422, 422, 422, 403)));
        r.add(new Route("GET", "/v1/endpoints/" + ep, null, statuses(200, 200, 404, 403)));
        r.add(new Route("PATCH", "/v1/endpoints/" + ep, "{\"description\": \"changed\"}", statuses(200, 200, 404, 403)));
        r.add(new Route("PATCH", "/v1/endpoints/" + ep, "{\"rate_limit\": 5}", statuses(200, 403, 404, 403)));
        r.add(new Route("PATCH", "/v1/endpoints/" + ep, "{\"tls\": {}}", statuses(200, 403, 404, 403)));
        r.add(new Route("PATCH", "/v1/endpoints/{fresh}", "{\"merchant_id\": \"mB\"}", statuses(200, 422, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/enable", null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/disable", null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/test", null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/recover?since=2020-01-01T00:00:00Z", null, statuses(202, 202, 404, 403)));
        r.add(new Route("GET", "/v1/endpoints/" + ep + "/signing-keys", null, statuses(200, 200, 404, 403)));
        r.add(new Route("GET", "/v1/endpoints/" + ep + "/signing-keys?format=jwks", null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/signing-keys/rotate", null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/rotate-secret", null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/endpoints/" + ep + "/rotate-secret", "{\"grace_seconds\": 60}", statuses(200, 200, 404, 403)));
        r.add(new Route("DELETE", "/v1/endpoints/{fresh}", null, statuses(204, 204, 404, 403)));
        r.add(new Route("POST", "/v1/events", "{\"event\": \"tenant.paid\"}", statuses(202, 403, 403, 202)));
        r.add(new Route("GET", "/v1/events", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/events/" + evt, null, statuses(200, 200, 404, 403)));
        r.add(new Route("GET", "/v1/events?type=tenant.*&since=2020-01-01T00:00:00Z", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/event-types", null, statuses(200, 200, 200, 200)));
        r.add(new Route("GET", "/v1/event-types/transfer.completed", null, statuses(200, 200, 200, 200)));
        r.add(new Route("GET", "/v1/event-types/no.such", null, statuses(404, 404, 404, 404)));
        r.add(new Route("PUT", "/v1/event-types/webhook.test", SHIPPED_TEST_TYPE, statuses(200, 403, 403, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"schema_validation\": \"warn\"}", statuses(200, 403, 404, 403)));
        r.add(new Route("GET", "/v1/deliveries", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/deliveries?endpoint_id=" + ep, null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/deliveries?since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/deliveries/" + dlv, null, statuses(200, 200, 404, 403)));
        r.add(new Route("POST", "/v1/deliveries/" + dlv + "/resend", null, statuses(202, 202, 404, 403)));
        r.add(new Route("GET", "/v1/deliveries?event=tenant.*", null, statuses(200, 200, 200, 403)));
        r.add(new Route("POST", "/v1/deliveries/resend?page=true&limit=1&event=tenant.*&endpoint_id=" + ep, null, statuses(202, 202, 202, 403)));
        r.add(new Route("POST", "/v1/deliveries/resend?page=maybe", null, statuses(422, 422, 422, 403)));
        r.add(new Route("GET", "/v1/merchants/mA", null, statuses(200, 200, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"name\": \"A again\"}", statuses(200, 200, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"max_in_flight\": 5}", statuses(200, 403, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"status\": \"active\"}", statuses(200, 403, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"tls\": {}}", statuses(200, 403, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"proxy\": {}}", statuses(200, 403, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mA", "{\"signature_schemes\": [\"v1\", \"v1a\"]}", statuses(200, 200, 404, 403)));
        r.add(new Route("PUT", "/v1/merchants/mC", "{\"name\": \"new\"}", statuses(201, 404, 404, 403)));
        r.add(new Route("GET", "/v1/merchants/mA/signing-keys", null, statuses(200, 200, 404, 403)));
        r.add(new Route("GET", "/v1/merchants/mA/signing-keys?format=jwks", null, statuses(200, 200, 404, 403)));
        r.add(new Route("GET", "/v1/merchants/mZ/signing-keys", null, statuses(404, 404, 404, 403)));
        r.add(new Route("POST", "/v1/notifications", "{\"merchant_id\": \"mA\", \"notify_url\": \"http://127.0.0.1:9/n\", \"mode\": \"async\"}",
                statuses(202, 403, 403, 202)));
        r.add(new Route("POST", "/v1/api-keys", "{\"name\": \"k\", \"scopes\": [\"events:publish\"]}", statuses(201, 403, 403, 403)));
        r.add(new Route("GET", "/v1/api-keys", null, statuses(200, 403, 403, 403)));
        r.add(new Route("DELETE", "/v1/api-keys/key_does_not_exist", null, statuses(404, 403, 403, 403)));
        r.add(new Route("GET", "/v1/audit", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/audit?target=" + ep + "&action=endpoint.create", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/audit/verify", null, statuses(200, 403, 403, 403)));
        r.add(new Route("GET", "/metrics", null, statuses(200, 403, 403, 403)));
        r.add(new Route("GET", "/v1/stats", null, statuses(200, 200, 200, 403)));
        r.add(new Route("GET", "/v1/stats?window=2d", null, statuses(422, 422, 422, 403)));
        return r.stream().map(x -> Named.of(x.toString(), x));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void everyRoleGetsWhatItsScopeAndMerchantAllow(Route route) {
        for (Role role : Role.values()) {
            String path = fill(route.path());
            Response r = call(role, route.method(), path, route.body());
            assertThat(r.status()).as("%s %s as %s: %s", route.method(), path, role, r.body()).isEqualTo(route.expected().get(role));
            if (r.status() >= 400) {
                assertThat(r.contentType()).isEqualTo("application/problem+json");
            }
        }
    }

    /** Another merchant's resource answers exactly as a missing one: same status, same body but for the id asked for. */
    @Test
    void anotherMerchantsResourceLooksExactlyLikeAMissingOne() {
        for (String[] pair : new String[][] {
                {"/v1/endpoints/" + endpointA, "/v1/endpoints/ep_0000000000000000000000"},
                {"/v1/events/" + eventA, "/v1/events/evt_0000000000000000000000"},
                {"/v1/deliveries/" + deliveryA, "/v1/deliveries/dlv_0000000000000000000000"},
                {"/v1/merchants/mA", "/v1/merchants/mZ"}}) {
            Response other = call(Role.MERCHANT_B, "GET", pair[0], null);
            Response missing = call(Role.MERCHANT_B, "GET", pair[1], null);
            String otherId = pair[0].substring(pair[0].lastIndexOf('/') + 1);
            String missingId = pair[1].substring(pair[1].lastIndexOf('/') + 1);
            assertThat(other.status()).isEqualTo(404);
            assertThat(other.body().replace(otherId, "ID")).isEqualTo(missing.body().replace(missingId, "ID"));
        }
    }

    /**
     * A merchant's page cursors are opaque and its own: they show no global position, another merchant's cursor or the
     * operator's is refused like a made-up one, and paging with them walks the merchant's own list.
     */
    @Test
    void aMerchantsCursorsAreOpaqueAndItsOwn() {
        for (int i = 0; i < 2; i++) { // at least two of each in merchant A's lists
            assertThat(server.postJson("/v1/events", Map.of("event", "tenant.paid", "merchant_id", "mA", "data", Map.of("n", i))).status()).isEqualTo(202);
        }
        for (String list : List.of("/v1/deliveries?limit=1", "/v1/events?limit=1", "/v1/audit?limit=1")) {
            JsonNode page = call(Role.MERCHANT_A, "GET", list, null).json();
            String cursor = page.get("next_cursor").asText();
            assertThat(cursor).as(list).doesNotMatch("[0-9]+(-[0-9]+)?").matches("[A-Za-z0-9_-]{40,}");
            String param = list.startsWith("/v1/events") ? "after" : "cursor";
            Response next = call(Role.MERCHANT_A, "GET", list + "&" + param + "=" + cursor, null);
            assertThat(next.status()).as(list).isEqualTo(200);
            Response stolen = call(Role.MERCHANT_B, "GET", list + "&" + param + "=" + cursor, null);
            assertThat(stolen.status()).as("%s: another merchant's cursor", list).isEqualTo(422);
            assertThat(stolen.json().get("field").asText()).isEqualTo(param);
            String operators = call(Role.ADMIN, "GET", list, null).json().get("next_cursor").asText();
            assertThat(call(Role.MERCHANT_A, "GET", list + "&" + param + "=" + operators, null).status()).as("%s: the operator's cursor", list)
                    .isEqualTo(422);
        }
        assertThat(call(Role.MERCHANT_A, "GET", "/v1/audit", null).body()).doesNotContain("\"seq\"").doesNotContain("\"hash\"");
        // a paged bulk resend takes and gives the list's cursors, sealed the same way
        JsonNode page = call(Role.MERCHANT_A, "POST", "/v1/deliveries/resend?page=true&limit=1&status=pending", null).json();
        assertThat(page.get("has_more").asBoolean()).isTrue();
        String cursor = page.get("next_cursor").asText();
        assertThat(cursor).doesNotMatch("[0-9]+").matches("[A-Za-z0-9_-]{40,}");
        assertThat(call(Role.MERCHANT_A, "GET", "/v1/deliveries?limit=1&cursor=" + cursor, null).status()).isEqualTo(200);
        Response stolen = call(Role.MERCHANT_B, "POST", "/v1/deliveries/resend?page=true&cursor=" + cursor, null);
        assertThat(stolen.status()).as("another merchant's cursor").isEqualTo(422);
        assertThat(stolen.json().get("field").asText()).isEqualTo("cursor");
    }

    /** Lists, counts and filters show a merchant's key its own resources only, whatever filter it sends. */
    @Test
    void listsAndFiltersShowAMerchantOnlyItsOwn() {
        assertThat(ids(Role.MERCHANT_A, "/v1/endpoints")).contains(endpointA).doesNotContain(endpointB);
        assertThat(ids(Role.MERCHANT_B, "/v1/endpoints")).contains(endpointB).doesNotContain(endpointA);
        assertThat(ids(Role.MERCHANT_B, "/v1/endpoints?merchant_id=mA")).isEmpty();
        assertThat(ids(Role.ADMIN, "/v1/endpoints")).contains(endpointA, endpointB);
        assertThat(ids(Role.MERCHANT_B, "/v1/deliveries")).doesNotContain(deliveryA);
        assertThat(ids(Role.MERCHANT_B, "/v1/deliveries?event=" + eventA)).isEmpty();
        assertThat(ids(Role.MERCHANT_B, "/v1/deliveries?endpoint_id=" + endpointA)).isEmpty();
        assertThat(ids(Role.MERCHANT_B, "/v1/deliveries?merchant_id=mA")).isEmpty();
        assertThat(ids(Role.MERCHANT_A, "/v1/deliveries")).contains(deliveryA);
        assertThat(call(Role.MERCHANT_A, "GET", "/v1/deliveries", null).json().get("data").findValues("merchant_id"))
                .extracting(JsonNode::asText).containsOnly("mA");
        assertThat(ids(Role.MERCHANT_B, "/v1/events")).doesNotContain(eventA);
        assertThat(ids(Role.MERCHANT_A, "/v1/events")).contains(eventA);
        assertThat(auditTargets(Role.MERCHANT_A, "/v1/audit?limit=500")).contains(endpointA).doesNotContain(endpointB);
        assertThat(auditTargets(Role.MERCHANT_B, "/v1/audit?limit=500")).contains(endpointB).doesNotContain(endpointA);
        assertThat(auditTargets(Role.MERCHANT_B, "/v1/audit?target=" + endpointA)).isEmpty();
        assertThat(auditTargets(Role.ADMIN, "/v1/audit?limit=500")).contains(endpointA, endpointB);
    }

    @Test
    void aPublisherBoundToAMerchantPublishesForItOnly() {
        String bound = key("pub-b", "mB", "events:publish");
        Response own = send(bound, "POST", "/v1/events", "{\"event\": \"tenant.paid\"}");
        assertThat(own.status()).as(own.body()).isEqualTo(202);
        assertThat(server.get("/v1/events/" + own.json().get("id").asText()).json().get("merchant_id").asText()).isEqualTo("mB");
        Response other = send(bound, "POST", "/v1/events", "{\"event\": \"tenant.paid\", \"merchant_id\": \"mA\"}");
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.json().get("field").asText()).isEqualTo("merchant_id");
        Response notifyOther = send(bound, "POST", "/v1/notifications", "{\"merchant_id\": \"mA\", \"notify_url\": \"http://127.0.0.1:9/n\"}");
        Response notifyMissing = send(bound, "POST", "/v1/notifications", "{\"merchant_id\": \"mQ\", \"notify_url\": \"http://127.0.0.1:9/n\"}");
        assertThat(notifyOther.status()).isEqualTo(422);
        assertThat(notifyOther.body().replace("mA", "M")).isEqualTo(notifyMissing.body().replace("mQ", "M"));
    }

    @Test
    void keysAreShownOnceListedWithoutThemAndRefusedWithBadScopes() {
        String made = key("listed", "mA", "merchant:read");
        String listing = server.get("/v1/api-keys").body();
        assertThat(listing).doesNotContain(made).contains("\"listed\"").contains("\"merchant:read\"").contains("\"prefix\":\"" + made.substring(0, 6) + "\"");
        for (String[] bad : new String[][] {
                {"{\"name\": \"x\", \"scopes\": [\"root\"]}", "scopes[0]"},
                {"{\"name\": \"x\", \"scopes\": []}", "scopes"},
                {"{\"name\": \"x\", \"scopes\": [\"merchant:write\"]}", "merchant_id"},
                {"{\"name\": \"x\", \"merchant_id\": \"mA\", \"scopes\": [\"admin\"]}", "merchant_id"},
                {"{\"name\": \"x\", \"merchant_id\": \"m-none\", \"scopes\": [\"merchant:read\"]}", "merchant_id"},
                {"{\"scopes\": [\"admin\"]}", "name"}}) {
            Response r = server.post("/v1/api-keys", bad[0]);
            assertThat(r.status()).as(bad[0]).isEqualTo(422);
            assertThat(r.json().get("field").asText()).isEqualTo(bad[1]);
        }
        Response read = send(made, "PATCH", "/v1/endpoints/" + endpointA, "{\"description\": \"x\"}");
        assertThat(read.status()).as("merchant:read cannot change").isEqualTo(403);
        assertThat(send(made, "GET", "/v1/endpoints/" + endpointA, null).status()).isEqualTo(200);
    }

    private static List<String> ids(Role role, String path) {
        Response r = call(role, "GET", path, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().get("data").forEach(n -> out.add(n.get("id").asText()));
        return out;
    }

    /** The target ids of the audit entries {@code role} reads at {@code path}. */
    private static List<String> auditTargets(Role role, String path) {
        Response r = call(role, "GET", path, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().get("data").forEach(n -> out.add(n.get("target").get("id").asText()));
        return out;
    }

    private static String fill(String path) {
        String p = path.replace("{epA}", endpointA).replace("{evtA}", eventA).replace("{dlvA}", deliveryA);
        if (p.contains("{fresh}")) {
            p = p.replace("{fresh}", endpoint("mA")); // deleting needs a new endpoint for each role
        }
        return p;
    }

    private static Response call(Role role, String method, String path, String body) {
        return send(KEYS.get(role), method, path, body);
    }

    private static Response send(String key, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(java.time.Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return server.send(b.build());
    }
}
