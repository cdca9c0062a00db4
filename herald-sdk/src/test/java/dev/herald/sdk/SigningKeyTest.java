package dev.herald.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SigningKeyTest {

    // RFC 8032 §7.1 TEST 1, which RFC 8037 Appendix A reuses for its JWK examples.
    static final byte[] RFC_SEED = HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    static final byte[] RFC_PUBLIC = HexFormat.of().parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    static final String RFC_SIGNATURE_OF_EMPTY = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    static final String RFC_8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    static final String RFC_8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

    static final SigningKey RSA_2048 = SigningKey.generateRsa(2048);

    private static String whsk(byte[]... parts) {
        byte[] all = new byte[0];
        for (byte[] p : parts) {
            byte[] next = new byte[all.length + p.length];
            System.arraycopy(all, 0, next, 0, all.length);
            System.arraycopy(p, 0, next, all.length, p.length);
            all = next;
        }
        return "whsk_" + Base64.getEncoder().encodeToString(all);
    }

    @Test
    void ed25519KeyFromTheRfcSeedHasTheRfcPublicKeySignatureAndThumbprint() {
        SigningKey k = SigningKey.parse(whsk(RFC_SEED));
        assertThat(k.algorithm()).isEqualTo(KeyAlgorithm.ED25519);
        assertThat(k.verificationKey().toWhpk()).isEqualTo("whpk_" + Base64.getEncoder().encodeToString(RFC_PUBLIC));
        assertThat(HexFormat.of().formatHex(k.sign(new byte[0]))).isEqualTo(RFC_SIGNATURE_OF_EMPTY);
        assertThat(k.verificationKey().toJwk()).containsEntry("kty", "OKP").containsEntry("crv", "Ed25519")
                .containsEntry("x", RFC_8037_X).containsEntry("kid", RFC_8037_THUMBPRINT).containsEntry("alg", "EdDSA");
        assertThat(k.kid()).isEqualTo(RFC_8037_THUMBPRINT);
    }

    @Test
    void whskIsSixtyFourBytesOfSeedThenPublicKeyAndRoundTrips() {
        SigningKey k = SigningKey.parse(whsk(RFC_SEED));
        assertThat(k.encoded()).isEqualTo(whsk(RFC_SEED, RFC_PUBLIC));
        assertThat(SigningKey.parse(k.encoded()).kid()).isEqualTo(k.kid());
        SigningKey fresh = SigningKey.generateEd25519();
        assertThat(Base64.getDecoder().decode(fresh.encoded().substring(5))).hasSize(64);
        assertThat(SigningKey.parse(fresh.encoded()).verificationKey()).isEqualTo(fresh.verificationKey());
    }

    @Test
    void whskWhosePublicHalfIsNotItsSeedsIsRejected() {
        byte[] otherPublic = RFC_PUBLIC.clone();
        otherPublic[0] ^= 1;
        assertThatThrownBy(() -> SigningKey.parse(whsk(RFC_SEED, otherPublic))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> SigningKey.parse(whsk(new byte[31]))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SigningKey.parse("whsk_not*base64")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SigningKey.parse("whsec_AAAA")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bothAlgorithmsRoundTripThroughPkcs8AndSpkiPem() {
        for (SigningKey k : List.of(SigningKey.generateEd25519(), RSA_2048)) {
            String pem = k.toPkcs8Pem();
            assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
            SigningKey back = SigningKey.parse(pem);
            assertThat(back.algorithm()).isEqualTo(k.algorithm());
            assertThat(back.kid()).isEqualTo(k.kid());
            String pub = k.verificationKey().toPem();
            assertThat(pub).startsWith("-----BEGIN PUBLIC KEY-----\n");
            assertThat(VerificationKey.parse(pub)).isEqualTo(k.verificationKey());
            assertThat(VerificationKey.parse(pub.replace("\n", "\r\n"))).isEqualTo(k.verificationKey());
        }
        assertThat(RSA_2048.encoded()).isEqualTo(RSA_2048.toPkcs8Pem());
        assertThat(RSA_2048.verificationKey().encoded()).isEqualTo(RSA_2048.verificationKey().toPem());
    }

    @Test
    void rsaKeysBelow2048BitsAreRefusedWhetherGeneratedOrGiven() throws Exception {
        assertThatThrownBy(() -> SigningKey.generateRsa(1024)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
        var g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        var small = g.generateKeyPair();
        String privatePem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(small.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        String publicPem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(small.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        assertThatThrownBy(() -> SigningKey.parse(privatePem)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
        assertThatThrownBy(() -> VerificationKey.parse(publicPem)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
    }

    @Test
    void whpkIsDefinedForEd25519Only() {
        assertThatThrownBy(() -> RSA_2048.verificationKey().toWhpk()).isInstanceOf(IllegalStateException.class);
        assertThat(VerificationKey.parse("whpk_" + Base64.getEncoder().encodeToString(RFC_PUBLIC)).kid()).isEqualTo(RFC_8037_THUMBPRINT);
        assertThatThrownBy(() -> VerificationKey.parse("whpk_" + Base64.getEncoder().encodeToString(new byte[31])))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jwksListsEachKeyWithItsThumbprintAndParsesBack() {
        SigningKey ed = SigningKey.parse(whsk(RFC_SEED));
        List<VerificationKey> keys = List.of(ed.verificationKey(), RSA_2048.verificationKey());
        Map<String, List<Map<String, String>>> jwks = VerificationKey.jwks(keys);
        assertThat(jwks.get("keys")).hasSize(2);
        Map<String, String> rsa = jwks.get("keys").get(1);
        assertThat(rsa.keySet()).containsExactly("kty", "n", "e", "kid", "use", "alg");
        assertThat(rsa).containsEntry("kty", "RSA").containsEntry("e", "AQAB").containsEntry("alg", "RS256")
                .containsEntry("kid", RSA_2048.kid());
        assertThat(Base64.getUrlDecoder().decode(rsa.get("n"))).hasSize(256); // no sign byte
        for (Map<String, String> jwk : jwks.get("keys")) {
            assertThat(VerificationKey.fromJwk(jwk).kid()).isEqualTo(jwk.get("kid"));
        }
        assertThat(VerificationKey.jwksJson(keys)).startsWith("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + RFC_8037_X
                + "\",\"kid\":\"" + RFC_8037_THUMBPRINT + "\",\"use\":\"sig\",\"alg\":\"EdDSA\"},{\"kty\":\"RSA\",\"n\":\"");
        assertThatThrownBy(() -> VerificationKey.fromJwk(Map.of("kty", "EC", "crv", "P-256"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VerificationKey.fromJwk(Map.of("kty", "OKP", "crv", "Ed448", "x", "AA"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringNamesTheKeyButNeverItsMaterial() {
        for (SigningKey k : List.of(SigningKey.parse(whsk(RFC_SEED)), RSA_2048)) {
            String shown = k.toString() + k.verificationKey();
            assertThat(shown).contains(k.kid()).contains(k.algorithm().name());
            String secret = k.encoded().replaceAll("-----[A-Z ]+-----|\\s|whsk_", "");
            for (int i = 0; i + 12 <= secret.length(); i += 12) {
                assertThat(shown).doesNotContain(secret.substring(i, i + 12));
            }
        }
        assertThat(SigningKey.parse(whsk(RFC_SEED)).toString()).doesNotContain(Base64.getEncoder().encodeToString(RFC_SEED).substring(0, 10));
    }

    @Test
    void parseErrorsNeverEchoTheKey() {
        String almost = whsk(RFC_SEED) + "!!";
        assertThatThrownBy(() -> SigningKey.parse(almost)).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain(almost.substring(5, 20));
        String pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----";
        assertThat(SigningKey.parse(pem).kid()).isEqualTo(RFC_8037_THUMBPRINT);
        assertThatThrownBy(() -> SigningKey.parse(pem.replace("MC4C", "MC4D"))).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("BCIEIJ1h");
    }
}
