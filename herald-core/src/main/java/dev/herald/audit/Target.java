package dev.herald.audit;

import java.util.Objects;

/**
 * What a change was made to: its kind ({@code endpoint}, {@code merchant}, {@code api_key}, {@code delivery}), its id and
 * the merchant it belongs to (null for the operator's own), which decides which merchant's key may read the entry.
 */
public record Target(String type, String id, String merchantId) {
    public Target {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(id, "id");
    }

    public static Target endpoint(String id, String merchantId) {
        return new Target("endpoint", id, merchantId);
    }

    public static Target merchant(String id) {
        return new Target("merchant", id, id);
    }

    public static Target apiKey(String id, String merchantId) {
        return new Target("api_key", id, merchantId);
    }

    public static Target delivery(String id, String merchantId) {
        return new Target("delivery", id, merchantId);
    }
}
