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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator audit log through the HTTP API: who (key id and name), from where (peer address, trace id) and what,
 * never a secret; a merchant's key reads only its own merchant's entries; pages and filters; the chain verifies.
 */
class AuditTest {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String ENDPOINT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ROTATED_SECRET = "whsec_ZZZZ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static TestServer server;
    private static final List<String> secrets = new ArrayList<>();
    private static String keyA;
    private static String keyIdA;
    private static String keyB;
    private static String publisher;
    private static String endpointA;
    private static String endpointB;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        for (String m : List.of("audA", "audB")) {
            Response r = server.put("/v1/merchants/" + m, "{\"name\": \"" + m + "\"}");
            assertThat(r.status()).isEqualTo(201);
            secrets.add(r.json().get("secret").asText());
        }
        JsonNode a = key("merchant A writer", "audA", "merchant:write");
        keyA = a.get("key").asText();
        keyIdA = a.get("id").asText();
        keyB = key("merchant B reader", "audB", "merchant:read").get("key").asText();
        publisher = key("publisher", null, "events:publish").get("key").asText();
        Response made = send(keyA, "POST", "/v1/endpoints", TestServer.toJson(Map.of("url", "http://127.0.0.1:9/a", "events", List.of("*"),
                "secret", ENDPOINT_SECRET, "headers", Map.of("Authorization", "Bearer header-credential-a"), "is_active", false)),
                "traceparent", "00-" + TRACE + "-b7ad6b7169203331-01");
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        endpointA = made.json().get("id").asText();
        JsonNode b = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/b", "events", List.of("*"), "merchant_id", "audB", "is_active", false));
        endpointB = b.get("id").asText();
        secrets.add(b.get("secret").asText()); // generated, shown once
        assertThat(send(keyA, "PATCH", "/v1/endpoints/" + endpointA, "{\"secret\": \"" + ROTATED_SECRET + "\"}").status()).isEqualTo(200);
        Response rotated = send(keyA, "PUT", "/v1/merchants/audA", "{\"rotate_secret\": true}");
        assertThat(rotated.status()).isEqualTo(200);
        secrets.add(rotated.json().get("secret").asText());
        assertThat(server.post("/v1/endpoints/" + endpointB + "/disable").status()).isEqualTo(200);
        String doomed = key("doomed", "audB", "merchant:read").get("id").asText();
        assertThat(server.delete("/v1/api-keys/" + doomed).status()).isEqualTo(204);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode key(String name, String merchant, String... scopes) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        if (merchant != null) {
            body.put("merchant_id", merchant);
        }
        body.put("scopes", List.of(scopes));
        Response r = server.postJson("/v1/api-keys", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        secrets.add(r.json().get("key").asText());
        return r.json();
    }

    private static Response send(String key, String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(java.time.Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + key);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return server.send(b.build());
    }

