package dev.herald.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The hand-written consumer's routing table, as a payment team keeps it in its configuration: per event type, the
 * merchant URLs subscribed to it and each one's shared secret. Built from the same workload and fleet Herald's phase
 * creates its endpoints from, so both send every event to the same endpoints.
 */
final class Subscriptions {
    /** One merchant URL and the secret its signatures are made with (the classic scheme keys HMAC with the secret's UTF-8 bytes). */
    record Subscriber(URI url, byte[] secret) {}

    private final Map<String, List<Subscriber>> byType;

    private Subscriptions(Map<String, List<Subscriber>> byType) {
        this.byType = byType;
    }

    /** Endpoint {@code i} of {@code fleet} subscribed to {@code workload.subscription(i)}, each with a random secret. */
    static Subscriptions of(Workload workload, Fleet fleet) {
        SecureRandom random = new SecureRandom();
        Map<String, List<Subscriber>> byType = new HashMap<>();
        for (int ep = 0; ep < workload.endpoints(); ep++) {
            byte[] key = new byte[24];
            random.nextBytes(key);
            String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
            byType.computeIfAbsent(workload.subscription(ep), t -> new ArrayList<>())
                    .add(new Subscriber(fleet.uri(ep), secret.getBytes(StandardCharsets.UTF_8)));
        }
        byType.replaceAll((t, l) -> List.copyOf(l));
        return new Subscriptions(Map.copyOf(byType));
    }

    /** The subscribers of {@code eventType}, empty when none. */
    List<Subscriber> of(String eventType) {
        return byType.getOrDefault(eventType, List.of());
    }
}
