package dev.herald.http;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** Builds the Jetty TLS factory for a profile's {@link TlsSettings}: client key, trust, pins and protocol versions. */
final class ProfileTls {

    private static final char[] NO_PASSWORD = new char[0];

    private ProfileTls() {
    }

    /** A client factory with hostname verification on and protocols from {@code settings.minVersion()} up to TLS 1.3. */
    static SslContextFactory.Client factory(TlsSettings settings) {
        SslContextFactory.Client factory = new SslContextFactory.Client();
        factory.setSslContext(sslContext(settings));
        factory.setEndpointIdentificationAlgorithm("HTTPS");
        factory.setIncludeProtocols(TlsSettings.TLS_1_3.equals(settings.minVersion())
                ? new String[] {TlsSettings.TLS_1_3} : new String[] {TlsSettings.TLS_1_2, TlsSettings.TLS_1_3});
        return factory;
    }

    static SSLContext sslContext(TlsSettings settings) {
        try {
            KeyManager[] keyManagers = null;
            PrivateKey key = settings.privateKey();
            if (key != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key, NO_PASSWORD, settings.clientChain().toArray(X509Certificate[]::new));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, NO_PASSWORD);
                keyManagers = kmf.getKeyManagers();
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            List<X509Certificate> cas = settings.trustedCertificates();
            if (cas.isEmpty()) {
                tmf.init((KeyStore) null); // the JDK's default trust store
            } else {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca-" + i, cas.get(i));
                }
                tmf.init(trust);
            }
            TrustManager[] trustManagers = tmf.getTrustManagers();
            if (!settings.pinnedSpkiSha256().isEmpty()) {
                for (int i = 0; i < trustManagers.length; i++) {
                    if (trustManagers[i] instanceof X509ExtendedTrustManager x509) {
                        trustManagers[i] = new PinningTrustManager(x509, Set.copyOf(settings.pinnedSpkiSha256()));
                    }
                }
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trustManagers, null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build the TLS context for a profile: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Standard base64 SHA-256 of a certificate's SubjectPublicKeyInfo. */
    static String spkiSha256(X509Certificate certificate) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Trusts a server as its delegate does (chain and hostname), and then only when the leaf's key is pinned. */
    private static final class PinningTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final Set<String> pins;

        PinningTrustManager(X509ExtendedTrustManager delegate, Set<String> pins) {
            this.delegate = delegate;
            this.pins = pins;
        }

        private void checkPin(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !pins.contains(spkiSha256(chain[0]))) {
                throw new CertificateException("the server's public key does not match any pinned key");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkServerTrusted(chain, authType, engine);
            checkPin(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
            checkPin(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
            checkPin(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
