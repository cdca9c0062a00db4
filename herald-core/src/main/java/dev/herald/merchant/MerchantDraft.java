package dev.herald.merchant;

import dev.herald.endpoint.TlsDraft;
import java.util.List;

/**
 * The fields of a merchant as a client sends them to create or change one; null means "not given" (kept as it is, or
 * the default on creation). {@code maxInFlight} 0 returns to the node's cap. {@link #operatorFields()} names the
 * controls only the operator may set. {@code payloadKey} sets the merchant's own payload key, {@code rotatePayloadKey}
 * has Herald make one (shown once); at most one of them. {@code tls} replaces the TLS settings ({@code {}} removes
 * them); {@code proxyUrl} sets the egress proxy, an empty string removes it: a URL that names a user without a password
 * keeps the stored password when the stored proxy is the same user at the same host and port. {@code retentionDays}
 * keeps the merchant's work longer than the node's retention (1–3650; 0 returns to the node's).
 */
public record MerchantDraft(String name, String ack, boolean rotateSecret, Integer maxInFlight, String status, Boolean listed,
                            List<String> hosts, Boolean httpsOnly, List<String> privateNetworks, List<String> syncTypes, Integer defaultPriority,
                            List<String> signatureSchemes, String payloadKey, boolean rotatePayloadKey, TlsDraft tls, String proxyUrl,
                            Integer retentionDays) {
    /** A draft that leaves the retention as it is. */
    public MerchantDraft(String name, String ack, boolean rotateSecret, Integer maxInFlight, String status, Boolean listed,
                         List<String> hosts, Boolean httpsOnly, List<String> privateNetworks, List<String> syncTypes, Integer defaultPriority,
                         List<String> signatureSchemes, String payloadKey, boolean rotatePayloadKey, TlsDraft tls, String proxyUrl) {
        this(name, ack, rotateSecret, maxInFlight, status, listed, hosts, httpsOnly, privateNetworks, syncTypes, defaultPriority, signatureSchemes,
                payloadKey, rotatePayloadKey, tls, proxyUrl, null);
    }

    /** A draft of the controls that leaves the signing settings as they are. */
    public MerchantDraft(String name, String ack, boolean rotateSecret, Integer maxInFlight, String status, Boolean listed,
                         List<String> hosts, Boolean httpsOnly, List<String> privateNetworks, List<String> syncTypes, Integer defaultPriority) {
        this(name, ack, rotateSecret, maxInFlight, status, listed, hosts, httpsOnly, privateNetworks, syncTypes, defaultPriority, null, null, false, null, null);
    }

    /** Only a name, ack rule or secret rotation: what a merchant may change of itself. */
    public static MerchantDraft own(String name, String ack, boolean rotateSecret) {
        return new MerchantDraft(name, ack, rotateSecret, null, null, null, null, null, null, null, null);
    }

    @Override
    public String toString() {
        return "MerchantDraft[name=" + name + ", status=" + status + ", payloadKey=" + (payloadKey == null ? "unchanged" : "[given]")
                + ", tls=" + tls + ", proxy=" + (proxyUrl == null ? "unchanged" : "[given]") + "]";
    }

    /** True when the draft sets URL rules (each part is replaced together: hosts, https_only, private_networks). */
    public boolean setsUrlRules() {
        return hosts != null || httpsOnly != null || privateNetworks != null;
    }
}
