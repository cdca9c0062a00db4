package dev.herald.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates and keys for the TLS tests, made once per JVM with /usr/bin/openssl (and the JDK's keytool for a
 * back-dated certificate) in a temporary directory.
 */
public final class TestPki {

    private static TestPki instance;

    public final Path dir;
    /** CA that signed the server certificate (SAN IP:127.0.0.1, DNS:localhost). */
    public final String serverCaPem;
    /** A CA that signed nothing here. */
    public final String otherCaPem;
    /** CA the servers trust for client certificates. */
    public final String clientCaPem;
    /** Client certificate (RSA 2048, signed by the client CA) and its PKCS#8 key. */
    public final String clientCertPem;
    public final String clientKeyPem;
    /** The same client key as PKCS#1 ("BEGIN RSA PRIVATE KEY"). */
    public final String clientKeyPkcs1Pem;
    /** A second, unrelated client certificate and key. */
    public final String otherClientCertPem;
    public final String otherClientKeyPem;
    /** Self-signed P-256 certificate, its key as PKCS#8 and as SEC1 ("BEGIN EC PRIVATE KEY"). */
    public final String ecCertPem;
    public final String ecKeyPem;
    public final String ecKeySec1Pem;
    /** Self-signed RSA 1024 certificate and key. */
    public final String weakCertPem;
    public final String weakKeyPem;
    /** Self-signed certificate valid only in 2000, and its key. */
    public final String expiredCertPem;
    public final String expiredKeyPem;
    private final Path serverP12;

    private TestPki(Path dir) throws Exception {
        this.dir = dir;
        ca("server-ca");
        ca("other-ca");
        ca("client-ca");
        leaf("server", "server-ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        leaf("client", "client-ca", "extendedKeyUsage=clientAuth\n");
        leaf("other-client", "other-ca", "extendedKeyUsage=clientAuth\n");
        openssl("pkcs12", "-export", "-inkey", "server.key", "-in", "server.pem", "-certfile", "server-ca.pem",
                "-out", "server.p12", "-passout", "pass:changeit", "-name", "server");
        openssl("rsa", "-in", "client.key", "-traditional", "-out", "client.pkcs1.key");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ec.key",
                "-out", "ec.pem", "-subj", "/CN=ec-client", "-days", "2");
        openssl("ec", "-in", "ec.key", "-out", "ec.sec1.key");
        openssl("req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "weak.key", "-out", "weak.pem",
                "-subj", "/CN=weak", "-days", "2");
        run(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-keyalg", "RSA",
                "-keysize", "2048", "-alias", "expired", "-dname", "CN=expired", "-startdate", "2000/01/01",
                "-validity", "1", "-keystore", "expired.p12", "-storetype", "PKCS12", "-storepass", "changeit");
        serverCaPem = read("server-ca.pem");
        otherCaPem = read("other-ca.pem");
        clientCaPem = read("client-ca.pem");
        clientCertPem = read("client.pem");
        clientKeyPem = read("client.key");
        clientKeyPkcs1Pem = read("client.pkcs1.key");
        otherClientCertPem = read("other-client.pem");
        otherClientKeyPem = read("other-client.key");
        ecCertPem = read("ec.pem");
        ecKeyPem = read("ec.key");
        ecKeySec1Pem = read("ec.sec1.key");
        weakCertPem = read("weak.pem");
        weakKeyPem = read("weak.key");
        KeyStore expired = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("expired.p12"))) {
            expired.load(in, "changeit".toCharArray());
        }
        expiredCertPem = pem("CERTIFICATE", expired.getCertificate("expired").getEncoded());
        expiredKeyPem = pem("PRIVATE KEY", ((PrivateKey) expired.getKey("expired", "changeit".toCharArray())).getEncoded());
        serverP12 = dir.resolve("server.p12");
    }

    public static synchronized TestPki get() {
        if (instance == null) {
            try {
                instance = new TestPki(Files.createTempDirectory("herald-pki"));
            } catch (Exception e) {
                throw new IllegalStateException("cannot make test certificates", e);
            }
        }
        return instance;
    }

    /** A server context presenting the server certificate and trusting client certificates from {@code clientCas}. */
    public SSLContext serverContext(String clientCas) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(serverP12)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (X509Certificate ca : certificates(clientCas)) {
            trust.setCertificateEntry("ca" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /** The server certificate (leaf). */
    public X509Certificate serverCertificate() throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(serverP12)) {
            keys.load(in, "changeit".toCharArray());
        }
        return (X509Certificate) keys.getCertificate("server");
    }

    public static List<X509Certificate> certificates(String pem) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                .forEach(c -> out.add((X509Certificate) c));
        return out;
    }

    private void ca(String name) throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".pem",
                "-subj", "/CN=Herald test " + name, "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private void leaf(String name, String ca, String extensions) throws Exception {
        Files.writeString(dir.resolve(name + ".ext"), extensions);
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + (name.equals("server") ? "localhost" : "herald-" + name));
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
    }

    private void openssl(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "openssl";
        System.arraycopy(args, 0, command, 1, args.length);
        run(command);
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    private String read(String name) throws IOException {
        return Files.readString(dir.resolve(name));
    }

    public static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
