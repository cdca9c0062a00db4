package dev.herald.server.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.sdk.VerificationKey;
import dev.herald.sdk.WebhookDecrypter;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Received;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asymmetric signatures and payload sealing through the API: a merchant's endpoint signs with Ed25519 ({@code v1a}) and
 * RSA ({@code rsa-sha256}) keys whose public halves {@code GET /v1/endpoints/{id}/signing-keys} publishes; the delivered
 * bytes verify with {@code openssl} (an implementation that is not ours) and with the SDK; the event's data arrives
 * sealed under the merchant's payload key and the SDK opens it; a rotation keeps the old keys signing.
 */
class SigningApiTest {
    private static final String ED25519_SPKI_PREFIX = "302a300506032b6570032100";

    private static TestServer server;
    private static TestReceiver receiver;

    @TempDir
    Path dir;

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

    private static String payloadKeyOf(String merchant) {
        Response r = server.put("/v1/merchants/" + merchant, "{\"rotate_payload_key\": true}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("has_payload_key").asBoolean()).isTrue();
        String key = r.json().get("payload_key").asText();
        assertThat(key).hasSize(32);
        Response again = server.get("/v1/merchants/" + merchant);
        assertThat(again.body()).as("the payload key is shown once").doesNotContain(key).contains("\"has_payload_key\":true");
        return key;
    }

    private static String endpoint(String merchant, String path, String type, List<String> schemes, String encryption) {
        Response r = server.postJson("/v1/endpoints", Map.of("url", receiver.url(path).toString(), "events", List.of(type), "merchant_id", merchant,
                "signature_schemes", schemes, "encryption", encryption));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("encryption").asText()).isEqualTo(encryption);
        return r.json().get("id").asText();
    }

