package dev.herald.bus;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A durable queue bound to the finance exchange by routing patterns ({@code *} one word, {@code #} any words).
 * {@code maxPriority} 0 means no priority queue; {@code messageTtl} null means messages never expire.
 * Rejected (dead-lettered) and expired messages go to {@link Topology#DEAD_LETTER_EXCHANGE}.
 */
public record QueueSpec(String name, List<String> bindings, int maxPriority, Duration messageTtl) {
    public QueueSpec {
        Objects.requireNonNull(name, "name");
        bindings = List.copyOf(bindings);
        if (maxPriority < 0 || maxPriority > 255) {
            throw new IllegalArgumentException("maxPriority must be 0..255");
        }
    }
}
