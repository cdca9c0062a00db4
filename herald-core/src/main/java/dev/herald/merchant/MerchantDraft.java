package dev.herald.merchant;

import java.util.List;

/**
 * The fields of a merchant as a client sends them to create or change one; null means "not given" (kept as it is, or
 * the default on creation). {@code maxInFlight} 0 returns to the node's cap. {@link #operatorFields()} names the
 * controls only the operator may set.
 */
public record MerchantDraft(String name, String ack, boolean rotateSecret, Integer maxInFlight, String status, Boolean listed,
                            List<String> hosts, Boolean httpsOnly, List<String> privateNetworks, List<String> syncTypes, Integer defaultPriority) {
    /** Only a name, ack rule or secret rotation: what a merchant may change of itself. */
    public static MerchantDraft own(String name, String ack, boolean rotateSecret) {
        return new MerchantDraft(name, ack, rotateSecret, null, null, null, null, null, null, null, null);
    }

    /** True when the draft sets URL rules (each part is replaced together: hosts, https_only, private_networks). */
    public boolean setsUrlRules() {
        return hosts != null || httpsOnly != null || privateNetworks != null;
    }
}
