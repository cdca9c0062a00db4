package dev.herald.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.ContractCheck;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Console logins in the operator audit log (a success, a failure naming at most the key's prefix, a logout, each with
 * the client's address) and the limit on failed logins per address and key prefix: past it, 429 with Retry-After for
 * keys of that prefix, while another caller's valid key still logs in. Each test logs in from its own loopback address
 * (127.0.0.x), since the limit counts by address.
 */
class ConsoleLoginTest {
    private static final MutableClock clock = MutableClock.startingNow();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(false, clock);
        assertThat(server.put("/v1/merchants/shop-l", "{\"name\": \"L\"}").status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Logs in with {@code key} from {@code from} (a loopback address), the answer checked against /openapi.json. */
    private static Response login(String from, String key, String cookie) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/console/session")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(Map.of("key", key))));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return send(from, b.build());
    }

    private static Response send(String from, HttpRequest request) {
        try (HttpClient http = HttpClient.newBuilder().localAddress(InetAddress.getByName(from)).build()) {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            ContractCheck.check(request.method(), request.uri(), r.statusCode(), r.headers().firstValue("content-type").orElse(null), r.body());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String cookie(Response login) {
        String c = login.header("Set-Cookie");
        return c.substring(0, c.indexOf(';'));
    }

    /** The audit entries of {@code action}, newest first. */
    private static List<JsonNode> audit(String action) {
        List<JsonNode> out = new ArrayList<>();
        server.get("/v1/audit?action=" + action + "&limit=500").json().get("data").forEach(out::add);
        return out;
    }

    @Test
    void aFailedLoginIsAuditedWithTheAddressAndTheKeysPrefixButNeverTheKey() {
        String guess = "hk_" + "Zq9".repeat(10) + "xy"; // shaped like a key Herald makes
        Response r = login("127.0.0.11", guess, null);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("field").asText()).isEqualTo("key");
        assertThat(login("127.0.0.11", "my-password-typed-in-the-wrong-field", null).status()).isEqualTo(422);

        List<JsonNode> failed = audit("console.login_failed").stream().filter(e -> e.get("client_address").asText().equals("127.0.0.11")).toList();
        assertThat(failed).hasSize(2);
        assertThat(failed.get(1).get("after").get("key_prefix").asText()).isEqualTo("hk_Zq9");
        assertThat(failed.get(0).get("after").get("key_prefix").isNull()).as("no prefix of what is not shaped like a key").isTrue();
        assertThat(failed.get(0).get("actor").get("key_id").asText()).isEqualTo("anonymous");
        assertThat(failed.get(0).get("target").get("merchant_id").isNull()).as("the operator's to read").isTrue();
        String everything = server.get("/v1/audit?limit=500").body();
        assertThat(everything).doesNotContain(guess).doesNotContain("Zq9Zq9").doesNotContain("my-password");
    }

    @Test
    void aLoginAndALogoutAreAuditedWithTheSessionsKeyAndTheMerchantSeesItsOwn() {
        JsonNode key = server.postJson("/v1/api-keys", Map.of("name", "shop-l-console", "merchant_id", "shop-l", "scopes", List.of("merchant:read")))
                .json();
        Response in = login("127.0.0.12", key.get("key").asText(), null);
        assertThat(in.status()).isEqualTo(200);
        String cookie = cookie(in);
        Response out = send("127.0.0.12", HttpRequest.newBuilder(server.uri("/console/session")).header("Cookie", cookie)
                .header("X-CSRF-Token", in.json().get("csrf_token").asText()).DELETE().build());
        assertThat(out.status()).isEqualTo(204);

        JsonNode loginEntry = audit("console.login").stream().filter(e -> e.get("actor").get("key_id").asText().equals(key.get("id").asText()))
                .findFirst().orElseThrow();
        assertThat(loginEntry.get("client_address").asText()).isEqualTo("127.0.0.12");
        assertThat(loginEntry.get("actor").get("merchant_id").asText()).isEqualTo("shop-l");
        assertThat(loginEntry.get("target").get("type").asText()).isEqualTo("api_key");
        assertThat(loginEntry.get("after").get("expires_at").asText()).isNotBlank();
        JsonNode logoutEntry = audit("console.logout").stream().filter(e -> e.get("actor").get("key_id").asText().equals(key.get("id").asText()))
                .findFirst().orElseThrow();
        assertThat(logoutEntry.get("client_address").asText()).isEqualTo("127.0.0.12");
        String session = cookie.substring(cookie.indexOf('=') + 1);
        assertThat(server.get("/v1/audit?limit=500").body()).as("neither the key nor the session id").doesNotContain(key.get("key").asText())
                .doesNotContain(session);

        // the merchant reads its own key's logins; a logout without a session records nothing
        Response mine = server.send(HttpRequest.newBuilder(server.uri("/v1/audit?action=console.login")).header("Authorization",
                "Bearer " + server.postJson("/v1/api-keys", Map.of("name", "reader", "merchant_id", "shop-l", "scopes", List.of("merchant:read")))
                        .json().get("key").asText()).GET().build());
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.json().get("data").findValuesAsText("key_id")).contains(key.get("id").asText());
        int logouts = audit("console.logout").size();
        assertThat(send("127.0.0.12", HttpRequest.newBuilder(server.uri("/console/session")).DELETE().build()).status()).isEqualTo(204);
        assertThat(audit("console.logout")).hasSize(logouts);
    }

    @Test
    void afterTenFailuresAnAddressGets429ForThatKindOfGuessButAnotherCallersValidKeyStillLogsIn() {
        for (int i = 0; i < 10; i++) {
            assertThat(login("127.0.0.13", "hk_guess" + i + "000000000000000000000000000", null).status()).as("guess %d", i + 1).isEqualTo(422);
        }
        int failed = audit("console.login_failed").size();
        Response refused = login("127.0.0.13", "hk_guess-again-000000000000000000000000", null);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.contentType()).isEqualTo("application/problem+json");
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 60L);
        assertThat(refused.header("Set-Cookie")).isNull();
        assertThat(audit("console.login_failed")).as("refused unread, so not audited one by one").hasSize(failed);

        // an operator behind the same proxy or NAT is not held back by someone else's failures
        assertThat(login("127.0.0.13", TestServer.ADMIN_KEY, null).status()).isEqualTo(200);
        assertThat(login("127.0.0.13", "hk_guess-after-000000000000000000000000", null).status()).as("and frees no guesser").isEqualTo(429);

        // guesses aimed at a live key's prefix are counted for that prefix at that address
        String prefix = TestServer.ADMIN_KEY.substring(0, 6);
        for (int i = 0; i < 10; i++) {
            assertThat(login("127.0.0.13", prefix + "-wrong-" + i + "-0000000000000000", null).status()).as("aimed guess %d", i + 1).isEqualTo(422);
        }
        Response unread = login("127.0.0.13", TestServer.ADMIN_KEY, null);
        assertThat(unread.status()).as("even the right key: it is not looked at").isEqualTo(429);
        assertThat(login("127.0.0.14", TestServer.ADMIN_KEY, null).status()).as("another address").isEqualTo(200);
        assertThat(login("127.0.0.13", TestServer.ADMIN_KEY, null).status()).as("whose success frees no one else").isEqualTo(429);

        // a minute later one try is back; a success with it gives nothing back either
        clock.advance(Duration.ofMinutes(1));
        assertThat(login("127.0.0.13", TestServer.ADMIN_KEY, null).status()).isEqualTo(200);
        assertThat(login("127.0.0.13", prefix + "-wrong-after-0000000000000000", null).status()).isEqualTo(422);
        assertThat(login("127.0.0.13", TestServer.ADMIN_KEY, null).status()).isEqualTo(429);
    }

    @Test
    void aMalformedLoginFormAnswers400NamingTheKeyWithoutAStackTrace() {
        for (String form : List.of("key=%zz", "key=%", "key=abc%2")) {
            HttpRequest post = HttpRequest.newBuilder(server.uri("/console/session")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build();
            Response r = send("127.0.0.15", post);
            assertThat(r.status()).as(form).isEqualTo(400);
            assertThat(r.contentType()).isEqualTo("application/problem+json");
            assertThat(r.json().get("field").asText()).isEqualTo("key");
            assertThat(r.body()).doesNotContain("Exception").doesNotContain("at java.");
        }
        assertThat(login("127.0.0.15", TestServer.ADMIN_KEY, null).status()).as("no failed login counted").isEqualTo(200);
    }
}
