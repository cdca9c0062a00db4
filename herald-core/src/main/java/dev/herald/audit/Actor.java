package dev.herald.audit;

import java.util.Objects;

/** Who made a change: the API key's id and name, and the merchant the key is bound to (null for an operator key). */
public record Actor(String keyId, String keyName, String merchantId) {
    public Actor {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(keyName, "keyName");
    }
}
