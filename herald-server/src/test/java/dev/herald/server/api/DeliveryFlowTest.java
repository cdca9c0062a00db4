package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.sdk.WebhookSigner;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Received;
import dev.herald.testing.TestReceiver.Reply;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.assertj.core.api.ThrowableAssert;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end through HTTP: endpoints are created over the API, events posted over the API, and a real receiver on
 * loopback gets signed webhooks. Each test uses its own event types and receiver paths, so they share one server.
 */
class DeliveryFlowTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static TestServer server;
    private static TestReceiver receiver;

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        receiver = TestReceiver.start();
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

    @Test
    void theSecretIsShownOnlyWhenTheEndpointIsCreated() {
        JsonNode created = endpoint("/secret", List.of("secret.shown"), Map.of());
        String id = created.get("id").asText();
        assertThat(created.get("secret").asText()).startsWith("whsec_");

        assertThat(server.get("/v1/endpoints/" + id).body()).doesNotContain("whsec_", "\"secret\"");
        assertThat(server.get("/v1/endpoints").body()).doesNotContain("whsec_", "\"secret\"");
        assertThat(server.get("/v1/endpoints?limit=1").body()).doesNotContain("whsec_");
        assertThat(server.patchJson("/v1/endpoints/" + id, Map.of("name", "renamed")).body()).doesNotContain("whsec_");
        assertThat(server.patchJson("/v1/endpoints/" + id, Map.of("secret", WebhookSigner.generateSecret())).body()).doesNotContain("whsec_");
        assertThat(server.post("/v1/endpoints/" + id + "/disable").body()).doesNotContain("whsec_");
        assertThat(server.post("/v1/endpoints/" + id + "/enable").body()).doesNotContain("whsec_");
    }

    /** Custom header values often hold credentials: they are write-only, masked on every read, and a masked value sent back keeps the stored one. */
    @Test
    void customHeaderValuesAreWriteOnly() {
        String token = "Bearer s3cr3t-merchant-token";
        JsonNode created = endpoint("/masked", List.of("masked.sent"), Map.of("headers", Map.of("Authorization", token, "X-Tenant", "acme")));
        String id = created.get("id").asText();
        assertThat(created.get("headers").get("Authorization").asText()).isEqualTo("********");
        for (Response r : List.of(server.get("/v1/endpoints/" + id), server.get("/v1/endpoints"),
                server.patchJson("/v1/endpoints/" + id, Map.of("headers", Map.of("Authorization", "********", "X-Tenant", "beta"))))) {
            assertThat(r.body()).doesNotContain("s3cr3t").doesNotContain("acme").contains("\"Authorization\":\"********\"");
        }
        Response unknown = server.patchJson("/v1/endpoints/" + id, Map.of("headers", Map.of("X-New", "********")));
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.json().get("field").asText()).isEqualTo("headers.X-New");

        server.postJson("/v1/events", Map.of("event", "masked.sent"));
        Received got = awaitOne("/masked");
        assertThat(got.header("Authorization")).as("the masked value sent back kept the stored one").isEqualTo(token);
        assertThat(got.header("X-Tenant")).isEqualTo("beta");
    }

    @Test
    void deliversTheStoredBytesSignedBothWays() throws Exception {
        JsonNode ep = endpoint("/signed", List.of("account.created"), Map.of("headers", Map.of("X-Tenant", "acme")));
        String secret = ep.get("secret").asText();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event", "account.created");
        event.put("account_uuid", "acc-42");
        event.put("data", Map.of("name", "Zoë", "limits", List.of(1, 2.5, "x"), "nested", Map.of("ok", true)));
        Response posted = server.postJson("/v1/events", event, "traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01");
        assertThat(posted.status()).as(posted.body()).isEqualTo(202);
        assertThat(posted.json().get("deliveries").asInt()).isEqualTo(1);
        assertThat(posted.json().get("duplicate").asBoolean()).isFalse();
        String eventId = posted.json().get("id").asText();

        Received got = awaitOne("/signed");
        byte[] stored = server.jdbc().read(c -> Jdbc.query(c, "select payload from events where id = ?",
                ps -> ps.setString(1, eventId), rs -> rs.getBytes(1)).getFirst());
        assertThat(got.body()).as("the receiver gets exactly the stored bytes").isEqualTo(stored);
        JsonNode body = TestServer.JSON.readTree(got.body());
        assertThat(body.get("id").asText()).isEqualTo(eventId);
        assertThat(body.get("event").asText()).isEqualTo("account.created");
        assertThat(body.get("account_uuid").asText()).isEqualTo("acc-42");
        assertThat(body.get("data").get("name").asText()).isEqualTo("Zoë");
        assertThat(body.get("timestamp").asText()).isNotBlank();

        WebhookVerifier.create(secret).verify(headers(got), got.body());
        WebhookVerifier.create(secret).verifyClassic(got.header("X-Webhook-Signature"), got.body());
        assertThat(got.header("X-Webhook-Signature")).isEqualTo("sha256=" + HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), got.body())));
        assertThat(got.header("webhook-signature")).isEqualTo(standardSignature(secret, got));

        String deliveryId = onlyDelivery("event=" + eventId).get("id").asText();
        assertThat(got.header("X-Webhook-ID")).isEqualTo(ep.get("id").asText());
        assertThat(got.header("X-Webhook-Event")).isEqualTo("account.created");
        assertThat(got.header("X-Webhook-Delivery")).isEqualTo(deliveryId);
        assertThat(got.header("webhook-id")).isEqualTo(eventId);
        assertThat(got.header("User-Agent")).startsWith("Herald-Webhook/");
        assertThat(got.header("Content-Type")).startsWith("application/json");
        assertThat(got.header("X-Tenant")).isEqualTo("acme");
        assertThat(got.header("traceparent")).matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01");
        assertThat(server.get("/v1/events/" + eventId).json().get("trace_id").asText()).isEqualTo(TRACE_ID);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode d = server.get("/v1/deliveries/" + deliveryId).json();
            assertThat(d.get("status").asText()).isEqualTo("delivered");
            assertThat(d.get("attempts")).hasSize(1);
            assertThat(d.get("last_status_code").asInt()).isEqualTo(200);
        });
    }

    @Test
    void amountsAndTextArriveExactlyAsSent() throws Exception {
        String endpointId = endpoint("/exact", List.of("money.exact"), Map.of("name", "Shop \uD83D\uDED2 Zoë")).get("id").asText();
        String data = "{\"amount\": 1234567890123456789.123456789, \"tiny\": 0.10,\n"
                + " \"big\": 123456789012345678901234567890, \"note\": \"\u00e9\u6f22\ud83d\udcb0\", \"nul\": \"a\\u0000b\", \"esc\": \"\\u00e9\"}";
        String raw = "{\"event\": \"money.exact\", \"data\": " + data + "}";
        Response r = server.post("/v1/events", raw);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        Received got = awaitOne("/exact");
        assertThat(got.bodyText()).as("the producer's data, byte for byte").endsWith(",\"data\":" + data + "}");
        JsonNode wire = TestServer.JSON.readTree(got.body());
        assertThat(wire.get("data").get("note").asText()).isEqualTo("\u00e9\u6f22\ud83d\udcb0");
        assertThat(wire.get("data").get("nul").asText()).isEqualTo("a\u0000b");
        assertThat(server.get("/v1/events/" + r.json().get("id").asText()).body()).contains("\"data\":" + data + ",");
        assertThat(server.get("/v1/endpoints/" + endpointId).json().get("name").asText()).isEqualTo("Shop \uD83D\uDED2 Zoë");
    }

    /**
     * Every reader gets the producer's bytes of {@code data}: the receiver, {@code GET /v1/events/{id}} and the pull
     * ({@code GET /v1/events}), a merchant's key as the operator's. Numbers keep their spelling (12.30 is not 12.3, 1.0E2
     * not 1E+2, -0.0 not 0), out-of-range and huge numbers stay as written, escapes stay escapes and keys keep their order.
     */
    @Test
    void everyReaderGetsTheProducersBytesOfData() throws Exception {
        assertThat(server.put("/v1/merchants/m-verbatim", "{\"name\": \"verbatim\"}").status()).isEqualTo(201);
        endpoint("/verbatim", List.of("money.verbatim"), Map.of("merchant_id", "m-verbatim"));
        String data = "{\"zeta\": 12.30, \"hundred\": 1.0E2, \"minus_zero\": -0.0, \"huge\": 1e400, \"tiny\": 1E-400,"
                + " \"big\": 123456789012345678901234567890123, \"neg_big\": -98765432109876543210, \"text\": \"\\u00e9t\\u00e9 \\ud83d\\udcb0 \\n\","
                + "\n  \"nested\": {\"b\": [1.50, 2e0, {\"a\": 0.000}], \"a\": null}, \"alpha\": true}";
        String raw = "{\"event\": \"money.verbatim\", \"merchant_id\": \"m-verbatim\", \"data\": " + data + "}";
        Response posted = server.post("/v1/events", raw);
        assertThat(posted.status()).as(posted.body()).isEqualTo(202);
        String id = posted.json().get("id").asText();
        String verbatim = "\"data\":" + data + ",";

        assertThat(awaitOne("/verbatim").bodyText()).as("the receiver").endsWith("\"data\":" + data + "}");
        assertThat(server.get("/v1/events/" + id).body()).as("GET /v1/events/{id}").contains(verbatim);
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/v1/events?type=money.verbatim").json().get("data").size() == 1);
        assertThat(server.get("/v1/events?type=money.verbatim").body()).as("the pull").contains(verbatim);

        String merchantKey = server.postJson("/v1/api-keys", Map.of("name", "verbatim-reader", "merchant_id", "m-verbatim",
                "scopes", List.of("merchant:read"))).json().get("key").asText();
        for (String path : List.of("/v1/events/" + id, "/v1/events?type=money.verbatim")) {
            Response r = server.send(java.net.http.HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + merchantKey).build());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).as("%s to the merchant's key", path).contains(verbatim);
        }
    }

    /**
     * An event for a merchant id that no merchant has is accepted (it reaches that id's endpoints) with a warning naming
     * the field; a known merchant's, or one registered since, gets none; in a batch the warning names the event.
     */
    @Test
    void anUnknownMerchantIsAcceptedWithAWarningNamingTheField() {
        assertThat(server.put("/v1/merchants/m-known", "{\"name\": \"known\"}").status()).isEqualTo(201);
        // a type in the catalog, so the only warnings are about the merchant
        assertThat(server.put("/v1/event-types/warn.unknown", "{\"description\": \"d\", \"version\": 1, \"schema\": {\"type\": \"object\"},"
                + " \"example\": {}}").status()).isEqualTo(201);
        Response unknown = server.postJson("/v1/events", Map.of("event", "warn.unknown", "merchant_id", "m-unknwon"));
        assertThat(unknown.status()).as(unknown.body()).isEqualTo(202);
        JsonNode warnings = unknown.json().get("warnings");
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0).get("field").asText()).isEqualTo("merchant_id");
        assertThat(warnings.get(0).get("detail").asText()).contains("no merchant m-unknwon");
        assertThat(server.postJson("/v1/events", Map.of("event", "warn.unknown", "merchant_id", "m-known")).json().get("warnings")).isEmpty();
        assertThat(server.postJson("/v1/events", Map.of("event", "warn.unknown")).json().get("warnings")).as("to every subscriber").isEmpty();

        Response batch = server.postJson("/v1/events", List.of(Map.of("event", "warn.unknown", "merchant_id", "m-known"),
                Map.of("event", "warn.unknown", "merchant_id", "m-unknwon"), Map.of("event", "warn.unknown")));
        assertThat(batch.status()).as(batch.body()).isEqualTo(202);
        assertThat(batch.json().get("warnings")).extracting(w -> w.get("field").asText()).containsExactly("[1].merchant_id");

        assertThat(server.put("/v1/merchants/m-unknwon", "{\"name\": \"registered after all\"}").status()).isEqualTo(201);
        assertThat(server.postJson("/v1/events", Map.of("event", "warn.unknown", "merchant_id", "m-unknwon")).json().get("warnings")).isEmpty();
    }

    @Test
    void endpointsCanBeListedByMerchantPageByPage() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(endpoint("/paged-" + i, List.of("paged.never"), Map.of("merchant_id", "m-paged")).get("id").asText());
        }
        endpoint("/paged-other", List.of("paged.never"), Map.of("merchant_id", "m-other"));
        List<String> seen = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 3; page++) {
            JsonNode p = server.get("/v1/endpoints?merchant_id=m-paged&limit=1" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            assertThat(p.get("data")).hasSize(1);
            assertThat(p.get("data").get(0).get("merchant_id").asText()).isEqualTo("m-paged");
            seen.add(p.get("data").get(0).get("id").asText());
            assertThat(p.get("has_more").asBoolean()).isEqualTo(page < 2);
            cursor = p.get("next_cursor").isNull() ? null : p.get("next_cursor").asText();
            assertThat(cursor == null).isEqualTo(page == 2);
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(ids).doesNotHaveDuplicates();
    }

    @Test
    void recoverResendsWhatFailedSinceAGivenTime() {
        receiver.reply("/recover", Reply.status(500));
        String id = endpoint("/recover", List.of("recover.me"), Map.of("retry_attempts", 0)).get("id").asText();
        String since = java.time.Instant.now().minusSeconds(60).toString();
        String eventId = server.postJson("/v1/events", Map.of("event", "recover.me")).json().get("id").asText();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(onlyDelivery("event=" + eventId).get("status").asText()).isEqualTo("failed"));

        receiver.reply("/recover", Reply.status(200));
        JsonNode none = server.post("/v1/endpoints/" + id + "/recover?since=2999-01-01T00:00:00Z").json();
        assertThat(none.get("recovered").asInt()).isZero();
        Response r = server.post("/v1/endpoints/" + id + "/recover?since=" + since);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("recovered").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(onlyDelivery("event=" + eventId).get("status").asText()).isEqualTo("delivered"));
        assertThat(receiver.received("/recover")).hasSize(2);
    }

    @Test
    void aTamperedBodyOrAnotherSecretDoesNotVerify() {
        JsonNode ep = endpoint("/tamper", List.of("tamper.check"), Map.of());
        server.postJson("/v1/events", Map.of("event", "tamper.check", "data", Map.of("amount", 100)));
        Received got = awaitOne("/tamper");
        byte[] tampered = got.bodyText().replace("100", "900").getBytes(StandardCharsets.UTF_8);
        WebhookVerifier right = WebhookVerifier.create(ep.get("secret").asText());
        assertThrowsVerification(() -> right.verify(headers(got), tampered));
        assertThrowsVerification(() -> right.verifyClassic(got.header("X-Webhook-Signature"), tampered));
        WebhookVerifier wrong = WebhookVerifier.create(WebhookSigner.generateSecret());
        assertThrowsVerification(() -> wrong.verify(headers(got), got.body()));
        assertThrowsVerification(() -> wrong.verifyClassic(got.header("X-Webhook-Signature"), got.body()));
    }

    @Test
    void withoutAnIncomingTraceparentEachEventGetsItsOwnTrace() {
        endpoint("/trace", List.of("trace.fresh"), Map.of());
        String e1 = server.postJson("/v1/events", Map.of("event", "trace.fresh")).json().get("id").asText();
        String e2 = server.postJson("/v1/events", Map.of("event", "trace.fresh"), "traceparent", "not-a-traceparent").json().get("id").asText();
        String e3 = server.postJson("/v1/events", Map.of("event", "trace.fresh"), "traceparent", "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01")
                .json().get("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/trace").size() == 3);
        Set<String> traces = new HashSet<>();
        for (Received r : receiver.received("/trace")) {
            assertThat(r.header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
            traces.add(r.header("traceparent").substring(3, 35));
        }
        assertThat(traces).as("an all-zero trace id is invalid and replaced").hasSize(3).doesNotContain("0".repeat(32));
        assertThat(traces).contains(server.get("/v1/events/" + e1).json().get("trace_id").asText(),
                server.get("/v1/events/" + e2).json().get("trace_id").asText(), server.get("/v1/events/" + e3).json().get("trace_id").asText());
    }

    @Test
    void theSameIdempotencyKeyTwiceIsOneEventAndOneDelivery() {
        endpoint("/idem", List.of("idem.key"), Map.of());
        Response first = server.postJson("/v1/events", Map.of("event", "idem.key", "data", Map.of("n", 1)), "Idempotency-Key", "pay-7781");
        Response second = server.postJson("/v1/events", Map.of("event", "idem.key", "data", Map.of("n", 1)), "Idempotency-Key", "pay-7781");
        assertThat(first.status()).isEqualTo(202);
        assertThat(second.status()).isEqualTo(202);
        String id = first.json().get("id").asText();
        assertThat(first.json().get("duplicate").asBoolean()).isFalse();
        assertThat(second.json().get("id").asText()).isEqualTo(id);
        assertThat(second.json().get("duplicate").asBoolean()).isTrue();
        assertThat(second.json().get("deliveries").asInt()).isEqualTo(1);
        assertThat(server.get("/v1/deliveries?event=" + id).json().get("data")).hasSize(1);

        Response third = server.postJson("/v1/events", Map.of("event", "idem.key", "data", Map.of("n", 1), "idempotency_key", "pay-7781"));
        assertThat(third.json().get("id").asText()).as("the key in the body is the same key").isEqualTo(id);
        assertThat(third.json().get("duplicate").asBoolean()).isTrue();

        awaitOne("/idem");
        assertThat(server.get("/v1/events/" + id).json().get("idempotency_key").asText()).isEqualTo("pay-7781");
    }

    @Test
    void theSameClientSuppliedIdTwiceIsOneEvent() {
        endpoint("/client-id", List.of("client.id"), Map.of());
        Response first = server.postJson("/v1/events", Map.of("id", "order-123:paid", "event", "client.id"));
        Response second = server.postJson("/v1/events", Map.of("id", "order-123:paid", "event", "client.id"));
        assertThat(first.json().get("id").asText()).isEqualTo("order-123:paid");
        assertThat(first.json().get("duplicate").asBoolean()).isFalse();
        assertThat(second.json().get("id").asText()).isEqualTo("order-123:paid");
        assertThat(second.json().get("duplicate").asBoolean()).isTrue();
        assertThat(server.get("/v1/deliveries?event=order-123:paid").json().get("data")).hasSize(1);
        Received got = awaitOne("/client-id");
        assertThat(got.header("webhook-id")).isEqualTo("order-123:paid");

        String typeShaped = server.postJson("/v1/events", Map.of("id", "order.paid.124", "event", "client.id")).json().get("id").asText();
        assertThat(typeShaped).isEqualTo("order.paid.124");
        assertThat(server.get("/v1/deliveries?event=order.paid.124").json().get("data")).as("an id that looks like a type is still an id")
                .hasSize(1).allSatisfy(d -> assertThat(d.get("event_id").asText()).isEqualTo("order.paid.124"));
        assertThat(server.get("/v1/deliveries?event=client.id").json().get("data")).hasSize(2);
    }

    @Test
    void aBatchOfThreeIsAcceptedTogether() {
        endpoint("/batch", List.of("batch.*"), Map.of());
        String body = "[{\"event\": \"batch.one\"}, {\"event\": \"batch.two\", \"priority\": 5}, {\"event\": \"batch.three\", \"data\": {\"k\": \"v\"}}]";
        Response r = server.post("/v1/events", body, "Idempotency-Key", "batch-1");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode data = r.json().get("data");
        assertThat(data).hasSize(3);
        assertThat(r.json().get("deliveries").asInt()).isEqualTo(3);
        List<String> ids = new ArrayList<>();
        data.forEach(a -> {
            ids.add(a.get("id").asText());
            assertThat(a.get("deliveries").asInt()).isEqualTo(1);
            assertThat(a.get("duplicate").asBoolean()).isFalse();
        });
        assertThat(new HashSet<>(ids)).hasSize(3);
        assertThat(server.get("/v1/events/" + ids.get(0)).json().get("event").asText()).isEqualTo("batch.one");
        assertThat(server.get("/v1/events/" + ids.get(1)).json().get("priority").asInt()).isEqualTo(5);
        assertThat(server.get("/v1/events/" + ids.get(2)).json().get("data").get("k").asText()).isEqualTo("v");

        Response again = server.post("/v1/events", body, "Idempotency-Key", "batch-1");
        assertThat(again.json().get("data")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(again.json().get("data").get(i).get("id").asText()).isEqualTo(ids.get(i));
            assertThat(again.json().get("data").get(i).get("duplicate").asBoolean()).isTrue();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/batch").size() == 3);
        assertThat(receiver.received("/batch")).extracting(x -> x.header("X-Webhook-Event"))
                .containsExactlyInAnyOrder("batch.one", "batch.two", "batch.three");
    }

    @Test
    void eventsCanBeReadByIdAndPulledInOrderPageByPage() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(server.postJson("/v1/events", Map.of("event", "pull.page", "data", Map.of("i", i))).json().get("id").asText());
        }
        JsonNode one = server.get("/v1/events/" + ids.get(1)).json();
        assertThat(one.get("id").asText()).isEqualTo(ids.get(1));
        assertThat(one.get("event").asText()).isEqualTo("pull.page");
        assertThat(one.get("data").get("i").asInt()).isEqualTo(1);
        assertThat(one.get("received_at").asText()).isNotBlank();
        assertThat(one.get("cursor").asText()).matches("\\d+-\\d+");

        // the pull only shows events older than every open transaction: wait until all three are visible
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/v1/events?type=pull.page").json().get("data").size() == 3);
        JsonNode all = server.get("/v1/events?type=pull.page").json();
        assertThat(StreamSupport.stream(all.get("data").spliterator(), false).map(e -> e.get("id").asText()).toList()).isEqualTo(ids);
        assertThat(all.get("has_more").asBoolean()).isFalse();

        List<String> paged = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 3; page++) {
            JsonNode p = server.get("/v1/events?type=pull.page&limit=1" + (after == null ? "" : "&after=" + after)).json();
            assertThat(p.get("data")).hasSize(1);
            paged.add(p.get("data").get(0).get("id").asText());
            assertThat(p.get("has_more").asBoolean()).isEqualTo(page < 2);
            assertThat(p.get("next_cursor").asText()).isEqualTo(p.get("data").get(0).get("cursor").asText());
            after = p.get("next_cursor").asText();
        }
        assertThat(paged).isEqualTo(ids);
        JsonNode end = server.get("/v1/events?type=pull.page&limit=1&after=" + after).json();
        assertThat(end.get("data")).isEmpty();
        assertThat(end.get("has_more").asBoolean()).isFalse();
        assertThat(end.get("next_cursor").asText()).as("an empty page keeps the cursor").isEqualTo(after);
        assertThat(server.get("/v1/events?type=pull.page&after=0-0").json().get("data")).hasSize(3);
    }

    @Test
    void deliveriesCanBeFilteredAndPaged() {
        String a = endpoint("/filter-a", List.of("filter.*"), Map.of()).get("id").asText();
        receiver.reply("/filter-b", Reply.status(500));
        String b = endpoint("/filter-b", List.of("filter.*"), Map.of()).get("id").asText();
        String one = server.postJson("/v1/events", Map.of("event", "filter.one")).json().get("id").asText();
        String two = server.postJson("/v1/events", Map.of("event", "filter.two")).json().get("id").asText();
        String three = server.postJson("/v1/events", Map.of("event", "filter.two")).json().get("id").asText();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(list("endpoint_id=" + a + "&status=delivered")).hasSize(3);
            assertThat(list("endpoint_id=" + b + "&status=pending")).hasSize(3).allSatisfy(d -> assertThat(d.get("attempts").asInt()).isEqualTo(1));
        });

        assertThat(list("endpoint_id=" + a)).hasSize(3).allSatisfy(d -> assertThat(d.get("endpoint_id").asText()).isEqualTo(a));
        assertThat(list("endpoint_id=" + b + "&status=delivered")).isEmpty();
        assertThat(list("event=" + one)).hasSize(2).allSatisfy(d -> assertThat(d.get("event_id").asText()).isEqualTo(one));
        assertThat(list("event=filter.two")).hasSize(4).allSatisfy(d -> assertThat(d.get("event").asText()).isEqualTo("filter.two"));
        assertThat(list("event=filter.two&endpoint_id=" + b)).extracting(d -> d.get("event_id").asText()).containsExactly(three, two);
        assertThat(list("status=pending&event=filter.one")).hasSize(1);
        assertThat(list("since=2999-01-01T00:00:00Z&endpoint_id=" + a)).isEmpty();
        assertThat(list("since=2000-01-01T00:00:00%2B01:00&endpoint_id=" + a)).hasSize(3);

        List<String> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = server.get("/v1/deliveries?endpoint_id=" + a + "&limit=1" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("data").forEach(d -> paged.add(d.get("event_id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            assertThat(page.get("has_more").asBoolean()).isEqualTo(cursor != null);
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(paged).as("newest first, each once").containsExactly(three, two, one);
    }

    @Test
    void aDeliveryShowsItsAttempts() {
        receiver.reply("/attempts", new Reply(200, "{\"received\": true}", Map.of("X-Receiver", "r1"), false));
        endpoint("/attempts", List.of("attempt.shown"), Map.of());
        String eventId = server.postJson("/v1/events", Map.of("event", "attempt.shown")).json().get("id").asText();
        awaitOne("/attempts");
        String id = onlyDelivery("event=" + eventId).get("id").asText();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(server.get("/v1/deliveries/" + id).json().get("status").asText()).isEqualTo("delivered"));
        JsonNode d = server.get("/v1/deliveries/" + id).json();
        assertThat(d.get("event_id").asText()).isEqualTo(eventId);
        assertThat(d.get("completed_at").asText()).isNotBlank();
        assertThat(d.get("next_attempt_at").isNull()).isTrue();
        assertThat(d.get("attempts")).isNotNull();
        JsonNode attempts = d.get("attempts");
        assertThat(attempts.isArray()).as("attempts is the list of tries: %s", d).isTrue();
        assertThat(attempts).hasSize(1);
        JsonNode a = attempts.get(0);
        assertThat(a.get("attempt").asInt()).isEqualTo(1);
        assertThat(a.get("status_code").asInt()).isEqualTo(200);
        assertThat(a.get("duration_ms").isIntegralNumber()).isTrue();
        assertThat(a.get("duration_ms").asLong()).isBetween(0L, 20_000L);
        assertThat(a.get("response_excerpt").asText()).isEqualTo("{\"received\": true}");
        assertThat(a.get("response_headers").get("x-receiver").asText()).isEqualTo("r1");
        assertThat(a.get("started_at").asText()).isNotBlank();
        assertThat(a.get("error_class").isNull()).isTrue();
    }

    @Test
    void testSendsAWebhookTestEventNow() throws Exception {
        JsonNode ep = endpoint("/probe", List.of("probe.never"), Map.of());
        String id = ep.get("id").asText();
        receiver.reply("/probe", new Reply(201, "created", Map.of(), false));
        Response r = server.post("/v1/endpoints/" + id + "/test");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("success").asBoolean()).isTrue();
        assertThat(r.json().get("status_code").asInt()).isEqualTo(201);
        assertThat(r.json().get("response_excerpt").asText()).isEqualTo("created");
        String deliveryId = r.json().get("delivery_id").asText();

        Received got = awaitOne("/probe");
        assertThat(got.header("X-Webhook-Event")).isEqualTo("webhook.test");
        assertThat(got.header("X-Webhook-Delivery")).isEqualTo(deliveryId);
        JsonNode body = TestServer.JSON.readTree(got.body());
        assertThat(body.get("event").asText()).isEqualTo("webhook.test");
        assertThat(body.get("data").get("endpoint_id").asText()).isEqualTo(id);
        WebhookVerifier.create(ep.get("secret").asText()).verify(headers(got), got.body());

        receiver.reply("/probe", Reply.status(503));
        JsonNode failed = server.post("/v1/endpoints/" + id + "/test").json();
        assertThat(failed.get("success").asBoolean()).isFalse();
        assertThat(failed.get("status_code").asInt()).isEqualTo(503);
        JsonNode failedDelivery = server.get("/v1/deliveries/" + failed.get("delivery_id").asText()).json();
        assertThat(failedDelivery.get("status").asText()).as("a test is not retried").isEqualTo("failed");
        assertThat(server.get("/v1/endpoints/" + id).json().get("consecutive_failures").asInt()).as("a test does not count").isZero();
    }

    @Test
    void aFailingReceiverLeavesTheDeliveryPendingWithTheError() {
        receiver.reply("/fails", new Reply(500, "boom", Map.of(), false));
        endpoint("/fails", List.of("fail.once"), Map.of());
        String eventId = server.postJson("/v1/events", Map.of("event", "fail.once")).json().get("id").asText();
        awaitOne("/fails");
        String id = onlyDelivery("event=" + eventId).get("id").asText();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode d = server.get("/v1/deliveries/" + id).json();
            assertThat(d.get("attempts")).as("the detail lists the tries").hasSize(1);
            assertThat(d.get("status").asText()).isEqualTo("pending");
        });
        JsonNode d = onlyDelivery("event=" + eventId);
        assertThat(d.get("attempts").asInt()).isEqualTo(1);
        assertThat(d.get("last_error").asText()).contains("500");
        assertThat(d.get("last_status_code").asInt()).isEqualTo(500);
        assertThat(d.get("next_attempt_at").asText()).isNotBlank();
        assertThat(d.get("completed_at").isNull()).isTrue();
        JsonNode attempt = server.get("/v1/deliveries/" + id).json().get("attempts").get(0);
        assertThat(attempt.get("status_code").asInt()).isEqualTo(500);
        assertThat(attempt.get("error_class").asText()).isEqualTo("http_status");
        assertThat(attempt.get("response_excerpt").asText()).isEqualTo("boom");
    }

    @Test
    void resendingADeliveredDeliverySendsTheSameIdsAgain() {
        JsonNode ep = endpoint("/resend", List.of("resend.me"), Map.of());
        String eventId = server.postJson("/v1/events", Map.of("event", "resend.me")).json().get("id").asText();
        Received first = awaitOne("/resend");
        String id = onlyDelivery("event=" + eventId).get("id").asText();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(onlyDelivery("event=" + eventId).get("status").asText()).isEqualTo("delivered"));

        Response resent = server.post("/v1/deliveries/" + id + "/resend");
        assertThat(resent.status()).as(resent.body()).isEqualTo(202);
        assertThat(resent.json().get("id").asText()).isEqualTo(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/resend").size() == 2);
        Received second = receiver.received("/resend").get(1);
        assertThat(second.header("webhook-id")).isEqualTo(first.header("webhook-id")).isEqualTo(eventId);
        assertThat(second.header("X-Webhook-Delivery")).isEqualTo(first.header("X-Webhook-Delivery")).isEqualTo(id);
        assertThat(second.body()).isEqualTo(first.body());
        WebhookVerifier.create(ep.get("secret").asText()).verify(headers(second), second.body());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode d = server.get("/v1/deliveries/" + id).json();
            assertThat(d.get("status").asText()).isEqualTo("delivered");
            assertThat(d.get("attempts")).hasSize(2);
        });
    }

    @Test
    void deletingAnEndpointCancelsItsPendingDeliveries() {
        String id = endpoint("/deleted", List.of("delete.me"), Map.of("is_active", false)).get("id").asText();
        String eventId = server.postJson("/v1/events", Map.of("event", "delete.me")).json().get("id").asText();
        String deliveryId = onlyDelivery("event=" + eventId).get("id").asText();
        assertThat(server.get("/v1/deliveries/" + deliveryId).json().get("status").asText()).isEqualTo("pending");

        Response deleted = server.delete("/v1/endpoints/" + id);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(deleted.bytes()).isEmpty();
        assertThat(server.get("/v1/endpoints/" + id).status()).isEqualTo(404);
        assertThat(server.delete("/v1/endpoints/" + id).status()).isEqualTo(404);
        assertThat(server.get("/v1/endpoints?limit=500").body()).doesNotContain(id);
        JsonNode d = server.get("/v1/deliveries/" + deliveryId).json();
        assertThat(d.get("status").asText()).isEqualTo("cancelled");
        assertThat(d.get("completed_at").asText()).isNotBlank();
        assertThat(server.postJson("/v1/events", Map.of("event", "delete.me")).json().get("deliveries").asInt()).isZero();
        assertThat(receiver.received("/deleted")).isEmpty();
    }

    @Test
    void aNewSecretSignsAlongsideTheOldOneDuringRotation() throws Exception {
        String oldSecret = WebhookSigner.generateSecret();
        String newSecret = WebhookSigner.generateSecret();
        String id = endpoint("/rotate", List.of("rotate.key"), Map.of("secret", oldSecret)).get("id").asText();
        Response patched = server.patchJson("/v1/endpoints/" + id, Map.of("secret", newSecret));
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);

        server.postJson("/v1/events", Map.of("event", "rotate.key"));
        Received got = awaitOne("/rotate");
        String[] signatures = got.header("webhook-signature").split(" ");
        assertThat(signatures).hasSize(2).allSatisfy(s -> assertThat(s).startsWith("v1,"));
        WebhookVerifier.create(oldSecret).verify(headers(got), got.body());
        WebhookVerifier.create(newSecret).verify(headers(got), got.body());
        assertThat(got.header("webhook-signature")).isEqualTo(standardSignature(newSecret, got) + " " + standardSignature(oldSecret, got));
        assertThat(got.header("X-Webhook-Signature")).as("the classic scheme signs with the new secret")
                .isEqualTo("sha256=" + HexFormat.of().formatHex(hmac(newSecret.getBytes(StandardCharsets.UTF_8), got.body())));
        assertThrowsVerification(() -> WebhookVerifier.create(WebhookSigner.generateSecret()).verify(headers(got), got.body()));
    }

    @Test
    void aDisabledEndpointCollectsDeliveriesAndGetsThemWhenEnabled() {
        String id = endpoint("/toggle", List.of("toggle.me"), Map.of()).get("id").asText();
        JsonNode disabled = server.post("/v1/endpoints/" + id + "/disable").json();
        assertThat(disabled.get("is_active").asBoolean()).isFalse();
        assertThat(disabled.get("disabled_reason").asText()).isEqualTo("manual");

        Response posted = server.postJson("/v1/events", Map.of("event", "toggle.me"));
        assertThat(posted.json().get("deliveries").asInt()).isEqualTo(1);
        String eventId = posted.json().get("id").asText();
        quietly().until(() -> receiver.received("/toggle").isEmpty());
        JsonNode waiting = onlyDelivery("event=" + eventId);
        assertThat(waiting.get("status").asText()).isEqualTo("pending");
        assertThat(waiting.get("attempts").asInt()).isZero();

        JsonNode enabled = server.post("/v1/endpoints/" + id + "/enable").json();
        assertThat(enabled.get("is_active").asBoolean()).isTrue();
        assertThat(enabled.get("disabled_reason").isNull()).isTrue();
        Received got = awaitOne("/toggle");
        assertThat(got.header("webhook-id")).isEqualTo(eventId);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(onlyDelivery("event=" + eventId).get("status").asText()).isEqualTo("delivered"));
    }

    /** On a server of its own: if recording stalled, it would stall every other test's deliveries too. */
    @Test
    void aReceiverAnsweringWithANulByteDoesNotStallRecording() {
        receiver.reply("/nul", new Reply(200, "ok\u0000ok", Map.of(), false));
        try (TestServer own = TestServer.start(true)) {
            own.createEndpoint(Map.of("url", receiver.url("/nul").toString(), "events", List.of("nul.reply")));
            own.createEndpoint(Map.of("url", receiver.url("/after-nul").toString(), "events", List.of("nul.after")));
            String eventId = own.postJson("/v1/events", Map.of("event", "nul.reply")).json().get("id").asText();
            awaitOne("/nul");
            String afterId = own.postJson("/v1/events", Map.of("event", "nul.after")).json().get("id").asText();
            awaitOne("/after-nul");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(own.get("/v1/deliveries?event=" + eventId).json().get("data").get(0).get("status").asText()).isEqualTo("delivered");
                assertThat(own.get("/v1/deliveries?event=" + afterId).json().get("data").get(0).get("status").asText()).isEqualTo("delivered");
            });
        }
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode endpoint(String path, List<String> events, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", receiver.url(path).toString());
        body.put("events", events);
        body.putAll(extra);
        return server.createEndpoint(body);
    }

    private static Received awaitOne(String path) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received(path).isEmpty());
        List<Received> got = receiver.received(path);
        assertThat(got).as("requests to %s", path).hasSize(1);
        return got.getFirst();
    }

    private static List<JsonNode> list(String query) {
        Response r = server.get("/v1/deliveries?" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("data").forEach(out::add);
        return out;
    }

    private static JsonNode onlyDelivery(String query) {
        List<JsonNode> l = list(query);
        assertThat(l).as("deliveries for %s", query).hasSize(1);
        return l.getFirst();
    }

    /** Holds for a second: nothing arrives meanwhile. */
    private static ConditionFactory quietly() {
        return await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3));
    }

    private static Map<String, List<String>> headers(Received r) {
        Map<String, List<String>> h = new LinkedHashMap<>();
        r.headers().forEach((k, v) -> h.put(k, List.of(v)));
        return h;
    }

    private static void assertThrowsVerification(ThrowableAssert.ThrowingCallable call) {
        org.assertj.core.api.Assertions.assertThatThrownBy(call).isInstanceOf(WebhookVerificationException.class);
    }

    /** The Standard Webhooks v1 signature computed here, independently of the SDK. */
    private static String standardSignature(String secret, Received r) throws GeneralSecurityException {
        byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
        byte[] signed = (r.header("webhook-id") + "." + r.header("webhook-timestamp") + ".").getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[signed.length + r.body().length];
        System.arraycopy(signed, 0, message, 0, signed.length);
        System.arraycopy(r.body(), 0, message, signed.length, r.body().length);
        return "v1," + Base64.getEncoder().encodeToString(hmac(key, message));
    }

    private static byte[] hmac(byte[] key, byte[] message) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(message);
    }
}
