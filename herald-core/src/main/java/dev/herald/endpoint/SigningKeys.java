package dev.herald.endpoint;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import dev.herald.sdk.KeyAlgorithm;
import dev.herald.sdk.SigningKey;
import dev.herald.seal.SealContext;
import dev.herald.seal.Vault;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * SQL for the asymmetric signing keys (Ed25519 for {@code v1a}, RSA for {@code rsa-sha256}) of an owner — a merchant,
 * or an endpoint without one. An owner has one current key per algorithm; a rotated key keeps signing beside its
 * successor until it retires, and at most {@value #MAX_SIGNING_PER_ALGORITHM} keys of an algorithm sign at once. Private
 * keys are sealed at rest.
 */
public final class SigningKeys {
    private final Vault vault;

    /** Private keys are sealed at rest by {@code vault}, each bound to its owner and kid. */
    public SigningKeys(Vault vault) {
        this.vault = java.util.Objects.requireNonNull(vault, "vault");
    }

    /** At most this many keys of one algorithm sign at once: the current one and the newest of those in a rotation's overlap. */
    public static final int MAX_SIGNING_PER_ALGORITHM = 3;
    /** At most {@value #MAX_ROTATIONS} rotations of one owner's keys in any {@link #ROTATION_WINDOW}. */
    public static final int MAX_ROTATIONS = 5;
    public static final Duration ROTATION_WINDOW = Duration.ofHours(1);

    /** Who owns a key: {@code merchant} or {@code endpoint}, and its id. */
    public record Owner(String type, String id) {
        /** The owner of {@code e}'s keys: its merchant, else the endpoint itself. */
        public static Owner of(Endpoint e) {
            return e.merchantId() != null ? new Owner("merchant", e.merchantId()) : new Owner("endpoint", e.id());
        }
    }

    /** A stored key: the key, when it was made and when it stops signing (null: current). */
    public record Held(SigningKey key, Instant createdAt, Instant retiresAt) {
        /** True when it still signs at {@code now}. */
        public boolean signsAt(Instant now) {
            return retiresAt == null || now.isBefore(retiresAt);
        }
    }

    /** Makes a current key of each of {@code algorithms} that {@code owner} lacks. */
    public void ensure(Connection c, Owner owner, Set<KeyAlgorithm> algorithms, Instant now) throws SQLException {
        Set<KeyAlgorithm> have = Set.copyOf(currentAlgorithms(c, owner));
        for (KeyAlgorithm a : algorithms) {
            if (!have.contains(a)) {
                insert(c, owner, KeyGeneration.make(a), now);
            }
        }
    }

    /** The algorithms of {@code owner}'s current keys. */
    public List<KeyAlgorithm> currentAlgorithms(Connection c, Owner owner) throws SQLException {
        return Jdbc.query(c, "select algorithm from signing_keys where owner_type = ? and owner_id = ? and retires_at is null order by algorithm", ps -> {
            ps.setString(1, owner.type());
            ps.setString(2, owner.id());
        }, rs -> KeyAlgorithm.valueOf(rs.getString(1)));
    }

    /** New keys of {@code algorithms}, made off the caller's thread (see {@link KeyGeneration}), for {@link #rotate}. */
    public static Map<KeyAlgorithm, SigningKey> make(List<KeyAlgorithm> algorithms) {
        Map<KeyAlgorithm, SigningKey> made = new EnumMap<>(KeyAlgorithm.class);
        algorithms.forEach(a -> made.put(a, KeyGeneration.make(a)));
        return made;
    }

    /**
     * When {@code owner} may rotate next: empty when it may now, else the moment the oldest of its last
     * {@value #MAX_ROTATIONS} rotations leaves the {@link #ROTATION_WINDOW}. A rotation is a set of keys made at one
     * moment after the owner's first keys.
     */
    public Optional<Instant> nextRotation(Connection c, Owner owner, Instant now) throws SQLException {
        List<Instant> recent = Jdbc.query(c, "select distinct created_at from signing_keys where owner_type = ? and owner_id = ? and created_at > ?"
                + " and created_at > (select min(created_at) from signing_keys where owner_type = ? and owner_id = ?) order by created_at desc limit ?", ps -> {
            ps.setString(1, owner.type());
            ps.setString(2, owner.id());
            ps.setTimestamp(3, ts(now.minus(ROTATION_WINDOW)));
            ps.setString(4, owner.type());
            ps.setString(5, owner.id());
            ps.setInt(6, MAX_ROTATIONS);
        }, rs -> instant(rs, "created_at"));
        return recent.size() < MAX_ROTATIONS ? Optional.empty() : Optional.of(recent.getLast().plus(ROTATION_WINDOW));
    }

    /** Holds {@code owner}'s keys until the transaction ends, so its rotations run one after another (on every node). */
    public void lock(Connection c, Owner owner) throws SQLException {
        Jdbc.query(c, "select pg_advisory_xact_lock(hashtext(?))", ps -> ps.setString(1, "signing_keys:" + owner.type() + ":" + owner.id()), rs -> 1);
    }

    /**
     * Replaces each current key of {@code owner} with a new one of its algorithm (from {@code fresh}, else made now); the
     * replaced ones keep signing until {@code overlapEnds}, and of the keys still in an overlap only the newest
     * {@code MAX_SIGNING_PER_ALGORITHM - 1} of each algorithm do: the older retire now. Returns how many were replaced.
     */
    public int rotate(Connection c, Owner owner, Instant now, Instant overlapEnds, Map<KeyAlgorithm, SigningKey> fresh) throws SQLException {
        List<String> algorithms = Jdbc.query(c, "update signing_keys set retires_at = ? where owner_type = ? and owner_id = ? and retires_at is null"
                + " returning algorithm", ps -> {
            ps.setTimestamp(1, ts(overlapEnds));
            ps.setString(2, owner.type());
            ps.setString(3, owner.id());
        }, rs -> rs.getString(1));
        Jdbc.update(c, "update signing_keys k set retires_at = ? from (select kid, row_number() over (partition by algorithm order by created_at desc, kid) n"
                + " from signing_keys where owner_type = ? and owner_id = ? and retires_at > ?) o"
                + " where k.owner_type = ? and k.owner_id = ? and k.kid = o.kid and o.n >= ?", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setString(2, owner.type());
            ps.setString(3, owner.id());
            ps.setTimestamp(4, ts(now));
            ps.setString(5, owner.type());
            ps.setString(6, owner.id());
            ps.setInt(7, MAX_SIGNING_PER_ALGORITHM);
        });
        for (String a : algorithms) {
            KeyAlgorithm algorithm = KeyAlgorithm.valueOf(a);
            SigningKey key = fresh.get(algorithm);
            insert(c, owner, key != null ? key : KeyGeneration.make(algorithm), now);
        }
        return algorithms.size();
    }

    /** The keys of {@code owner} that sign at {@code now}, current first. */
    public List<Held> of(Connection c, Owner owner, Instant now) throws SQLException {
        return Jdbc.query(c, "select owner_type, owner_id, kid, private_key, created_at, retires_at from signing_keys where owner_type = ? and owner_id = ?"
                + " and (retires_at is null or retires_at > ?) order by retires_at nulls first, created_at desc", ps -> {
            ps.setString(1, owner.type());
            ps.setString(2, owner.id());
            ps.setTimestamp(3, ts(now));
        }, this::held);
    }

    /** Every owner's keys that sign at {@code now}, current first (for the endpoint registry). */
    public Map<Owner, List<Held>> all(Connection c, Instant now) throws SQLException {
        Map<Owner, List<Held>> out = new HashMap<>();
        Jdbc.query(c, "select owner_type, owner_id, kid, private_key, created_at, retires_at from signing_keys where retires_at is null or retires_at > ?"
                + " order by retires_at nulls first, created_at desc", ps -> ps.setTimestamp(1, ts(now)), rs -> {
            out.computeIfAbsent(new Owner(rs.getString(1), rs.getString(2)), o -> new ArrayList<>()).add(held(rs));
            return null;
        });
        return out;
    }

    private Held held(java.sql.ResultSet rs) throws SQLException {
        Owner owner = new Owner(rs.getString("owner_type"), rs.getString("owner_id"));
        SigningKey key = SigningKey.parse(vault.open(rs.getString("private_key"), place(owner, rs.getString("kid"))));
        return new Held(key, instant(rs, "created_at"), instant(rs, "retires_at"));
    }

    private static SealContext place(Owner owner, String kid) {
        return new SealContext("signing_keys", "private_key", owner.type() + ":" + owner.id() + ":" + kid);
    }

    private void insert(Connection c, Owner owner, SigningKey key, Instant now) throws SQLException {
        Jdbc.update(c, "insert into signing_keys (owner_type, owner_id, kid, algorithm, private_key, public_key, created_at) values (?,?,?,?,?,?,?)", ps -> {
            ps.setString(1, owner.type());
            ps.setString(2, owner.id());
            ps.setString(3, key.kid());
            ps.setString(4, key.algorithm().name());
            ps.setString(5, vault.seal(key.encoded(), place(owner, key.kid())));
            ps.setString(6, key.verificationKey().encoded());
            ps.setTimestamp(7, ts(now));
        });
    }
}
