package dev.herald.server.api;

import static dev.herald.server.api.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.RawHttp;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every /v1 route refuses requests without a valid bearer key, identically whether or not the resource exists. */
class AuthTest {
    private static TestServer server;
    private static String endpointId;
    private static String eventId;
    private static String deliveryId;
    private static final String MERCHANT = "m-auth-test";

    /** Every /v1 route (plus one that does not exist); {ep}, {evt} and {dlv} are filled with real or made-up ids. */
    static final List<String[]> ROUTES = List.of(
            new String[] {"POST", "/v1/endpoints"},
            new String[] {"GET", "/v1/endpoints"},
            new String[] {"GET", "/v1/endpoints/{ep}"},
            new String[] {"PATCH", "/v1/endpoints/{ep}"},
            new String[] {"DELETE", "/v1/endpoints/{ep}"},
            new String[] {"POST", "/v1/endpoints/{ep}/enable"},
            new String[] {"POST", "/v1/endpoints/{ep}/disable"},
            new String[] {"POST", "/v1/endpoints/{ep}/test"},
            new String[] {"POST", "/v1/endpoints/{ep}/recover?since=2020-01-01T00:00:00Z"},
            new String[] {"POST", "/v1/events"},
            new String[] {"GET", "/v1/events"},
            new String[] {"GET", "/v1/events/{evt}"},
            new String[] {"GET", "/v1/event-types"},
            new String[] {"GET", "/v1/deliveries"},
            new String[] {"GET", "/v1/deliveries/{dlv}"},
            new String[] {"POST", "/v1/deliveries/{dlv}/resend"},
            new String[] {"PUT", "/v1/merchants/{m}"},
            new String[] {"GET", "/v1/merchants/{m}"},
            new String[] {"POST", "/v1/notifications"},
            new String[] {"GET", "/v1/audit"},
            new String[] {"GET", "/v1/audit/verify"},
            new String[] {"GET", "/v1/nope"},
            new String[] {"GET", "/v1"});

