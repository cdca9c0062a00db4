package dev.herald.http;

import dev.herald.testing.TestPki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.herald.support.ValidationException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TlsSettingsTest {

    private static final TestPki PKI = TestPki.get();
    private static final String PIN_BASE64 = Base64.getEncoder().encodeToString(new byte[32]);

    private static ValidationException invalid(ThrowingCallable call) {
        ValidationException e = catchThrowableOfType(ValidationException.class, call);
        assertThat(e).as("expected a ValidationException").isNotNull();
        return e;
    }

    @Test
    void defaultsAreEmptyWithTls12() {
        TlsSettings d = TlsSettings.defaults();
        assertThat(d.hasClientKey()).isFalse();
        assertThat(d.minVersion()).isEqualTo("TLSv1.2");
        assertThat(d.pinnedSpkiSha256()).isEmpty();
        assertThat(new TlsSettings(" ", "", "\n", null, null)).isEqualTo(d);
    }

    @Test
    void acceptsPkcs8Pkcs1AndSec1Keys() {
        assertThat(TlsSettings.defaults().withClientCertificate(PKI.clientCertPem, PKI.clientKeyPem).hasClientKey()).isTrue();
        assertThat(PKI.clientKeyPkcs1Pem).contains("BEGIN RSA PRIVATE KEY");
        assertThat(TlsSettings.defaults().withClientCertificate(PKI.clientCertPem, PKI.clientKeyPkcs1Pem).privateKey().getAlgorithm())
                .isEqualTo("RSA");
        assertThat(PKI.ecKeySec1Pem).contains("BEGIN EC PRIVATE KEY");
        assertThat(TlsSettings.defaults().withClientCertificate(PKI.ecCertPem, PKI.ecKeySec1Pem).privateKey().getAlgorithm())
                .isEqualTo("EC");
        assertThat(TlsSettings.defaults().withClientCertificate(PKI.ecCertPem, PKI.ecKeyPem).hasClientKey()).isTrue();
    }

    @Test
    void acceptsAnExpiredClientCertificate() {
        assertThat(TlsSettings.defaults().withClientCertificate(PKI.expiredCertPem, PKI.expiredKeyPem).hasClientKey()).isTrue();
    }

    @Test
    void acceptsAChainAfterTheLeaf() {
        TlsSettings s = TlsSettings.defaults().withClientCertificate(PKI.clientCertPem + PKI.clientCaPem, PKI.clientKeyPem);
        assertThat(s.clientChain()).hasSize(2);
    }

    @Test
    void toStringNeverShowsTheKey() {
        TlsSettings s = TlsSettings.defaults().withClientCertificate(PKI.clientCertPem, PKI.clientKeyPem);
        String keyBody = PKI.clientKeyPem.lines().skip(1).findFirst().orElseThrow();
        assertThat(s.toString()).doesNotContain(keyBody).doesNotContain("PRIVATE KEY").contains("clientKey=***");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"})
    void malformedClientCertificateNamesItsField(String pem) {
        assertThat(invalid(() -> TlsSettings.defaults().withClientCertificate(pem, PKI.clientKeyPem)).field())
                .isEqualTo("tls.client_certificate");
    }

    @Test
    void aMalformedCertificateIsNamedEvenWithoutAKey() {
        assertThat(invalid(() -> TlsSettings.defaults().withClientCertificate("garbage", null)).field()).isEqualTo("tls.client_certificate");
    }

    @Test
    void oversizedClientCertificateNamesItsField() {
        String huge = PKI.clientCertPem + "x".repeat(TlsSettings.MAX_PEM_CHARS);
        assertThat(invalid(() -> TlsSettings.defaults().withClientCertificate(huge, PKI.clientKeyPem)).field())
                .isEqualTo("tls.client_certificate");
    }

    @Test
    void keyProblemsNameClientKey() {
        TlsSettings d = TlsSettings.defaults();
        assertThat(invalid(() -> d.withClientCertificate(PKI.clientCertPem, "garbage")).field()).isEqualTo("tls.client_key");
        assertThat(invalid(() -> d.withClientCertificate(PKI.clientCertPem, PKI.otherClientKeyPem)).getMessage())
                .contains("does not belong");
        assertThat(invalid(() -> d.withClientCertificate(PKI.clientCertPem, PKI.otherClientKeyPem)).field()).isEqualTo("tls.client_key");
        assertThat(invalid(() -> d.withClientCertificate(PKI.clientCertPem, PKI.ecKeyPem)).field()).isEqualTo("tls.client_key");
        assertThat(invalid(() -> d.withClientCertificate(PKI.clientCertPem, null)).field()).isEqualTo("tls.client_key");
        assertThat(invalid(() -> d.withClientCertificate(null, PKI.clientKeyPem)).field()).isEqualTo("tls.client_key");
        assertThat(invalid(() -> d.withClientCertificate(" ", PKI.clientKeyPem)).field()).isEqualTo("tls.client_key");
    }

    @Test
    void rsaKeysUnder2048BitsAreRefused() {
        ValidationException e = invalid(() -> TlsSettings.defaults().withClientCertificate(PKI.weakCertPem, PKI.weakKeyPem));
        assertThat(e.field()).isEqualTo("tls.client_key");
        assertThat(e.getMessage()).contains("2048");
    }

    @Test
    void encryptedKeysAreRefusedWithoutEchoingThem() {
        String encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n";
        ValidationException e = invalid(() -> TlsSettings.defaults().withClientCertificate(PKI.clientCertPem, encrypted));
        assertThat(e.field()).isEqualTo("tls.client_key");
        assertThat(e.getMessage()).contains("encrypted").doesNotContain("MIIBvT");
    }

    @Test
    void keyErrorsNeverContainKeyMaterial() {
        String body = PKI.otherClientKeyPem.lines().skip(2).findFirst().orElseThrow();
        ValidationException e = invalid(() -> TlsSettings.defaults().withClientCertificate(PKI.clientCertPem, PKI.otherClientKeyPem));
        assertThat(e.getMessage()).doesNotContain(body);
    }

    @Test
    void caBundleProblemsNameCaCertificates() {
        assertThat(invalid(() -> TlsSettings.defaults().withCaCertificates("nope")).field()).isEqualTo("tls.ca_certificates");
        String tooMany = PKI.serverCaPem.repeat(TlsSettings.MAX_CA_CERTIFICATES + 1);
        assertThat(invalid(() -> TlsSettings.defaults().withCaCertificates(tooMany)).field()).isEqualTo("tls.ca_certificates");
        assertThat(TlsSettings.defaults().withCaCertificates(PKI.serverCaPem + PKI.otherCaPem).trustedCertificates()).hasSize(2);
    }

    @Test
    void pinsAreAcceptedAsHexOrBase64AndStoredAsBase64() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(PKI.serverCertificate().getPublicKey().getEncoded());
        String base64 = Base64.getEncoder().encodeToString(digest);
        String hex = HexFormat.of().formatHex(digest);
        String colons = HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        TlsSettings s = TlsSettings.defaults().withPinnedSpkiSha256(List.of(hex, colons, base64, "sha256/" + base64, PIN_BASE64));
        assertThat(s.pinnedSpkiSha256()).containsExactly(base64, PIN_BASE64);
        assertThat(ProfileTls.spkiSha256(PKI.serverCertificate())).isEqualTo(base64);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "00112233", "AAAA", "zz00000000000000000000000000000000000000000000000000000000000000"})
    void badPinsNameTheirIndex(String pin) {
        assertThat(invalid(() -> TlsSettings.defaults().withPinnedSpkiSha256(List.of(PIN_BASE64, pin))).field())
                .isEqualTo("tls.pinned_spki_sha256[1]");
    }

    @Test
    void minVersionIsTls12OrTls13() {
        assertThat(TlsSettings.defaults().withMinVersion("tlsv1.3").minVersion()).isEqualTo("TLSv1.3");
        assertThat(TlsSettings.defaults().withMinVersion(null).minVersion()).isEqualTo("TLSv1.2");
        assertThat(invalid(() -> TlsSettings.defaults().withMinVersion("TLSv1.1")).field()).isEqualTo("tls.min_version");
        assertThat(invalid(() -> TlsSettings.defaults().withMinVersion("SSLv3")).field()).isEqualTo("tls.min_version");
    }
}
