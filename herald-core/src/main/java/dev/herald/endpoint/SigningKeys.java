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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SQL for the asymmetric signing keys (Ed25519 for {@code v1a}, RSA for {@code rsa-sha256}) of an owner — a merchant,
 * or an endpoint without one. An owner has one current key per algorithm; a rotated key keeps signing beside its
 * successor until it retires. Private keys are sealed at rest.
 */
public final class SigningKeys {
    private final Vault vault;

    /** Private keys are sealed at rest by {@code vault}, each bound to its owner and kid. */
    public SigningKeys(Vault vault) {
        this.vault = java.util.Objects.requireNonNull(vault, "vault");
    }

    /** RSA keys Herald makes: 3072 bits (2048 is the floor; 3072 is good past 2030). */
    static final int RSA_BITS = 3072;

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
        Set<String> have = new java.util.HashSet<>(Jdbc.query(c, "select algorithm from signing_keys where owner_type = ? and owner_id = ?"
                + " and retires_at is null", ps -> {
            ps.setString(1, owner.type());
            ps.setString(2, owner.id());
        }, rs -> rs.getString(1)));
        for (KeyAlgorithm a : algorithms) {
            if (!have.contains(a.name())) {
                insert(c, owner, a == KeyAlgorithm.ED25519 ? SigningKey.generateEd25519() : SigningKey.generateRsa(RSA_BITS), now);
            }
        }
    }

    /**
     * Replaces each current key of {@code owner} with a new one of its algorithm; the replaced ones keep signing until
     * {@code overlapEnds}. Returns how many were replaced.
     */
    public int rotate(Connection c, Owner owner, Instant now, Instant overlapEnds) throws SQLException {
        List<String> algorithms = Jdbc.query(c, "update signing_keys set retires_at = ? where owner_type = ? and owner_id = ? and retires_at is null"
                + " returning algorithm", ps -> {
            ps.setTimestamp(1, ts(overlapEnds));
            ps.setString(2, owner.type());
            ps.setString(3, owner.id());
        }, rs -> rs.getString(1));
        for (String a : algorithms) {
            insert(c, owner, KeyAlgorithm.valueOf(a) == KeyAlgorithm.ED25519 ? SigningKey.generateEd25519() : SigningKey.generateRsa(RSA_BITS), now);
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
