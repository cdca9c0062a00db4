package dev.herald.endpoint;

import java.util.Objects;

/**
 * What fan-out and dispatch need to know of an endpoint's merchant: its own in-flight cap (null: the node's), its
 * status ({@code active}, {@code suspended}, {@code blocked}), whether it is on the deployment's allow-list, and the
 * URL rules its receivers keep.
 */
public record MerchantPolicy(Integer maxInFlight, String status, boolean listed, UrlRules urlRules) {
    public static final String ACTIVE = "active";
    public static final String SUSPENDED = "suspended";
    public static final String BLOCKED = "blocked";
    /** The policy of a merchant id without a merchant record: active, not listed, no rules. */
    public static final MerchantPolicy UNREGISTERED = new MerchantPolicy(null, ACTIVE, false, UrlRules.NONE);

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
}