    private static Received deliver(String type, String path, int expected) {
        assertThat(server.postJson("/v1/events", Map.of("event", type, "data", Map.of("amount", "1234.56", "payer", "secret-payer"))).status())
                .isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received(path).size() >= expected);
        return receiver.received(path).get(expected - 1);
    }

    private static List<VerificationKey> published(String endpointId) {
        Response r = server.get("/v1/endpoints/" + endpointId + "/signing-keys");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<VerificationKey> keys = new ArrayList<>();
        r.json().get("data").forEach(k -> keys.add(VerificationKey.parse(k.get("public_key").asText())));
        return keys;
    }

    @Test
    void aSealedDeliverySignedWithEd25519AndRsaVerifiesWithOpensslAndTheSdkAndOpensWithThePayloadKey() throws Exception {
        String payloadKey = payloadKeyOf("signed-co");
        String id = endpoint("signed-co", "/signed", "sign.sealed", List.of("v1a", "rsa-sha256"), "aead_aes_256_gcm");

        JsonNode list = server.get("/v1/endpoints/" + id + "/signing-keys").json().get("data");
        assertThat(list).hasSize(2);
        assertThat(list.findValuesAsText("scheme")).containsExactlyInAnyOrder("v1a", "rsa-sha256");
        String whpk = list.findValuesAsText("public_key").stream().filter(k -> k.startsWith("whpk_")).findFirst().orElseThrow();
        String rsaPem = list.findValuesAsText("public_key").stream().filter(k -> k.startsWith("-----BEGIN PUBLIC KEY-----")).findFirst().orElseThrow();
        JsonNode jwks = server.get("/v1/endpoints/" + id + "/signing-keys?format=jwks").json().get("keys");
        assertThat(jwks.findValuesAsText("kty")).containsExactlyInAnyOrder("OKP", "RSA");
        assertThat(list.toString()).doesNotContain("PRIVATE").doesNotContain("whsk_");

        Received got = deliver("sign.sealed", "/signed", 1);
        assertThat(got.header("X-Webhook-Signature")).as("sha256 was not chosen").isNull();
        assertThat(got.bodyText()).doesNotContain("secret-payer").doesNotContain("1234.56").contains("\"resource\"");

        byte[] content = (got.header("webhook-id") + "." + got.header("webhook-timestamp") + ".").getBytes(UTF_8);
        byte[] signed = new byte[content.length + got.body().length];
        System.arraycopy(content, 0, signed, 0, content.length);
        System.arraycopy(got.body(), 0, signed, content.length, got.body().length);
        Files.write(dir.resolve("content.bin"), signed);
        String edPem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(
                HexFormat.of().parseHex(ED25519_SPKI_PREFIX + HexFormat.of().formatHex(Base64.getDecoder().decode(whpk.substring(5)))))
                + "\n-----END PUBLIC KEY-----\n";
        Files.writeString(dir.resolve("ed.pem"), edPem);
        Files.writeString(dir.resolve("rsa.pem"), rsaPem);
        Files.write(dir.resolve("ed.sig"), signatureBytes(got.header("webhook-signature"), "v1a"));
        Files.write(dir.resolve("rsa.sig"), signatureBytes(got.header("webhook-signature-rsa"), null));
        assertThat(openssl("pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin", "-in", "content.bin", "-sigfile", "ed.sig"))
                .as("openssl verifies the Ed25519 signature").isZero();
        assertThat(openssl("dgst", "-sha256", "-verify", "rsa.pem", "-signature", "rsa.sig", "content.bin"))
                .as("openssl verifies the RSA signature").isZero();
        Files.write(dir.resolve("content.bin"), (new String(signed, UTF_8) + " ").getBytes(UTF_8));
        assertThat(openssl("dgst", "-sha256", "-verify", "rsa.pem", "-signature", "rsa.sig", "content.bin")).as("altered content").isNotZero();

        Map<String, List<String>> headers = Map.of("webhook-id", List.of(got.header("webhook-id")),
                "webhook-timestamp", List.of(got.header("webhook-timestamp")),
                "webhook-signature", List.of(got.header("webhook-signature")),
                "webhook-signature-rsa", List.of(got.header("webhook-signature-rsa")));
        assertThatCode(() -> WebhookVerifier.forPublicKeys(published(id)).verify(headers, got.body())).doesNotThrowAnyException();
        assertThatThrownBy(() -> WebhookVerifier.forPublicKeys(List.of(dev.herald.sdk.SigningKey.generateEd25519().verificationKey()))
                .verify(headers, got.body())).isInstanceOf(WebhookVerificationException.class);
        String data = new String(WebhookDecrypter.create(payloadKey).decryptData(got.body()), UTF_8);
        assertThat(TestServer.JSON.readTree(data)).isEqualTo(TestServer.JSON.readTree("{\"amount\": \"1234.56\", \"payer\": \"secret-payer\"}"));
    }

    @Test
    void aRotationPublishesTheNewKeysAndKeepsTheOldOnesSigningForTheOverlap() {
        assertThat(server.put("/v1/merchants/rotating-co", "{\"signature_schemes\": [\"v1a\", \"rsa-sha256\"]}").status()).isEqualTo(201);
        String id = endpoint("rotating-co", "/rotating", "sign.rotating", List.of("v1a", "rsa-sha256", "v1"), "none");
        List<VerificationKey> before = published(id);
        Response rotated = server.post("/v1/endpoints/" + id + "/signing-keys/rotate");
        assertThat(rotated.json().get("rotated").asInt()).isEqualTo(2);
        JsonNode after = server.get("/v1/endpoints/" + id + "/signing-keys").json().get("data");
        assertThat(after).hasSize(4);
        assertThat(after.get(0).get("retires_at").isNull()).as("current keys first").isTrue();
        assertThat(after.get(3).get("retires_at").asText()).isNotEmpty();

        JsonNode entry = server.get("/v1/audit?target=" + id + "&action=endpoint.rotate_signing_keys").json().get("data").get(0);
        assertThat(entry.get("after").toString()).contains(after.get(0).get("kid").asText());

        Received got = deliver("sign.rotating", "/rotating", 1);
        assertThat(got.header("webhook-signature").split(" ")).filteredOn(s -> s.startsWith("v1a,")).hasSize(2);
        assertThat(got.header("webhook-signature").split(" ")).filteredOn(s -> s.startsWith("v1,")).hasSize(1);
        assertThat(got.header("webhook-signature-rsa").split(" ")).hasSize(2);
        Map<String, List<String>> headers = Map.of("webhook-id", List.of(got.header("webhook-id")),
                "webhook-timestamp", List.of(got.header("webhook-timestamp")),
                "webhook-signature", List.of(got.header("webhook-signature")),
                "webhook-signature-rsa", List.of(got.header("webhook-signature-rsa")));
        for (VerificationKey old : before) {
            assertThatCode(() -> WebhookVerifier.forPublicKeys(List.of(old)).verify(headers, got.body()))
                    .as("a receiver that still trusts only the old %s key", old.algorithm()).doesNotThrowAnyException();
        }
    }

    @Test
    void aMerchantsSchemesSignItsNotifications() {
        assertThat(server.put("/v1/merchants/notify-co", "{\"signature_schemes\": [\"rsa-sha256\", \"v1\"]}").status()).isEqualTo(201);
        Response sent = server.postJson("/v1/notifications", Map.of("merchant_id", "notify-co", "notify_url", receiver.url("/notified").toString(),
                "mode", "async", "payload", Map.of("order", "o-1")));
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received("/notified").isEmpty());
        Received got = receiver.received("/notified").getFirst();
        String target = server.get("/v1/deliveries/" + sent.json().get("delivery_id").asText()).json().get("endpoint_id").asText();
        Map<String, List<String>> headers = Map.of("webhook-id", List.of(got.header("webhook-id")),
                "webhook-timestamp", List.of(got.header("webhook-timestamp")),
                "webhook-signature-rsa", List.of(got.header("webhook-signature-rsa")));
        assertThat(server.get("/v1/endpoints/" + target + "/signing-keys").status()).as("the notify_url target is no endpoint").isEqualTo(404);
        Response keys = server.get("/v1/merchants/notify-co/signing-keys");
        assertThat(keys.status()).as(keys.body()).isEqualTo(200);
        List<VerificationKey> published = new ArrayList<>();
        keys.json().get("data").forEach(k -> published.add(VerificationKey.parse(k.get("public_key").asText())));
        assertThatCode(() -> WebhookVerifier.forPublicKeys(published).verify(headers, got.body())).doesNotThrowAnyException();
        assertThat(server.get("/v1/merchants/notify-co/signing-keys?format=jwks").json().get("keys")).hasSize(published.size());
    }

    @Test
    void badSigningSettingsAreNamed() {
        Map<String, Object> base = Map.of("url", receiver.url("/bad").toString(), "events", List.of("sign.bad"));
        record Case(Map<String, Object> extra, String field) {}
        for (Case c : List.of(new Case(Map.of("signature_schemes", List.of("md5")), "signature_schemes"),
                new Case(Map.of("signature_schemes", List.of()), "signature_schemes"),
                new Case(Map.of("signature_schemes", List.of("v1", "v1")), "signature_schemes"),
                new Case(Map.of("signature_schemes", "v1"), "signature_schemes"),
                new Case(Map.of("encryption", "rot13"), "encryption"),
                new Case(Map.of("encryption", "aead_aes_256_gcm"), "encryption"))) {
            Map<String, Object> body = new java.util.HashMap<>(base);
            body.putAll(c.extra());
            Response r = server.postJson("/v1/endpoints", body);
            assertThat(r.status()).as("%s: %s", c.extra(), r.body()).isBetween(400, 422);
            assertThat(r.json().get("field").asText()).isEqualTo(c.field());
        }
        Response shortKey = server.put("/v1/merchants/bad-key-co", "{\"payload_key\": \"too-short-secret\"}");
        assertThat(shortKey.status()).isEqualTo(422);
        assertThat(shortKey.json().get("field").asText()).isEqualTo("payload_key");
        assertThat(shortKey.body()).doesNotContain("too-short-secret");
        Response both = server.put("/v1/merchants/bad-key-co", "{\"payload_key\": \"0123456789abcdef0123456789abcdef\", \"rotate_payload_key\": true}");
        assertThat(both.status()).isEqualTo(422);
        assertThat(both.body()).doesNotContain("0123456789abcdef0123456789abcdef");
        assertThat(server.get("/v1/merchants/bad-key-co").status()).as("nothing stored").isEqualTo(404);
        String id = endpoint("signed-co", "/bad-format", "sign.bad", List.of("v1"), "none");
        Response format = server.get("/v1/endpoints/" + id + "/signing-keys?format=xml");
        assertThat(format.status()).isEqualTo(422);
        assertThat(format.json().get("field").asText()).isEqualTo("format");
    }

    private static byte[] signatureBytes(String header, String version) {
        for (String entry : header.split(" ")) {
            int comma = entry.indexOf(',');
            if (version == null || entry.substring(0, comma).equals(version)) {
                return Base64.getDecoder().decode(entry.substring(comma + 1));
            }
        }
        throw new AssertionError("no " + version + " signature in " + header);
    }

    /** Runs openssl in the test directory; skipped where it is missing, except under CI=true. */
    private int openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("openssl.out").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (java.io.IOException e) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("openssl is required under CI=true", e);
            }
            Assumptions.abort("openssl is not on the PATH");
            throw e;
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
