package dev.herald.endpoint;

import dev.herald.store.Jdbc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The live (not deleted) endpoints held in memory for fan-out and dispatch. Reloaded after every local change
 * and periodically, so a read never waits on the database.
 */
public final class EndpointRegistry {
    private final Jdbc jdbc;
    private final EndpointRepository repository;
    private volatile Map<String, EndpointRepository.Stored> byId = Map.of();

    public EndpointRegistry(Jdbc jdbc, EndpointRepository repository) {
        this.jdbc = jdbc;
        this.repository = repository;
    }

    /** Replaces the snapshot with the database's current rows. */
    public synchronized void reload() {
        Map<String, EndpointRepository.Stored> next = new HashMap<>();
        for (EndpointRepository.Stored s : jdbc.read(repository::all)) {
            next.put(s.endpoint().id(), s);
        }
        byId = Map.copyOf(next);
    }

    public Optional<EndpointRepository.Stored> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Live endpoints subscribed to {@code type} (active or not: a paused endpoint's deliveries wait). */
    public List<Endpoint> matching(String type, String targetMerchant) {
        List<Endpoint> out = new ArrayList<>();
        for (EndpointRepository.Stored s : byId.values()) {
            if (s.endpoint().wants(type, targetMerchant)) {
                out.add(s.endpoint());
            }
        }
        return out;
    }
}