    /** Authorization header values that must not get in (null: no header). */
    static final List<String> BAD_CREDENTIALS = List.of(
            "(none)",
            "Bearer not-the-admin-key-at-all",
            "Bearer ",
            "Bearer",
            TestServer.ADMIN_KEY,
            "Basic " + Base64.getEncoder().encodeToString(("admin:" + TestServer.ADMIN_KEY).getBytes(StandardCharsets.UTF_8)),
            "Token " + TestServer.ADMIN_KEY,
            "Bearer " + TestServer.ADMIN_KEY + "x",
            "Bearer " + TestServer.ADMIN_KEY.substring(1),
            "Bearer " + TestServer.ADMIN_KEY.toUpperCase(),
            "Bearer " + "k".repeat(5000));

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        JsonNode ep = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/hook", "events", List.of("*"), "is_active", false));
        endpointId = ep.get("id").asText();
        eventId = server.postJson("/v1/events", Map.of("event", "account.created")).json().get("id").asText();
        JsonNode deliveries = server.get("/v1/deliveries?event=" + eventId).json().get("data");
        assertThat(deliveries).hasSize(1);
        deliveryId = deliveries.get(0).get("id").asText();
        Response merchant = server.put("/v1/merchants/" + MERCHANT, "{\"name\": \"Auth Co\"}");
        assertThat(merchant.status()).as(merchant.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static Stream<Arguments> routesTimesCredentials() {
        List<Arguments> out = new ArrayList<>();
        for (String[] route : ROUTES) {
            for (String credential : BAD_CREDENTIALS) {
                out.add(Arguments.of(route[0], route[1], credential.length() > 60 ? credential.substring(0, 60) + "…" : credential, credential));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} with Authorization: {2}")
    @MethodSource("routesTimesCredentials")
    void refusesEveryRouteWithoutAValidBearerKey(String method, String route, String shown, String credential) {
        Response existing = send(method, fill(route, true), credential);
        Response missing = send(method, fill(route, false), credential);

        for (Response r : List.of(existing, missing)) {
            JsonNode p = assertProblem(r, 401);
            assertThat(p.get("title").asText()).isEqualTo("Unauthorized");
            assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer");
        }
        assertThat(missing.body()).as("an unauthenticated caller learns nothing about which ids exist").isEqualTo(existing.body());
        assertThat(existing.body()).doesNotContain(endpointId, eventId, deliveryId, MERCHANT, "ep_", "evt_", "dlv_", "whsec_");
    }

    @Test
    void unauthenticatedRequestsChangeNothing() {
        for (String[] route : ROUTES) {
            send(route[0], fill(route[1], true), "(none)");
        }
        Response ep = server.get("/v1/endpoints/" + endpointId);
        assertThat(ep.status()).isEqualTo(200);
        assertThat(ep.json().get("is_active").asBoolean()).isFalse();
        assertThat(server.get("/v1/deliveries/" + deliveryId).json().get("status").asText()).isEqualTo("pending");
        assertThat(server.get("/v1/deliveries/" + deliveryId).json().get("attempts").asInt()).isZero();
        assertThat(server.get("/v1/endpoints").json().get("data")).hasSize(1);
        assertThat(server.get("/v1/merchants/" + MERCHANT).json().get("name").asText()).isEqualTo("Auth Co");
        assertThat(server.get("/v1/merchants/m-does-not-exist").status()).isEqualTo(404);
    }

    @Test
    void theRightKeyGetsIn() {
        assertThat(server.get("/v1/endpoints").status()).isEqualTo(200);
        assertThat(server.get("/v1/event-types").status()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bearer ", "BEARER ", "Bearer  "})
    void theBearerSchemeIsCaseInsensitiveAndToleratesExtraSpace(String prefix) {
        Response r = server.send(HttpRequest.newBuilder(server.uri("/v1/endpoints")).header("Authorization", prefix + TestServer.ADMIN_KEY).GET().build());
        assertThat(r.status()).isEqualTo(200);
    }

    @Test
    void badKeyIsRefusedBeforeTheBodyIsLookedAt() {
        for (String path : List.of("/v1/endpoints", "/v1/events", "/v1/endpoints/" + endpointId)) {
            String method = path.equals("/v1/endpoints/" + endpointId) ? "PATCH" : "POST";
            Response r = server.send(HttpRequest.newBuilder(server.uri(path)).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString("{not json")).build());
            assertProblem(r, 401);
        }
    }

    @Test
    void liveAndReadyAnswerWithoutAKey() {
        for (String credential : List.of("(none)", "Bearer wrong-key-wrong-key")) {
            Response live = send("GET", "/health/live", credential);
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.json().get("status").asText()).isEqualTo("live");
            Response ready = send("GET", "/health/ready", credential);
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().get("status").asText()).isEqualTo("ready");
            assertThat(ready.body()).doesNotContain("jdbc", "postgres");
        }
    }

    /** Paths a router might treat differently from the auth filter must not reach a /v1 handler without a key. */
    @ParameterizedTest
    @ValueSource(strings = {"/v1/endpoints/", "/v1//endpoints", "//v1/endpoints", "/./v1/endpoints", "/health/../v1/endpoints",
            "/health/live/../../v1/endpoints", "/v1/endpoints;x=1", "/%76%31/endpoints", "/v1%2Fendpoints", "/V1/endpoints",
            "/v1/./endpoints", "/v1/endpoints?x=/health/live", "/v1/endpoints#frag", "/v1/endpoints/%2e%2e/endpoints"})
    void pathTricksDoNotBypassTheKey(String path) {
        RawHttp.Answer a = RawHttp.exchange(server.port(), "GET " + path + " HTTP/1.1", null);
        assertThat(a.status()).as("GET %s -> %s %s", path, a.status(), a.bodyText()).isIn(400, 401, 404);
        ProblemAssertions.assertWellFormedProblem(Response.of(a));
        assertThat(a.bodyText()).doesNotContain(endpointId, "whsec_", "\"data\"");
    }

    private static String fill(String route, boolean existing) {
        return route.replace("{ep}", existing ? endpointId : "ep_doesnotexist0000000000")
                .replace("{evt}", existing ? eventId : "evt_doesnotexist000000000")
                .replace("{dlv}", existing ? deliveryId : "dlv_doesnotexist000000000")
                .replace("{m}", existing ? MERCHANT : "m-does-not-exist");
    }

    private static Response send(String method, String path, String credential) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path));
        if (!credential.equals("(none)")) {
            b.header("Authorization", credential);
        }
        boolean hasBody = method.equals("POST") || method.equals("PATCH") || method.equals("PUT");
        HttpRequest.BodyPublisher body = hasBody
                ? HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"*\"],\"event\":\"account.created\"}")
                : HttpRequest.BodyPublishers.noBody();
        if (hasBody) {
            b.header("Content-Type", "application/json");
        }
        return server.send(b.method(method, body).build());
    }
}
