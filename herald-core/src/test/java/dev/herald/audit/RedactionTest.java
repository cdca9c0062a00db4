package dev.herald.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secrets are kept out of audit entries by rules, not by a list of today's fields: stand-in records with fields Herald
 * does not have yet (mTLS client keys, proxies with credentials, signing keys) come out redacted without any change here.
 */
class RedactionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";

    /** Stand-ins for settings other engineers are adding: certificates, proxies, signing keys. */
    record Tls(String clientCertificate, String clientKey, String caBundle, List<String> pinnedKeys, String minVersion) {}

    record Proxy(URI url, String username, String proxyPassword) {}

    record SigningKey(String keyId, String algorithm, String privateKey, String publicKey, Instant createdAt) {}

    record Endpointish(String id, String name, URI url, Map<String, String> headers, String secret, String previousSecret,
                       Instant previousSecretUntil, Tls tls, Proxy proxy, List<SigningKey> signingKeys, String description, boolean rotateSecret,
                       byte[] rawKey, char[] passphraseChars, String sealedPayloadKey, String apiToken, String webhookAuth) {}

    private static Endpointish endpoint(String secret, String proxyPassword, String headerValue) {
        return new Endpointish("ep_1", "shop", URI.create("https://bob:hunter2@hooks.example.com/in?token=abc123&shop=7"),
                Map.of("Authorization", headerValue, "X-Tenant", "acme"), secret, null, null,
                new Tls("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", PEM, "ca", List.of("sha256/AAAA"), "TLSv1.3"),
                new Proxy(URI.create("http://proxyuser:" + proxyPassword + "@proxy.example.com:3128"), "proxyuser", proxyPassword),
                List.of(new SigningKey("k1", "ed25519", "whsk_c2VjcmV0c2VjcmV0", "pub-material", Instant.parse("2026-01-01T00:00:00Z"))),
                "signed with " + WHSEC + " for now", true, new byte[] {1, 2, 3}, "open sesame".toCharArray(), "sealed:v1:AAAAbbbbCCCC", "t0k3n",
                "Basic dXNlcjpwYXNz");
    }

    private static JsonNode tree(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void noSecretOfAStandInRecordReachesTheEntry() throws Exception {
        Redaction.Pair p = Redaction.of(null, endpoint(WHSEC, "pr0xyPa55", "Bearer sk_live_abcdef"));
        assertThat(p.before()).isNull();
        for (String secret : List.of(WHSEC, "MfKQ9r8GKYqr", "hunter2", "abc123", "pr0xyPa55", "sk_live_abcdef", "MIIEvQIB", "whsk_", "c2VjcmV0",
                "open sesame", "sealed:v1", "t0k3n", "dXNlcjpwYXNz")) {
            assertThat(p.after()).as("after must not hold %s", secret).doesNotContain(secret);
        }
        JsonNode a = tree(p.after());
        assertThat(a.get("secret").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("tls").get("client_key").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("tls").get("min_version").asText()).isEqualTo("TLSv1.3");
        assertThat(a.get("proxy").get("proxy_password").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("proxy").get("url").asText()).isEqualTo("http://[redacted]@proxy.example.com:3128");
        assertThat(a.get("signing_keys").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("url").asText()).isEqualTo("https://[redacted]@hooks.example.com/in?token=[redacted]&shop=7");
        assertThat(a.get("headers").get("Authorization").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("headers").get("X-Tenant").asText()).as("every header value, not only credentials").isEqualTo(Redaction.REDACTED);
        assertThat(a.get("description").asText()).isEqualTo("signed with [redacted] for now");
        assertThat(a.get("raw_key").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("passphrase_chars").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("sealed_payload_key").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("rotate_secret").asBoolean()).as("a boolean carries no secret").isTrue();
        assertThat(a.get("previous_secret").isNull()).as("nothing to hide").isTrue();
        assertThat(a.get("id").asText()).isEqualTo("ep_1");
        assertThat(a.get("name").asText()).isEqualTo("shop");
    }

    @Test
    void aRotationShowsAsChangedWithoutEitherSecret() throws Exception {
        String rotated = "whsec_ZZZZ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        Redaction.Pair p = Redaction.of(endpoint(WHSEC, "old-pass", "Bearer one"), endpoint(rotated, "new-pass", "Bearer one"));
        JsonNode b = tree(p.before());
        JsonNode a = tree(p.after());
        assertThat(b.get("secret").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("secret").asText()).isEqualTo(Redaction.CHANGED);
        assertThat(a.get("proxy").get("proxy_password").asText()).isEqualTo(Redaction.CHANGED);
        assertThat(a.get("proxy").get("url").asText()).as("only the hidden part of the URL changed").isEqualTo("http://[redacted, changed]@proxy.example.com:3128");
        assertThat(a.get("headers").get("Authorization").asText()).as("unchanged header").isEqualTo(Redaction.REDACTED);
        assertThat(a.get("tls").get("client_key").asText()).as("unchanged key").isEqualTo(Redaction.REDACTED);
        assertThat(p.before() + p.after()).doesNotContain(WHSEC, rotated, "old-pass", "new-pass");
    }

    @Test
    void aChangedHeaderValueShowsAsChanged() throws Exception {
        Redaction.Pair p = Redaction.of(Map.of("headers", Map.of("Authorization", "Bearer one")), Map.of("headers", Map.of("Authorization", "Bearer two")));
        assertThat(tree(p.after()).get("headers").get("Authorization").asText()).isEqualTo(Redaction.CHANGED);
        assertThat(p.after()).doesNotContain("one", "two");
    }

    @ParameterizedTest
    @ValueSource(strings = {"secret", "previous_secret", "clientSecret", "client-secret", "password", "proxyPassword", "api_key", "apiKey",
            "api-key", "keys", "signing_keys", "privateKey", "private_key", "token", "access_token", "refreshToken", "credentials", "auth",
            "authorization", "basic_auth", "passphrase", "client_key", "key", "sig", "SIG", "signature", "X-Amz-Signature", "x-amz-signature",
            "hmac", "HMAC", "webhook_hmac", "jwt", "id_jwt", "session", "Session", "code", "CODE", "pass", "sv", "SV"})
    void namesThatHoldSecretsAreRedacted(String name) {
        assertThat(Redaction.secretName(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"previous_secret_until", "key_id", "keyId", "secret_rotated_at", "token_count", "key_prefix", "prefix", "name",
            "url", "private_networks", "signature_schemes", "public_key", "monkey", "author", "description", "secret_name", "key_algorithm",
            "status_code", "currency_code", "session_id", "passive", "bypass", "svc", "signature_algorithm"})
    void namesAboutSecretsAndOrdinaryNamesStay(String name) {
        assertThat(Redaction.secretName(name)).isFalse();
    }

    @Test
    void secretShapedValuesAreRedactedUnderAnyName() throws Exception {
        Map<String, Object> m = Map.of("note", "key " + WHSEC + ", also whsk_abcDEF123 and sealed:v1:Zm9vYmFy",
                "pem", "x " + PEM + " y", "list", List.of("hk_0123456789abcdefghijABCDEFGHIJ01", "plain"), "link", "see https://a:b@x.example/p?password=pw&x=1");
        JsonNode a = tree(Redaction.of(null, m).after());
        assertThat(a.get("note").asText()).isEqualTo("key [redacted], also [redacted] and [redacted]");
        assertThat(a.get("pem").asText()).isEqualTo("x [redacted] y");
        assertThat(a.get("list").get(0).asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("list").get(1).asText()).isEqualTo("plain");
        assertThat(a.get("link").asText()).isEqualTo("see https://[redacted]@x.example/p?password=[redacted]&x=1");
    }

    @Test
    void commonSignedUrlAndSessionParametersAreRedactedInAnyCase() throws Exception {
        Map<String, Object> m = Map.of("url", "https://bucket.example/o?X-Amz-Signature=abc123&X-Amz-Date=20260101&sv=2024-01-01&SIG=azsig"
                + "&hmac=h1&jwt=eyJ.x.y&session=s1&code=oauth1&pass=p1&signature=s2&page=2",
                "headers", Map.of("X-Amz-Signature", "hdr"), "Signature", "top", "JWT", "eyJ.z");
        JsonNode a = tree(Redaction.of(null, m).after());
        assertThat(a.get("url").asText()).isEqualTo("https://bucket.example/o?X-Amz-Signature=[redacted]&X-Amz-Date=20260101&sv=[redacted]"
                + "&SIG=[redacted]&hmac=[redacted]&jwt=[redacted]&session=[redacted]&code=[redacted]&pass=[redacted]&signature=[redacted]&page=2");
        assertThat(a.get("Signature").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("JWT").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.toString()).doesNotContain("abc123", "azsig", "h1", "eyJ", "s1", "oauth1", "p1", "s2", "hdr", "top");
    }

    @Test
    void keyObjectsAreNeverWritten() throws Exception {
        PrivateKey key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
        record Holder(Object material, Object pair) {}
        Holder h = new Holder(key, KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
        JsonNode a = tree(Redaction.of(null, h).after());
        assertThat(a.get("material").asText()).isEqualTo(Redaction.REDACTED);
        assertThat(a.get("pair").asText()).isEqualTo(Redaction.REDACTED);
    }

    @Test
    void nothingBeforeOrAfterStaysNull() {
        Redaction.Pair p = Redaction.of(Map.of("a", 1), null);
        assertThat(p.before()).isEqualTo("{\"a\":1}");
        assertThat(p.after()).isNull();
    }
}
