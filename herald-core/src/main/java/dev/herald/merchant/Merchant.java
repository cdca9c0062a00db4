package dev.herald.merchant;

import dev.herald.endpoint.AckRule;
import java.time.Instant;

/** A receiving organisation's notification settings: the secret that signs its notify_url callbacks and its ack rule. */
public record Merchant(String id, String name, String secret, AckRule ack, Instant createdAt, Instant updatedAt) {
    @Override
    public String toString() {
        return "Merchant[id=" + id + ", ack=" + ack + "]";
    }
}
