package dev.herald.delivery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.RetryPolicy;
import dev.herald.event.EventInput;
import dev.herald.http.OutboundRequest;
import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.sdk.SigningKey;
import dev.herald.sdk.WebhookDecrypter;
import dev.herald.sdk.WebhookSigner;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WebhookRequestsTest {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    static final Instant NOW = Instant.parse("2026-03-04T05:06:07Z");
    static final String SECRET = WebhookSigner.generateSecret();
    static final String OLD_SECRET = WebhookSigner.generateSecret();
    static final SigningKey ED = SigningKey.generateEd25519();
    static final SigningKey ED_OLD = SigningKey.generateEd25519();
    static final SigningKey RSA = SigningKey.generateRsa(2048);
    static final SigningKey RSA_OLD = SigningKey.generateRsa(2048);
    static final SignatureSchemes ALL = SignatureSchemes.parse(List.of("sha256", "v1", "v1a", "rsa-sha256"));

    private final WebhookRequests requests = new WebhookRequests("Herald-Test/1");
    private final Endpoint endpoint = new Endpoint("ep_1", "m_1", "n", "", URI.create("https://merchant.example/hook"), List.of("*"),
            Map.of("Authorization", "Bearer t"), SECRET, true, null, RetryPolicy.defaults(), 10, 0, NOW, NOW, false);
    private final DeliveryTask task = task();

    private static DeliveryTask task() {
        try {
            ObjectNode data = (ObjectNode) JSON.readTree("{\"amount\":1234.5600000000000000001,\"currency\":\"CNY\",\"payer\":\"\u5f20\u4e09\",\"lines\":[{\"q\":1}]}");
            byte[] body = EventWriter.body("evt_0VxRequests", new EventInput("evt_0VxRequests", "payment.settled", NOW, "acc-1", data, null, 0, null, null), NOW);
            return new DeliveryTask("dlv_1", "evt_0VxRequests", "ep_1", "payment.settled", body, "0af7651916cd43dd8448eb211c80319c", 0, 0, 0, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<String>> headers(OutboundRequest r) {
        return r.headers().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> List.of(e.getValue())));
    }

    private static WebhookVerifier.Builder verifierAt(Instant at) {
        return WebhookVerifier.builder().clock(Clock.fixed(at, ZoneOffset.UTC));
    }

    @Test
    void defaultSchemesSendTheSameHeadersAsBeforeWithBothSecretsDuringRotation() {
        EndpointRepository.Stored stored = new EndpointRepository.Stored(endpoint, OLD_SECRET, NOW.plusSeconds(60));
        OutboundRequest r = requests.build(task, stored, NOW);
        long ts = NOW.getEpochSecond();
        assertThat(r.body()).isSameAs(task.payload());
        assertThat(r.headers()).containsEntry("X-Webhook-Signature", WebhookSigner.classicSignature(SECRET, task.payload()))
                .containsEntry("webhook-id", "evt_0VxRequests")
                .containsEntry("webhook-timestamp", Long.toString(ts))
                .containsEntry("webhook-signature", WebhookSigner.standardSignatures(List.of(SECRET, OLD_SECRET), "evt_0VxRequests", ts, task.payload()))
                .containsEntry("Authorization", "Bearer t").containsEntry("X-Webhook-Delivery", "dlv_1")
                .doesNotContainKey("webhook-signature-rsa");
        assertThat(r.headers().keySet()).containsExactlyInAnyOrder("Authorization", "Content-Type", "User-Agent", "traceparent",
                "X-Webhook-ID", "X-Webhook-Event", "X-Webhook-Delivery", "X-Webhook-Signature", "webhook-id", "webhook-timestamp",
                "webhook-signature");
        OutboundRequest after = requests.build(task, stored, NOW.plusSeconds(60));
        assertThat(after.headers().get("webhook-signature")).doesNotContain(" ");
    }

    @Test
    void everySchemeSignsTheSameRequestAndEachMerchantCredentialVerifiesIt() {
        EndpointRepository.Stored stored = new EndpointRepository.Stored(endpoint, null, null);
        OutboundRequest r = requests.build(task, endpoint, SigningMaterial.of(stored, NOW, ALL, List.of(ED, RSA), null), NOW);
        assertThat(r.headers().get("webhook-signature").split(" ")).hasSize(2);
        assertThat(r.headers().get("webhook-signature-rsa")).startsWith(RSA.kid() + ",");
        for (WebhookVerifier v : List.of(verifierAt(NOW).secret(SECRET).build(), verifierAt(NOW).publicKey(ED.verificationKey()).build(),
                verifierAt(NOW).publicKey(RSA.verificationKey()).build())) {
            assertThatCode(() -> v.verify(headers(r), r.body())).as(v.toString()).doesNotThrowAnyException();
        }
        assertThatCode(() -> WebhookVerifier.create(SECRET).verifyClassic(r.headers().get("X-Webhook-Signature"), r.body()))
                .doesNotThrowAnyException();
    }

    @Test
    void duringKeyRotationThePreviousKeysSignToo() {
        EndpointRepository.Stored stored = new EndpointRepository.Stored(endpoint, null, null);
        SigningMaterial m = SigningMaterial.of(stored, NOW, SignatureSchemes.parse(List.of("v1a", "rsa-sha256")), List.of(ED, RSA, ED_OLD, RSA_OLD), null);
        OutboundRequest r = requests.build(task, endpoint, m, NOW);
        assertThat(r.headers()).doesNotContainKey("X-Webhook-Signature");
        for (SigningKey old : List.of(ED_OLD, RSA_OLD)) {
            assertThatCode(() -> verifierAt(NOW).publicKey(old.verificationKey()).build().verify(headers(r), r.body())).doesNotThrowAnyException();
        }
    }

    @Test
    void aSealedEndpointGetsTheResourceSignedAsSentAndTheMerchantRecoversTheStoredBody() {
        PayloadKey key = PayloadKey.generate();
        EndpointRepository.Stored stored = new EndpointRepository.Stored(endpoint, null, null);
        SigningMaterial m = SigningMaterial.of(stored, NOW, ALL, List.of(ED, RSA), key);
        OutboundRequest r = requests.build(task, endpoint, m, NOW);
        String sent = new String(r.body(), UTF_8);
        assertThat(sent).contains("\"resource\":{\"original_type\":\"payment.settled\",\"algorithm\":\"AEAD_AES_256_GCM\"")
                .contains("\"associated_data\":\"evt_0VxRequests\"").doesNotContain("\"data\"").doesNotContain("CNY");
        for (WebhookVerifier v : List.of(verifierAt(NOW).secret(SECRET).build(), verifierAt(NOW).publicKey(ED.verificationKey()).build(),
                verifierAt(NOW).publicKey(RSA.verificationKey()).build())) {
            assertThatCode(() -> v.verify(headers(r), r.body())).doesNotThrowAnyException();
            assertThatThrownBy(() -> v.verify(headers(r), task.payload())).isInstanceOf(WebhookVerificationException.class);
        }
        WebhookDecrypter merchant = WebhookDecrypter.create(key.encoded());
        assertThat(merchant.unsealBody(r.body())).isEqualTo(task.payload());
        assertThat(new String(merchant.decryptData(r.body()), UTF_8))
                .isEqualTo("{\"amount\":1234.5600000000000000001,\"currency\":\"CNY\",\"payer\":\"\u5f20\u4e09\",\"lines\":[{\"q\":1}]}");
    }

    @Test
    void retriesOfASealedDeliverySendTheSameBodyUnderFreshTimestamps() {
        PayloadKey key = PayloadKey.generate();
        EndpointRepository.Stored stored = new EndpointRepository.Stored(endpoint, null, null);
        OutboundRequest first = requests.build(task, endpoint, SigningMaterial.of(stored, NOW, SignatureSchemes.DEFAULT, List.of(), key), NOW);
        Instant later = NOW.plus(Duration.ofHours(2));
        OutboundRequest retry = requests.build(task, endpoint, SigningMaterial.of(stored, later, SignatureSchemes.DEFAULT, List.of(), key), later);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().get("webhook-signature")).isNotEqualTo(first.headers().get("webhook-signature"));
        assertThat(retry.headers().get("X-Webhook-Signature")).isEqualTo(first.headers().get("X-Webhook-Signature"));
    }

    @Test
    void aSchemeWithoutItsKeyFailsTheBuildRatherThanSendingUnsigned() {
        EndpointRepository.Stored stored = new EndpointRepository.Stored(endpoint, null, null);
        assertThatThrownBy(() -> requests.build(task, endpoint, SigningMaterial.of(stored, NOW, ALL, List.of(ED), null), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RSA");
    }

    @Test
    void signingMaterialNeverPrintsSecretsOrKeys() {
        PayloadKey key = PayloadKey.generate();
        String shown = SigningMaterial.of(new EndpointRepository.Stored(endpoint, OLD_SECRET, NOW.plusSeconds(1)), NOW, ALL, List.of(ED, RSA), key).toString();
        assertThat(shown).doesNotContain(SECRET.substring(6, 16)).doesNotContain(OLD_SECRET.substring(6, 16))
                .doesNotContain(key.encoded().substring(0, 8)).doesNotContain(ED.encoded().substring(5, 20))
                .contains("rsa-sha256").contains(ED.kid()).contains("secrets=2").contains("sealed=true");
    }

    @Test
    void theRsaSignatureHeaderIsReservedAgainstCustomHeaders() {
        assertThat(Endpoint.isReservedHeader("Webhook-Signature-RSA")).isTrue();
    }
}
