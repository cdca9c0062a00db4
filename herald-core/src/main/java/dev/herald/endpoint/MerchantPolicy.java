package dev.herald.endpoint;

import dev.herald.http.OutboundProfile;
import dev.herald.http.ProxySettings;
import dev.herald.http.TlsSettings;
import java.util.Objects;

/**
 * What fan-out and dispatch need to know of an endpoint's merchant: its own in-flight cap (null: the node's), its
 * status ({@code active}, {@code suspended}, {@code blocked}), whether it is on the deployment's allow-list, the URL
 * rules its receivers keep, and how Herald connects to them: its TLS settings and egress proxy (each null: none).
 */
public record MerchantPolicy(Integer maxInFlight, String status, boolean listed, UrlRules urlRules, TlsSettings tls, ProxySettings proxy) {
    public static final String ACTIVE = "active";
    public static final String SUSPENDED = "suspended";
    public static final String BLOCKED = "blocked";
    /** The policy of a merchant id without a merchant record: active, not listed, no rules. */
    public static final MerchantPolicy UNREGISTERED = new MerchantPolicy(null, ACTIVE, false, UrlRules.NONE, null, null);

    public MerchantPolicy {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(urlRules, "urlRules");
    }

    /** True when deliveries to this merchant may be sent now (others wait, never dropped). */
    public boolean receiving(boolean allowListMode) {
        return status.equals(ACTIVE) && (!allowListMode || listed);
    }

    /** True when new events and notifications for this merchant are refused. */
    public boolean refusesNew(boolean allowListMode) {
        return status.equals(BLOCKED) || (allowListMode && !listed);
    }

    /**
     * How Herald connects to {@code e} (one of this merchant's endpoints): the merchant's private networks, https rule
     * and proxy, and the endpoint's TLS settings or else the merchant's; null when none of them is set (the node's
     * defaults, the shared client).
     */
    public OutboundProfile profileFor(Endpoint e) {
        TlsSettings t = e.tls() != null ? e.tls() : tls;
        if (urlRules.privateNetworks().isEmpty() && !urlRules.httpsOnly() && t == null && proxy == null) {
            return null;
        }
        return new OutboundProfile(urlRules.privateNetworks(), urlRules.httpsOnly(), t, proxy);
    }
}
