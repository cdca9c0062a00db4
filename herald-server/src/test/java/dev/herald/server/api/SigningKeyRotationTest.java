package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.sdk.VerificationKey;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.MutableClock;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Received;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bounds on signing-key rotation, on a clock the test moves: however often an owner rotates, at most three keys of
 * an algorithm sign a request (so its headers stay small and deliveries go on), and an owner rotates at most five times
 * an hour (429 with Retry-After) while another owner is not held back.
 */
class SigningKeyRotationTest {
    private static final MutableClock clock = MutableClock.startingNow();
    private static TestServer server;
    private static TestReceiver receiver;

    @BeforeAll
    static void start() {
        server = TestServer.start(true, clock);
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

    /** A merchant signing with Ed25519 and RSA, and its endpoint for {@code type} at {@code path}. */
    private static String signingEndpoint(String merchant, String path, String type) {
        assertThat(server.put("/v1/merchants/" + merchant, "{\"signature_schemes\": [\"v1a\", \"rsa-sha256\"]}").status()).isEqualTo(201);
        Response r = server.postJson("/v1/endpoints", Map.of("url", receiver.url(path).toString(), "events", List.of(type), "merchant_id", merchant,
                "signature_schemes", List.of("v1a", "rsa-sha256")));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private static Response rotate(String endpointId) {
        return server.post("/v1/endpoints/" + endpointId + "/signing-keys/rotate");
    }

    @Test
    void twentyRotationsInARowKeepAtMostThreeKeysOfEachAlgorithmSigningAndDeliveriesStillVerify() {
        String id = signingEndpoint("often-rotating-co", "/often", "rotate.often");
        for (int i = 0; i < 20; i++) {
            clock.advance(Duration.ofMinutes(15)); // four an hour: within the rate limit, well within the 24 h overlap
            Response r = rotate(id);
            assertThat(r.status()).as("rotation %d: %s", i + 1, r.body()).isEqualTo(200);
            assertThat(r.json().get("rotated").asInt()).isEqualTo(2);
        }
        JsonNode keys = server.get("/v1/endpoints/" + id + "/signing-keys").json().get("data");
        assertThat(keys).hasSize(6);
        assertThat(keys.findValuesAsText("scheme").stream().filter("rsa-sha256"::equals)).hasSize(3);
        List<VerificationKey> published = new ArrayList<>();
        keys.forEach(k -> published.add(VerificationKey.parse(k.get("public_key").asText())));

        assertThat(server.postJson("/v1/events", Map.of("event", "rotate.often", "data", Map.of("n", 1))).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received("/often").isEmpty());
        Received got = receiver.received("/often").getFirst();
        assertThat(got.header("webhook-signature-rsa").split(" ")).hasSize(3);
        assertThat(Arrays.stream(got.header("webhook-signature").split(" ")).filter(s -> s.startsWith("v1a,"))).hasSize(3);
        Map<String, List<String>> headers = Map.of("webhook-id", List.of(got.header("webhook-id")),
                "webhook-timestamp", List.of(got.header("webhook-timestamp")),
                "webhook-signature", List.of(got.header("webhook-signature")),
                "webhook-signature-rsa", List.of(got.header("webhook-signature-rsa")));
        assertThatCode(() -> WebhookVerifier.builder().publicKeys(published).clock(clock).build().verify(headers, got.body()))
                .doesNotThrowAnyException();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(server.get("/v1/deliveries?endpoint_id=" + id).json().get("data").get(0).get("status").asText()).isEqualTo("delivered"));
    }

    @Test
    void aSixthRotationWithinAnHourIs429WithRetryAfterWhileAnotherMerchantStillRotates() {
        String busy = signingEndpoint("busy-rotating-co", "/busy", "rotate.busy");
        String calm = signingEndpoint("calm-rotating-co", "/calm", "rotate.calm");
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(rotate(busy).status()).as("rotation %d", i + 1).isEqualTo(200);
        }
        clock.advance(Duration.ofSeconds(1));
        List<String> kidsBefore = server.get("/v1/endpoints/" + busy + "/signing-keys").json().get("data").findValuesAsText("kid");
        Response refused = rotate(busy);
        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        assertThat(refused.contentType()).isEqualTo("application/problem+json");
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(3500L, 3600L);
        assertThat(server.get("/v1/endpoints/" + busy + "/signing-keys").json().get("data").findValuesAsText("kid"))
                .as("nothing rotated").isEqualTo(kidsBefore);

        assertThat(rotate(calm).status()).as("another merchant is not held back").isEqualTo(200);
        clock.advance(Duration.ofMinutes(59));
        assertThat(rotate(busy).status()).as("still within the hour").isEqualTo(429);

        clock.advance(Duration.ofMinutes(1));
        assertThat(rotate(busy).status()).as("an hour after the first of the five").isEqualTo(200);
    }
}
