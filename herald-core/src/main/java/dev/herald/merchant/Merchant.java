package dev.herald.merchant;

import dev.herald.endpoint.AckRule;
import java.time.Instant;

/**
 * A receiving organisation's settings: the secret that signs its notify_url callbacks, its ack rule, and its own cap on
 * tries in flight across all its endpoints ({@code maxInFlight}; null: the node's default).
 */
public record Merchant(String id, String name, String secret, AckRule ack, Integer maxInFlight, Instant createdAt, Instant updatedAt) {
    @Override
    public String toString() {
        return "Merchant[id=" + id + ", ack=" + ack + ", maxInFlight=" + maxInFlight + "]";
    }
}
