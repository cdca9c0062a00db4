package dev.herald.merchant;

import dev.herald.endpoint.AckRule;
import java.time.Instant;

/**
 * A receiving organisation's settings: the secret that signs its notify_url callbacks (and, during a rotation, the
 * replaced one until {@code previousSecretUntil}), its ack rule, and its own cap on tries in flight across all its
 * endpoints ({@code maxInFlight}; null: the node's default).
 */
public record Merchant(String id, String name, String secret, String previousSecret, Instant previousSecretUntil, AckRule ack,
                       Integer maxInFlight, Instant createdAt, Instant updatedAt) {
    @Override
    public String toString() {
        return "Merchant[id=" + id + ", ack=" + ack + ", maxInFlight=" + maxInFlight + "]";
    }
}
