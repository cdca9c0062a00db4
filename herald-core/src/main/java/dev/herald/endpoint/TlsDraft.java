package dev.herald.endpoint;

import dev.herald.http.TlsSettings;
import java.util.List;

/**
 * TLS settings as a client sends them ({@code "tls": {...}}). The client key is write-only: a draft that repeats the
 * stored certificate without a key keeps the stored key. A draft with every field absent ({@code "tls": {}}) removes
 * the settings. {@link #toString()} never shows the key.
 */
public record TlsDraft(String clientCertificate, String clientKey, String caCertificates, List<String> pinnedSpkiSha256, String minVersion) {

    /**
     * The settings this draft makes of {@code current} (null: none yet), or null when it removes them.
     *
     * @throws dev.herald.support.ValidationException naming the {@code tls.*} field at fault
     */
    public TlsSettings resolve(TlsSettings current) {
        if (clientCertificate == null && clientKey == null && caCertificates == null && pinnedSpkiSha256 == null && minVersion == null) {
            return null;
        }
        String key = clientKey;
        if (key == null && clientCertificate != null && current != null && current.clientCertificate() != null
                && current.clientCertificate().strip().equals(clientCertificate.strip())) {
            key = current.clientKey();
        }
        return new TlsSettings(clientCertificate, key, caCertificates, pinnedSpkiSha256 == null ? List.of() : pinnedSpkiSha256, minVersion);
    }

    @Override
    public String toString() {
        return "TlsDraft[clientCertificate=" + (clientCertificate == null ? "absent" : "given") + ", clientKey=" + (clientKey == null ? "absent" : "given")
                + ", minVersion=" + minVersion + "]";
    }
}