    private static List<JsonNode> entries(String key, String query) {
        Response r = send(key, "GET", "/v1/audit" + query, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("data").forEach(out::add);
        return out;
    }

    @Test
    void recordsTheActorsKeyItsAddressAndTraceForEachChange() {
        List<JsonNode> created = entries(TestServer.ADMIN_KEY, "?target=" + endpointA + "&action=endpoint.create");
        assertThat(created).hasSize(1);
        JsonNode e = created.getFirst();
        assertThat(e.get("actor").get("key_id").asText()).isEqualTo(keyIdA);
        assertThat(e.get("actor").get("name").asText()).isEqualTo("merchant A writer");
        assertThat(e.get("actor").get("merchant_id").asText()).isEqualTo("audA");
        assertThat(e.get("client_address").asText()).isEqualTo("127.0.0.1");
        assertThat(e.get("trace_id").asText()).isEqualTo(TRACE);
        assertThat(e.get("target").get("type").asText()).isEqualTo("endpoint");
        assertThat(e.get("target").get("merchant_id").asText()).isEqualTo("audA");
        assertThat(e.get("before").isNull()).isTrue();
        assertThat(e.get("after").get("url").asText()).isEqualTo("http://127.0.0.1:9/a");
        assertThat(e.get("hash").asText()).hasSize(64);

        JsonNode disabled = entries(TestServer.ADMIN_KEY, "?target=" + endpointB + "&action=endpoint.disable").getFirst();
        assertThat(disabled.get("actor").get("name").asText()).as("the configured admin key").isEqualTo("configured");
        assertThat(disabled.get("trace_id").asText()).as("a trace id is made when none is sent").matches("[0-9a-f]{32}");
        assertThat(disabled.get("before").get("active").asBoolean()).isFalse(); // made inactive
        JsonNode revoked = entries(TestServer.ADMIN_KEY, "?action=api_key.revoke").getFirst();
        assertThat(revoked.get("before").get("revoked_at").isNull()).isTrue();
        assertThat(revoked.get("after").get("revoked_at").asText()).isNotBlank();
        assertThat(revoked.get("target").get("merchant_id").asText()).isEqualTo("audB");
    }

    @Test
    void noSecretOrKeyEverAppearsInTheLog() {
        String all = send(TestServer.ADMIN_KEY, "GET", "/v1/audit?limit=500", null).body();
        assertThat(all).contains("endpoint.create", "endpoint.update", "merchant.update", "api_key.create", "api_key.revoke");
        assertThat(secrets).hasSizeGreaterThan(6);
        for (String secret : secrets) {
            assertThat(all).doesNotContain(secret);
        }
        assertThat(all).doesNotContain(ENDPOINT_SECRET, ROTATED_SECRET, "header-credential-a", TestServer.ADMIN_KEY);
        JsonNode update = entries(TestServer.ADMIN_KEY, "?target=" + endpointA + "&action=endpoint.update").getFirst();
        assertThat(update.get("after").get("secret").asText()).isEqualTo("[redacted, changed]");
        assertThat(update.get("before").get("secret").asText()).isEqualTo("[redacted]");
        assertThat(update.get("after").get("headers").get("Authorization").asText()).isEqualTo("[redacted]");
    }

    @Test
    void aMerchantsKeyReadsOnlyItsOwnMerchantsEntries() {
        List<JsonNode> mine = entries(keyB, "?limit=500");
        assertThat(mine).isNotEmpty();
        assertThat(mine).allSatisfy(e -> assertThat(e.get("target").get("merchant_id").asText()).isEqualTo("audB"));
        assertThat(mine).extracting(e -> e.get("target").get("id").asText()).contains(endpointB, "audB").doesNotContain(endpointA, "audA");
        assertThat(entries(keyB, "?target=" + endpointA)).isEmpty();
        assertThat(entries(keyA, "?target=" + endpointA)).isNotEmpty();
        assertThat(entries(TestServer.ADMIN_KEY, "?limit=500").size()).isGreaterThan(mine.size());
        assertThat(send(publisher, "GET", "/v1/audit", null).status()).isEqualTo(403);
        assertThat(send(keyA, "GET", "/v1/audit/verify", null).status()).isEqualTo(403);
    }

    @Test
    void aMerchantSeesTheOperatorOnlyAsOperatorWithoutItsKeyOrAddress() {
        JsonNode asOperator = entries(TestServer.ADMIN_KEY, "?target=" + endpointB + "&action=endpoint.create").getFirst();
        String adminKeyId = asOperator.get("actor").get("key_id").asText();
        assertThat(asOperator.get("actor").get("name").asText()).isEqualTo("configured");

        JsonNode asMerchant = entries(keyB, "?target=" + endpointB + "&action=endpoint.create").getFirst();
        assertThat(asMerchant.get("actor").get("name").asText()).isEqualTo("operator");
        assertThat(asMerchant.get("actor").get("key_id").isNull()).isTrue();
        assertThat(asMerchant.get("actor").get("merchant_id").isNull()).isTrue();
        assertThat(asMerchant.get("client_address").isNull()).isTrue();
        String all = send(keyB, "GET", "/v1/audit?limit=500", null).body();
        assertThat(all).contains("\"operator\"").doesNotContain(adminKeyId).doesNotContain("\"configured\"");
        assertThat(entries(keyB, "?limit=500")).filteredOn(e -> !"audB".equals(e.get("actor").get("merchant_id").asText(null)))
                .isNotEmpty().allSatisfy(e -> assertThat(e.get("client_address").isNull()).isTrue());
        assertThat(entries(keyB, "?actor=configured")).as("no probing for the operator's key names").isEmpty();
        assertThat(entries(keyB, "?actor=" + adminKeyId)).isEmpty();

        JsonNode own = entries(keyA, "?target=" + endpointA + "&action=endpoint.create").getFirst();
        assertThat(own.get("actor").get("key_id").asText()).as("its own keys show").isEqualTo(keyIdA);
        assertThat(own.get("client_address").asText()).isEqualTo("127.0.0.1");
        assertThat(entries(keyA, "?actor=" + keyIdA)).isNotEmpty();
    }

    @Test
    void pagesNewestFirstAndFilters() {
        List<JsonNode> all = entries(TestServer.ADMIN_KEY, "?limit=500");
        List<Long> seqs = new ArrayList<>();
        String cursor = null;
        do {
            Response r = send(TestServer.ADMIN_KEY, "GET", "/v1/audit?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), null);
            r.json().get("data").forEach(e -> seqs.add(e.get("seq").asLong()));
            cursor = r.json().get("has_more").asBoolean() ? r.json().get("next_cursor").asText() : null;
        } while (cursor != null);
        assertThat(seqs).containsExactlyElementsOf(all.stream().map(e -> e.get("seq").asLong()).toList());
        assertThat(seqs).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(entries(TestServer.ADMIN_KEY, "?actor=" + keyIdA)).extracting(e -> e.get("action").asText())
                .containsExactly("merchant.update", "endpoint.update", "endpoint.create");
        assertThat(entries(TestServer.ADMIN_KEY, "?actor=merchant%20A%20writer")).hasSize(3);
        assertThat(entries(TestServer.ADMIN_KEY, "?action=api_key.create")).hasSize(4);
        assertThat(entries(TestServer.ADMIN_KEY, "?since=2999-01-01T00:00:00Z")).isEmpty();
        assertThat(entries(TestServer.ADMIN_KEY, "?since=2000-01-01T00:00:00Z")).hasSize(all.size());
    }

    @Test
    void theChainVerifies() {
        Response r = server.get("/v1/audit/verify");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("ok").asBoolean()).as(r.body()).isTrue();
        assertThat(r.json().get("entries").asLong()).isEqualTo(entries(TestServer.ADMIN_KEY, "?limit=500").size());
        assertThat(r.json().get("first_bad_entry").isNull()).isTrue();
    }

    @Test
    void theVerdictNamesTheHeadAsAnAnchorThatALaterVerificationChecksAndAMalformedOneIsRefusedNamingIt() {
        String anchor = server.get("/v1/audit/verify").json().get("anchor").asText();
        assertThat(anchor).matches("\\d+:[0-9a-f]{64}");
        Response against = server.get("/v1/audit/verify?anchor=" + anchor);
        assertThat(against.json().get("ok").asBoolean()).as(against.body()).isTrue();

        String seq = anchor.substring(0, anchor.indexOf(':'));
        Response forged = server.get("/v1/audit/verify?anchor=" + seq + ":" + "0".repeat(64));
        assertThat(forged.status()).isEqualTo(200);
        assertThat(forged.json().get("ok").asBoolean()).as(forged.body()).isFalse();
        Response beyond = server.get("/v1/audit/verify?anchor=" + (Long.parseLong(seq) + 1000) + ":" + anchor.substring(anchor.indexOf(':') + 1));
        assertThat(beyond.json().get("ok").asBoolean()).as("an anchor past the head: the log was cut").isFalse();

        Response malformed = server.get("/v1/audit/verify?anchor=nonsense");
        assertThat(malformed.status()).isEqualTo(422);
        assertThat(malformed.body()).contains("anchor");
    }
}
