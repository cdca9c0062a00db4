package dev.herald.merchant;

import dev.herald.endpoint.AckRule;
import dev.herald.endpoint.MerchantPolicy;
import dev.herald.endpoint.UrlRules;
import dev.herald.http.ProxySettings;
import dev.herald.http.TlsSettings;
import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import java.time.Instant;
import java.util.List;

/**
 * A receiving organisation: the secret that signs its notify_url callbacks (and, during a rotation, the replaced one
 * until {@code previousSecretUntil}) and its ack rule — its own settings — and the controls its operator sets: its cap
 * on tries in flight ({@code maxInFlight}; null: the node's default), its {@code status} ({@code active},
 * {@code suspended}, {@code blocked}), whether it is on the deployment's allow-list, the URL rules its receivers keep,
 * and how its notifications are routed when the caller does not say ({@code syncTypes}, {@code defaultPriority}).
 * {@code signatureSchemes} sign its notify_url callbacks; {@code payloadKey} (write-only, null when none) seals the
 * bodies of its endpoints that ask for encryption. {@code tls} (client certificate, trust, pins, minimum version) and
 * {@code proxy} (the egress "special line") say how Herald connects to its receivers; each null when not set.
 * {@code retentionDays} keeps its work (deliveries to its endpoints, events targeting it) longer than the node's
 * retention; null: the node's.
 */
public record Merchant(String id, String name, String secret, String previousSecret, Instant previousSecretUntil, AckRule ack,
                       Integer maxInFlight, String status, boolean listed, UrlRules urlRules, List<String> syncTypes, int defaultPriority,
                       SignatureSchemes signatureSchemes, PayloadKey payloadKey, TlsSettings tls, ProxySettings proxy, Instant createdAt,
                       Instant updatedAt, Integer retentionDays) {
    public Merchant {
        syncTypes = List.copyOf(syncTypes);
    }

    /** What fan-out and dispatch need of it. */
    public MerchantPolicy policy() {
        return new MerchantPolicy(maxInFlight, status, listed, urlRules, tls, proxy);
    }

    @Override
    public String toString() {
        return "Merchant[id=" + id + ", status=" + status + ", ack=" + ack + ", maxInFlight=" + maxInFlight + "]";
    }
}
