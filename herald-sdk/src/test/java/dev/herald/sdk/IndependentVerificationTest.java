package dev.herald.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks our Ed25519, RSA and AES-GCM output with implementations that are not ours: the {@code openssl} CLI and Node's
 * {@code crypto}, and the other way round (keys and signatures they make, we read and verify).
 */
class IndependentVerificationTest {
    static final String ID = "evt_0VxIndependent";
    static final long TS = 1_714_000_000L;
    static final byte[] BODY = ("{\"id\":\"evt_0VxIndependent\",\"event\":\"payment.settled\",\"timestamp\":\"2026-01-02T03:04:05Z\","
            + "\"account_uuid\":null,\"data\":{\"amount\":\"1234.56\",\"currency\":\"CNY\",\"payer\":\"\u5f20\u4e09\"}}").getBytes(UTF_8);

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }

    private static byte[] signedContent(String id, long ts, byte[] body) {
        byte[] prefix = (id + "." + ts + ".").getBytes(UTF_8);
        byte[] out = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(body, 0, out, prefix.length, body.length);
        return out;
    }

    private static byte[] signatureBytes(String entry) {
        return Base64.getDecoder().decode(entry.substring(entry.indexOf(',') + 1));
    }

    private ExternalTool.Result openssl(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return ExternalTool.run(dir, cmd);
    }

    /** openssl's verdict on an Ed25519 signature ({@code pkeyutl -rawin}) or an RSA one ({@code dgst -sha256}). */
    private boolean opensslVerifies(KeyAlgorithm alg, String publicPem, byte[] content, byte[] signature) throws Exception {
        write("pub.pem", publicPem.getBytes(UTF_8));
        write("content.bin", content);
        write("sig.bin", signature);
        ExternalTool.Result r = alg == KeyAlgorithm.ED25519
                ? openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "content.bin", "-sigfile", "sig.bin")
                : openssl("dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "content.bin");
        return r.exitCode() == 0;
    }

    @Test
    void opensslVerifiesOurEd25519AndRsaSignaturesAndRejectsThemOverAlteredContent() throws Exception {
        ExternalTool.require("openssl", "version");
        SigningKey ed = SigningKey.generateEd25519();
        SigningKey rsa = SigningKey.generateRsa(2048);
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("v1a", "rsa-sha256")), List.of(),
                List.of(ed, rsa), ID, TS, BODY);
        byte[] content = signedContent(ID, TS, BODY);
        byte[] altered = signedContent(ID, TS + 1, BODY);
        byte[] edSig = signatureBytes(h.get("webhook-signature"));
        byte[] rsaSig = signatureBytes(h.get("webhook-signature-rsa"));
        assertThat(opensslVerifies(KeyAlgorithm.ED25519, ed.verificationKey().toPem(), content, edSig)).isTrue();
        assertThat(opensslVerifies(KeyAlgorithm.RSA, rsa.verificationKey().toPem(), content, rsaSig)).isTrue();
        assertThat(opensslVerifies(KeyAlgorithm.ED25519, ed.verificationKey().toPem(), altered, edSig)).isFalse();
        assertThat(opensslVerifies(KeyAlgorithm.RSA, rsa.verificationKey().toPem(), altered, rsaSig)).isFalse();
    }

    @Test
    void opensslReadsOurPrivateKeysAndDerivesTheSamePublicKeys() throws Exception {
        ExternalTool.require("openssl", "version");
        for (SigningKey k : List.of(SigningKey.generateEd25519(), SigningKey.generateRsa(2048))) {
            write("key.pem", k.toPkcs8Pem().getBytes(UTF_8));
            ExternalTool.Result r = openssl("pkey", "-in", "key.pem", "-pubout");
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(VerificationKey.parse(r.out())).isEqualTo(k.verificationKey());
        }
    }

    @Test
    void keysMadeByOpensslSignWithUsAndOpensslAgrees() throws Exception {
        ExternalTool.require("openssl", "version");
        assertThat(openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem").exitCode()).isZero();
        assertThat(openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", "rsa.pem").exitCode()).isZero();
        for (String name : List.of("ed", "rsa")) {
            SigningKey k = SigningKey.parse(Files.readString(dir.resolve(name + ".pem")));
            String opensslPublic = openssl("pkey", "-in", name + ".pem", "-pubout").out();
            assertThat(VerificationKey.parse(opensslPublic).kid()).isEqualTo(k.kid());
            Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("v1a", "rsa-sha256")), List.of(),
                    List.of(k, k.algorithm() == KeyAlgorithm.ED25519 ? SigningKey.generateRsa(2048) : SigningKey.generateEd25519()), ID, TS, BODY);
            String entry = k.algorithm() == KeyAlgorithm.ED25519 ? h.get("webhook-signature") : h.get("webhook-signature-rsa");
            assertThat(opensslVerifies(k.algorithm(), opensslPublic, signedContent(ID, TS, BODY), signatureBytes(entry))).as(name).isTrue();
        }
    }

    @Test
    void signaturesMadeByOpensslVerifyWithOurVerifier() throws Exception {
        ExternalTool.require("openssl", "version");
        write("content.bin", signedContent(ID, TS, BODY));
        assertThat(openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem").exitCode()).isZero();
        assertThat(openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem").exitCode()).isZero();
        assertThat(openssl("pkeyutl", "-sign", "-inkey", "ed.pem", "-rawin", "-in", "content.bin", "-out", "ed.sig").exitCode()).isZero();
        assertThat(openssl("dgst", "-sha256", "-sign", "rsa.pem", "-out", "rsa.sig", "content.bin").exitCode()).isZero();
        VerificationKey edPublic = VerificationKey.parse(openssl("pkey", "-in", "ed.pem", "-pubout").out());
        VerificationKey rsaPublic = VerificationKey.parse(openssl("pkey", "-in", "rsa.pem", "-pubout").out());
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("webhook-id", List.of(ID));
        headers.put("webhook-timestamp", List.of(Long.toString(TS)));
        headers.put("webhook-signature", List.of("v1a," + Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("ed.sig")))));
        headers.put("webhook-signature-rsa", List.of(rsaPublic.kid() + "," + Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("rsa.sig")))));
        Clock at = Clock.fixed(Instant.ofEpochSecond(TS), ZoneOffset.UTC);
        assertThatCode(() -> WebhookVerifier.builder().clock(at).publicKey(edPublic).build().verify(headers, BODY)).doesNotThrowAnyException();
        assertThatCode(() -> WebhookVerifier.builder().clock(at).publicKey(rsaPublic).build().verify(headers, BODY)).doesNotThrowAnyException();
    }

    static final String NODE_CHECK = """
            const crypto = require('crypto');
            const fs = require('fs');
            const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
            const content = Buffer.from(input.content, 'base64');
            const out = { thumbprints: [], v1a: [], rsa: [], whpk: [] };
            const keys = {};
            for (const jwk of input.jwks.keys) {
              const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
              const e = key.export({ format: 'jwk' });
              const canonical = jwk.kty === 'OKP'
                ? JSON.stringify({ crv: e.crv, kty: e.kty, x: e.x })
                : JSON.stringify({ e: e.e, kty: e.kty, n: e.n });
              out.thumbprints.push(jwk.kid + '=' + crypto.createHash('sha256').update(canonical).digest('base64url'));
              keys[jwk.kid] = key;
            }
            const edKeys = Object.values(keys).filter(k => k.asymmetricKeyType === 'ed25519');
            for (const entry of input.signature.split(' ')) {
              const [version, sig] = entry.split(',');
              if (version === 'v1a') out.v1a.push(edKeys.some(k => crypto.verify(null, content, k, Buffer.from(sig, 'base64'))));
            }
            for (const entry of input.rsa.split(' ')) {
              const [kid, sig] = entry.split(',');
              out.rsa.push(keys[kid] !== undefined && crypto.verify('sha256', content, keys[kid], Buffer.from(sig, 'base64')));
            }
            for (const whpk of input.whpk) {
              const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(whpk.slice(5), 'base64')]);
              const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
              out.whpk.push(input.signature.split(' ').filter(s => s.startsWith('v1a,'))
                .some(s => crypto.verify(null, content, key, Buffer.from(s.slice(4), 'base64'))));
            }
            const r = input.resource;
            const ct = Buffer.from(r.ciphertext, 'base64');
            const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(input.payloadKey, 'utf8'), Buffer.from(r.nonce, 'utf8'));
            d.setAAD(Buffer.from(r.associated_data, 'utf8'));
            d.setAuthTag(ct.subarray(ct.length - 16));
            out.plaintext = Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('utf8');
            out.nonceBytes = Buffer.from(r.nonce, 'utf8').length;
            console.log(JSON.stringify(out));
            """;

    @Test
    void nodeImportsOurJwksVerifiesEverySignatureAndOpensTheSealedData() throws Exception {
        ExternalTool.require("node", "--version");
        SigningKey ed = SigningKey.generateEd25519();
        SigningKey edPrevious = SigningKey.generateEd25519();
        SigningKey rsa = SigningKey.generateRsa(2048);
        SigningKey rsaPrevious = SigningKey.generateRsa(4096);
        PayloadKey payloadKey = PayloadKey.generate();
        byte[] sealed = payloadKey.sealBody(BODY);
        Map<String, String> h = WebhookSigner.signatureHeaders(SignatureSchemes.parse(List.of("sha256", "v1", "v1a", "rsa-sha256")),
                List.of(WebhookSigner.generateSecret()), List.of(ed, rsa, edPrevious, rsaPrevious), ID, TS, sealed);
        List<VerificationKey> published = List.of(ed.verificationKey(), rsa.verificationKey(), edPrevious.verificationKey(), rsaPrevious.verificationKey());
        Map<?, ?> resource = (Map<?, ?>) PayloadKey.member(MiniJson.topLevel(new String(sealed, UTF_8)), "resource").value();
        String input = "{\"jwks\":" + VerificationKey.jwksJson(published)
                + ",\"content\":\"" + Base64.getEncoder().encodeToString(signedContent(ID, TS, sealed)) + "\""
                + ",\"signature\":" + MiniJson.quote(h.get("webhook-signature"))
                + ",\"rsa\":" + MiniJson.quote(h.get("webhook-signature-rsa"))
                + ",\"whpk\":[" + MiniJson.quote(ed.verificationKey().toWhpk()) + "," + MiniJson.quote(edPrevious.verificationKey().toWhpk()) + "]"
                + ",\"payloadKey\":" + MiniJson.quote(payloadKey.encoded())
                + ",\"resource\":{\"ciphertext\":" + MiniJson.quote((String) resource.get("ciphertext"))
                + ",\"nonce\":" + MiniJson.quote((String) resource.get("nonce"))
                + ",\"associated_data\":" + MiniJson.quote((String) resource.get("associated_data")) + "}}";
        write("check.js", NODE_CHECK.getBytes(UTF_8));
        write("input.json", input.getBytes(UTF_8));
        ExternalTool.Result r = ExternalTool.run(dir, "node", "check.js", "input.json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> out = new LinkedHashMap<>();
        for (MiniJson.Member m : MiniJson.topLevel(r.out().strip())) {
            out.put(m.name(), m.value());
        }
        List<String> expectedThumbprints = new ArrayList<>();
        published.forEach(k -> expectedThumbprints.add(k.kid() + "=" + k.kid()));
        assertThat(out.get("thumbprints")).isEqualTo(expectedThumbprints);
        assertThat(out.get("v1a")).isEqualTo(List.of(true, true));
        assertThat(out.get("rsa")).isEqualTo(List.of(true, true));
        assertThat(out.get("whpk")).isEqualTo(List.of(true, true));
        assertThat(out.get("plaintext")).isEqualTo("{\"amount\":\"1234.56\",\"currency\":\"CNY\",\"payer\":\"\u5f20\u4e09\"}");
        assertThat(out.get("nonceBytes")).hasToString("12");
    }
}
