package dev.herald.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's session: an API key exchanged for an HttpOnly, SameSite=Strict cookie that {@code /v1} takes in place
 * of the key, with a CSRF token on every change, logout, and the key's revocation ending it; the page itself is served
 * with a strict Content-Security-Policy and may not be framed.
 */
class ConsoleSessionTest {
    private static TestServer server;
    private static HttpServer receiver;
    private static String merchantKey;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(true);
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, ok.length);
            x.getResponseBody().write(ok);
            x.close();
        });
        receiver.start();
        for (String m : List.of("mA", "mB")) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}").status()).isEqualTo(201);
        }
        merchantKey = server.postJson("/v1/api-keys", Map.of("name", "a", "merchant_id", "mA", "scopes", List.of("merchant:write"))).json().get("key").asText();
    }

    @AfterAll
    static void stop() {
        server.close();
        receiver.stop(0);
    }

    /** A session opened with a key: the cookie ({@code herald_session=…}), the CSRF token, and the login's answer. */
    record Session(String cookie, String csrf, Response login) {}

    private static Session login(String key) {
        Response r = raw(HttpRequest.newBuilder(server.uri("/console/session")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(Map.of("key", key)))));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String setCookie = r.header("Set-Cookie");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        return new Session(cookie, r.json().get("csrf_token").asText(), r);
    }

    private static Response raw(HttpRequest.Builder b) {
        return server.send(b.timeout(Duration.ofSeconds(30)).build());
    }

    private static Response withCookie(String method, String path, Session s, String csrf) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).header("Cookie", s.cookie());
        if (csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        b.header("Content-Type", "application/json").method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString("{\"url\": \"http://127.0.0.1:9/x\", \"events\": [\"*\"], \"is_active\": false}"));
        return raw(b);
    }

    @Test
    void loggingInSetsAStrictHttpOnlyCookieAndStoresOnlyItsHash() {
        Session s = login(TestServer.ADMIN_KEY);
        String setCookie = s.login().header("Set-Cookie");
        assertThat(setCookie).startsWith("herald_session=").contains("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=")
                .doesNotContain("Secure"); // plain HTTP here; over TLS the cookie is Secure
        String id = s.cookie().substring("herald_session=".length());
        assertThat(id).matches("[A-Za-z0-9_-]{43}");
        assertThat(s.login().body()).doesNotContain(TestServer.ADMIN_KEY).doesNotContain(id);
        assertThat(s.login().json().get("key").get("scopes").toString()).contains("admin");
        List<String> stored = server.jdbc().read(c -> dev.herald.store.Jdbc.query(c, "select encode(id_hash, 'hex') || key_id from console_sessions",
                ps -> {}, rs -> rs.getString(1)));
        assertThat(stored).isNotEmpty().noneMatch(row -> row.contains(id) || row.contains(HexFormat.of().formatHex(id.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void theCookieReadsTheApiButChangesNeedTheCsrfToken() {
        Session s = login(merchantKey);
        assertThat(withCookie("GET", "/v1/endpoints", s, null).status()).isEqualTo(200);
        Response noToken = withCookie("POST", "/v1/endpoints", s, null);
        assertThat(noToken.status()).isEqualTo(403);
        assertThat(noToken.contentType()).isEqualTo("application/problem+json");
        assertThat(noToken.json().get("field").asText()).isEqualTo("X-CSRF-Token");
        assertThat(withCookie("POST", "/v1/endpoints", s, "forged").status()).isEqualTo(403);
        assertThat(withCookie("POST", "/v1/endpoints", s, login(merchantKey).csrf()).status()).as("another session's token").isEqualTo(403);
        Response made = withCookie("POST", "/v1/endpoints", s, s.csrf());
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        assertThat(made.json().get("merchant_id").asText()).as("the session has the key's scopes and merchant").isEqualTo("mA");
        assertThat(withCookie("GET", "/v1/api-keys", s, null).status()).as("a merchant key's session is no admin").isEqualTo(403);
    }

    @Test
    void theSessionTellsThePageWhoItIsAndItsToken() {
        Session s = login(merchantKey);
        Response me = withCookie("GET", "/console/session", s, null);
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.json().get("csrf_token").asText()).isEqualTo(s.csrf());
        assertThat(me.json().get("key").get("merchant_id").asText()).isEqualTo("mA");
        assertThat(raw(HttpRequest.newBuilder(server.uri("/console/session")).GET()).status()).isEqualTo(401);
    }

    @Test
    void logoutEndsTheSessionOnlyWithItsToken() {
        Session s = login(merchantKey);
        assertThat(withCookie("DELETE", "/console/session", s, null).status()).isEqualTo(403);
        assertThat(withCookie("GET", "/v1/endpoints", s, null).status()).isEqualTo(200);
        Response out = withCookie("DELETE", "/console/session", s, s.csrf());
        assertThat(out.status()).isEqualTo(204);
        assertThat(out.header("Set-Cookie")).contains("herald_session=;", "Max-Age=0");
        Response after = withCookie("GET", "/v1/endpoints", s, null);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.json().get("detail").asText()).contains("log in again");
    }

    @Test
    void revokingTheKeyEndsItsSessions() {
        JsonNode made = server.postJson("/v1/api-keys", Map.of("name", "short-lived", "merchant_id", "mA", "scopes", List.of("merchant:read"))).json();
        Session s = login(made.get("key").asText());
        assertThat(withCookie("GET", "/v1/endpoints", s, null).status()).isEqualTo(200);
        assertThat(server.delete("/v1/api-keys/" + made.get("id").asText()).status()).isEqualTo(204);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> withCookie("GET", "/v1/endpoints", s, null).status() == 401);
        assertThat(withCookie("GET", "/console/session", s, null).status()).isEqualTo(401);
    }

    @Test
    void aWrongKeyIsRefusedNamingTheFieldAndSetsNoCookie() {
        Response r = raw(HttpRequest.newBuilder(server.uri("/console/session")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("key=hk_not-a-real-key-at-all-000000")));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("field").asText()).isEqualTo("key");
        assertThat(r.header("Set-Cookie")).isNull();
    }

    @Test
    void aFormLoginWorksButAnotherSiteCannotLogSomeoneIn() {
        HttpRequest.Builder form = HttpRequest.newBuilder(server.uri("/console/session")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("key=" + TestServer.ADMIN_KEY));
        assertThat(raw(form).status()).isEqualTo(200);
        Response crossOrigin = raw(HttpRequest.newBuilder(server.uri("/console/session")).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.ofString("key=" + TestServer.ADMIN_KEY)));
        assertThat(crossOrigin.status()).isEqualTo(403);
        assertThat(crossOrigin.header("Set-Cookie")).isNull();
    }

    @Test
    void aBearerKeyStillWinsOverACookie() {
        Session s = login(merchantKey);
        Response r = server.send(server.request("/v1/api-keys").header("Cookie", s.cookie()).GET().build());
        assertThat(r.status()).as("the admin bearer key, not the merchant's session").isEqualTo(200);
    }

    @Test
    void thePageIsServedWithAStrictPolicyAndCannotBeFramed() {
        Response page = raw(HttpRequest.newBuilder(server.uri("/console")).GET());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'", "frame-ancestors 'none'", "default-src 'none'")
                .doesNotContain("unsafe");
        assertThat(page.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(page.body()).doesNotContain("<script>").contains("src=\"/console/app.js\"");
        Response js = raw(HttpRequest.newBuilder(server.uri("/console/app.js")).GET());
        assertThat(js.status()).isEqualTo(200);
        assertThat(js.contentType()).startsWith("text/javascript");
        assertThat(raw(HttpRequest.newBuilder(server.uri("/console/..%2Flogback.xml")).GET()).status()).isEqualTo(404);
        assertThat(raw(HttpRequest.newBuilder(server.uri("/console/nothing.js")).GET()).status()).isEqualTo(404);
    }

    @Test
    void theConsoleCodeNeverWritesDataAsHtmlNorKeepsTheKey() throws Exception {
        for (String file : List.of("app.js", "api.js", "dom.js", "ui.js", "routes.js", "overview.js", "endpoints.js", "deliveries.js", "events.js",
                "event-types.js", "catalog.js", "rawjson.js", "merchants.js", "keys.js", "audit.js")) {
            try (var in = ConsoleRoutes.class.getResourceAsStream("/console/" + file)) {
                assertThat(in).as(file).isNotNull();
                String code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(code).as(file).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "localStorage",
                        "sessionStorage", "eval(", "new Function");
            }
        }
    }

    @Test
    void statsCountOnlyTheCallersMerchant() {
        String ep = server.createEndpoint(Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/a", "events", List.of("*"),
                "merchant_id", "mA")).get("id").asText();
        assertThat(server.post("/v1/endpoints/" + ep + "/test").status()).isEqualTo(200);
        Session a = login(merchantKey);
        String bKey = server.postJson("/v1/api-keys", Map.of("name", "b", "merchant_id", "mB", "scopes", List.of("merchant:read"))).json().get("key").asText();
        Session b = login(bKey);
        // each node writes its minute stats every few seconds
        await().atMost(Duration.ofSeconds(20)).until(() -> sum(withCookie("GET", "/v1/stats?window=15m", a, null).json(), "delivered") >= 1);
        JsonNode mine = withCookie("GET", "/v1/stats?window=15m", a, null).json();
        JsonNode others = withCookie("GET", "/v1/stats?window=15m", b, null).json();
        JsonNode all = server.get("/v1/stats").json();
        assertThat(mine.get("minutes")).as(mine.toString()).hasSize(15);
        assertThat(all.get("minutes")).hasSize(60);
        assertThat(sum(mine, "attempts")).isGreaterThanOrEqualTo(1);
        assertThat(mine.get("minutes").findValues("attempt_p50_ms").stream().anyMatch(v -> !v.isNull())).isTrue();
        assertThat(sum(others, "attempts")).isZero();
        assertThat(sum(all, "attempts")).isGreaterThanOrEqualTo(sum(mine, "attempts"));
        assertThat(mine.get("pending").get("count").asLong()).isGreaterThanOrEqualTo(0);
    }

    private static long sum(JsonNode stats, String field) {
        long n = 0;
        for (JsonNode m : stats.get("minutes")) {
            n += m.get(field).asLong();
        }
        return n;
    }
}
