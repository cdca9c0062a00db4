package dev.herald.endpoint;

import dev.herald.http.OutboundProfile;
import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureScheme;
import dev.herald.sdk.SigningKey;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The live (not deleted) endpoints held in memory for fan-out and dispatch, indexed by subscription so matching an
 * event looks at its exact type, its prefixes and {@code *} only. Refreshed after every local change, reloaded when the
 * ingest transaction sees a change made elsewhere ({@link #catchUp}) and periodically; a read never waits on the database.
 */
public final class EndpointRegistry {
    private final Jdbc jdbc;
    private final EndpointRepository repository;
    private final SigningKeys signingKeys;
    private final Clock clock;
    private final boolean allowListMode;
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of(), Map.of(), List.of(), Map.of(), Map.of(), Map.of(), Map.of());
    private volatile long loadedChanges = -1;

    private record Snapshot(Map<String, EndpointRepository.Stored> byId, Map<String, List<Endpoint>> exact,
                            Map<String, List<Endpoint>> prefix, List<Endpoint> all, Map<String, MerchantPolicy> merchants,
                            Map<SigningKeys.Owner, List<SigningKeys.Held>> keys, Map<String, PayloadKey> payloadKeys,
                            Map<String, OutboundProfile> profiles) {}

    /** With {@code allowListMode}, only merchants on the allow-list receive (see {@link MerchantPolicy}). */
    public EndpointRegistry(Jdbc jdbc, EndpointRepository repository, SigningKeys signingKeys, Clock clock, boolean allowListMode) {
        this.jdbc = jdbc;
        this.repository = repository;
        this.signingKeys = signingKeys;
        this.clock = clock;
        this.allowListMode = allowListMode;
    }

    /** Replaces the snapshot with the database's current rows. */
    public void reload() {
        jdbc.read(c -> {
            reload(c);
            return null;
        });
    }

    /**
     * Reloads on {@code c} if any endpoint changed since the snapshot was loaded (through this node or another one).
     * Called inside the transaction that fans events out, so an endpoint committed before it is never missed.
     */
    public void catchUp(Connection c) throws SQLException {
        if (repository.changeCount(c) != loadedChanges) {
            reload(c);
        }
    }

    /**
     * As {@link #catchUp(Connection)}, with the change counter already read on {@code c} (by the statement that inserted
     * the events); true when the registry was behind and has been reloaded.
     */
    public boolean catchUp(Connection c, long changeCount) throws SQLException {
        if (changeCount == loadedChanges) {
            return false;
        }
        reload(c);
        return true;
    }

    private synchronized void reload(Connection c) throws SQLException {
        long changes = repository.changeCount(c); // read first: a change committed meanwhile triggers one more reload
        Map<String, PayloadKey> payloadKeys = new HashMap<>();
        repository.payloadKeys(c).forEach((m, k) -> payloadKeys.put(m, PayloadKey.parse(k)));
        index(repository.all(c), repository.merchantPolicies(c), signingKeys.all(c, clock.instant()), payloadKeys);
        loadedChanges = changes;
    }

    /** Re-reads one endpoint (after a local change), its owner's signing keys and its merchant's payload key, not the others. */
    public synchronized void refresh(String id) {
        Map<String, EndpointRepository.Stored> rows = new HashMap<>(snapshot.byId());
        Map<SigningKeys.Owner, List<SigningKeys.Held>> keys = new HashMap<>(snapshot.keys());
        Map<String, PayloadKey> payloadKeys = new HashMap<>(snapshot.payloadKeys());
        jdbc.read(c -> {
            Optional<EndpointRepository.Stored> found = repository.find(c, id, false);
            found.ifPresentOrElse(s -> rows.put(id, s), () -> rows.remove(id));
            if (found.isPresent()) {
                Endpoint e = found.get().endpoint();
                SigningKeys.Owner owner = SigningKeys.Owner.of(e);
                keys.put(owner, signingKeys.of(c, owner, clock.instant()));
                if (e.merchantId() != null) {
                    String k = repository.payloadKey(c, e.merchantId());
                    if (k == null) {
                        payloadKeys.remove(e.merchantId());
                    } else {
                        payloadKeys.put(e.merchantId(), PayloadKey.parse(k));
                    }
                }
            }
            return null;
        });
        index(rows.values(), snapshot.merchants(), keys, payloadKeys);
    }

    /**
     * What signs (and seals) {@code e}'s requests at {@code now}: its schemes, its owner's keys that sign now, and its
     * merchant's payload key if its bodies are sealed.
     */
    public Signing signing(Endpoint e, Instant now) {
        Snapshot s = snapshot;
        boolean asymmetric = e.signatureSchemes().has(SignatureScheme.V1A) || e.signatureSchemes().has(SignatureScheme.RSA_SHA256);
        List<SigningKey> keys = !asymmetric ? List.of() // the default HMAC-only path looks up no keys
                : s.keys().getOrDefault(SigningKeys.Owner.of(e), List.of()).stream().filter(h -> h.signsAt(now)).map(SigningKeys.Held::key).toList();
        return new Signing(e.signatureSchemes(), keys, e.sealed() && e.merchantId() != null ? s.payloadKeys().get(e.merchantId()) : null);
    }

    private void index(java.util.Collection<EndpointRepository.Stored> rows, Map<String, MerchantPolicy> merchants,
                       Map<SigningKeys.Owner, List<SigningKeys.Held>> keys, Map<String, PayloadKey> payloadKeys) {
        Map<String, EndpointRepository.Stored> byId = new HashMap<>();
        Map<String, List<Endpoint>> exact = new HashMap<>();
        Map<String, List<Endpoint>> prefix = new HashMap<>();
        List<Endpoint> all = new ArrayList<>();
        Map<String, OutboundProfile> profiles = new HashMap<>();
        for (EndpointRepository.Stored s : rows) {
            Endpoint e = s.endpoint();
            byId.put(e.id(), s);
            OutboundProfile profile = (e.merchantId() == null ? MerchantPolicy.UNREGISTERED
                    : merchants.getOrDefault(e.merchantId(), MerchantPolicy.UNREGISTERED)).profileFor(e);
            if (profile != null) {
                profiles.put(e.id(), profile);
            }
            // a notify_url target receives its merchant's notifications only, never an event by subscription: nothing is
            // delivered by fan-out to an endpoint that no endpoint list shows
            for (String p : e.notification() ? List.<String>of() : e.events()) {
                if (p.equals("*")) {
                    all.add(e);
                } else if (p.endsWith(".*")) {
                    prefix.computeIfAbsent(p.substring(0, p.length() - 1), k -> new ArrayList<>()).add(e);
                } else {
                    exact.computeIfAbsent(p, k -> new ArrayList<>()).add(e);
                }
            }
        }
        snapshot = new Snapshot(Map.copyOf(byId), Map.copyOf(exact), Map.copyOf(prefix), List.copyOf(all), Map.copyOf(merchants), Map.copyOf(keys),
                Map.copyOf(payloadKeys), Map.copyOf(profiles));
    }

    /** How Herald connects to {@code e} (its merchant's controls, its own TLS override); null: the node's defaults. */
    public OutboundProfile profile(Endpoint e) {
        return snapshot.profiles().get(e.id());
    }

    /** The merchant's own cap on tries in flight, if it set one. */
    public java.util.OptionalInt merchantCap(String merchantId) {
        Integer cap = policy(merchantId).maxInFlight();
        return cap == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(cap);
    }

    /** The policy of {@code merchantId} as this node last loaded it. */
    public MerchantPolicy policy(String merchantId) {
        return snapshot.merchants().getOrDefault(merchantId, MerchantPolicy.UNREGISTERED);
    }

    /**
     * True when {@code merchantId} has a merchant record: known from the snapshot, or else (made since it was loaded,
     * perhaps through another node) found in the database, so only an id the snapshot lacks costs a query.
     */
    public boolean merchantExists(String merchantId) {
        return snapshot.merchants().containsKey(merchantId) || jdbc.read(c -> repository.merchantExists(c, merchantId));
    }

    /** True when deliveries to endpoints of {@code merchantId} (null: the operator's own) may be sent now. */
    public boolean receiving(String merchantId) {
        return merchantId == null || policy(merchantId).receiving(allowListMode);
    }

    /** True when new events and notifications for {@code merchantId} are refused (blocked, or not on the allow-list). */
    public boolean refusesNew(String merchantId) {
        return merchantId != null && policy(merchantId).refusesNew(allowListMode);
    }

    public Optional<EndpointRepository.Stored> get(String id) {
        return Optional.ofNullable(snapshot.byId().get(id));
    }

    /**
     * Live webhook endpoints subscribed to {@code type} (active or not: a paused endpoint's deliveries wait), each once;
     * endpoints of merchants that take no new events (blocked, or off the allow-list) and notify_url targets are left out.
     */
    public List<Endpoint> matching(String type, String targetMerchant) {
        Snapshot s = snapshot;
        Set<Endpoint> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Endpoint> out = new ArrayList<>();
        collect(s.exact().get(type), type, targetMerchant, seen, out);
        for (int dot = type.indexOf('.'); dot > 0; dot = type.indexOf('.', dot + 1)) {
            collect(s.prefix().get(type.substring(0, dot + 1)), type, targetMerchant, seen, out);
        }
        collect(s.all(), type, targetMerchant, seen, out);
        return out;
    }

    private void collect(List<Endpoint> candidates, String type, String targetMerchant, Set<Endpoint> seen, List<Endpoint> out) {
        if (candidates == null) {
            return;
        }
        for (Endpoint e : candidates) {
            if (e.wants(type, targetMerchant) && !refusesNew(e.merchantId()) && seen.add(e)) {
                out.add(e);
            }
        }
    }
}
