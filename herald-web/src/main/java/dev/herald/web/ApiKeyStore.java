package dev.herald.web;

import dev.herald.store.Jdbc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer API keys, stored only as SHA-256 hashes (keys are 190-bit random, so a plain hash is enough); the plain key is
 * shown once, when made, and afterwards only its prefix identifies it.
 *
 * <p>The live keys are held in memory, so a presented key — valid or garbage — costs no database query. The set is
 * re-checked at most {@code maxAge} after it was last checked: one query reads a change counter that every insert,
 * update or delete of the key table bumps (a statement trigger), and only a changed counter reloads the keys. A key
 * revoked or deleted on any node therefore stops working everywhere within {@code maxAge} (1 s by default).
 *
 * <p>The table is the caller's: {@code id text, name text, key_hash bytea unique, prefix text, origin text,
 * scopes text[], merchant_id text, created_at timestamptz, revoked_at timestamptz, last_used_at timestamptz}, with a
 * one-row {@code <table>_version (version bigint)} kept by that trigger (see Herald's and the bank's migrations). Use is
 * noted in memory and written by {@link #flushLastUsed()} in one statement, which does not move the counter.
 */
public final class ApiKeyStore {
    private static final Logger log = LoggerFactory.getLogger(ApiKeyStore.class);
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_]{0,40}");
    private static final int MIN_LENGTH = 16;
    /** How many leading characters of a key are stored in the clear and shown as its prefix. */
    public static final int PREFIX_LENGTH = 6;
    /** Longer presented keys are refused unread, so a longer configured key could never be used. */
    public static final int MAX_LENGTH = 200;

    /** A live key as the store knows it: its scopes and, for a merchant's key, its merchant. */
    public record Key(String id, String name, String merchantId, Set<String> scopes) {
        public Key {
            scopes = Set.copyOf(scopes);
        }

        /** True when the key holds {@code scope}. */
        public boolean has(String scope) {
            return scopes.contains(scope);
        }
    }

    /** A stored key as a listing shows it (never the key itself). */
    public record Listed(String id, String name, String prefix, String merchantId, List<String> scopes, String origin, Instant createdAt,
                         Instant lastUsedAt, Instant revokedAt) {}

    /** A key just made: its record and the key itself, shown this once. */
    public record Made(Listed key, String secret) {}

    /**
     * Told of a change to a key inside the transaction that makes it (e.g. to record it in an audit log): a hook that
     * throws rolls the change back. {@code before} is null for a new key; neither ever holds the key itself.
     */
    @FunctionalInterface
    public interface ChangeHook {
        /** A hook that does nothing. */
        ChangeHook NONE = (c, before, after) -> {};

        void changed(Connection c, Listed before, Listed after) throws SQLException;
    }

    private record Snapshot(Map<String, Key> byHash, Map<String, Key> byId, Set<String> prefixes, long version, Instant checkedAt) {
        Snapshot(Map<String, Key> byHash, Set<String> prefixes, long version, Instant checkedAt) {
            this(byHash, byHash.values().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Key::id, k -> k)), prefixes, version, checkedAt);
        }

        Snapshot checked(Instant at) {
            return new Snapshot(byHash, byId, prefixes, version, at);
        }
    }

    private final Jdbc jdbc;
    private final String table;
    private final Clock clock;
    private final Duration maxAge;
    private final ReentrantLock refreshing = new ReentrantLock();
    private final Map<String, Instant> used = new ConcurrentHashMap<>();
    private volatile Snapshot snapshot;

    /** Keys of {@code table}, re-checked at most one second after the last check. */
    public ApiKeyStore(Jdbc jdbc, String table, Clock clock) {
        this(jdbc, table, clock, Duration.ofSeconds(1));
    }

    public ApiKeyStore(Jdbc jdbc, String table, Clock clock, Duration maxAge) {
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
        this.jdbc = jdbc;
        this.table = table;
        this.clock = clock;
        this.maxAge = maxAge;
    }

    /** The rule a configured key must meet, in the words of the setting that configures it (e.g. HERALD_ADMIN_KEY). */
    public static String rule(String setting) {
        return setting + " must be " + MIN_LENGTH + "-" + MAX_LENGTH + " printable ASCII characters without spaces";
    }

    /** True when {@code key} may be configured (see {@link #rule}). */
    public static boolean acceptable(String key) {
        return key != null && key.length() >= MIN_LENGTH && key.length() <= MAX_LENGTH && key.chars().allMatch(c -> c > ' ' && c <= '~');
    }

    /**
     * Makes sure a key exists. With {@code configured} that key is registered and every other configured key is revoked
     * (restarting with a new configured key retires the old one); otherwise, when no live key is stored, a key is
     * generated (starting with {@code prefix}) and returned so the caller can print it once.
     */
    public Optional<String> bootstrap(String configured, String prefix) {
        Instant now = clock.instant();
        if (configured != null) {
            if (!acceptable(configured)) {
                throw new IllegalArgumentException(rule("the configured key"));
            }
            byte[] hash = hash(configured);
            jdbc.inTransaction(c -> {
                Jdbc.update(c, "update " + table + " set revoked_at = ? where origin = 'configured' and revoked_at is null and key_hash <> ?", ps -> {
                    ps.setTimestamp(1, Jdbc.ts(now));
                    ps.setBytes(2, hash);
                });
                insert(c, "configured", "configured", configured, now);
                return null;
            });
            snapshot = null;
            return Optional.empty();
        }
        Optional<String> made = jdbc.inTransaction(c -> {
            Jdbc.update(c, "lock table " + table + " in share row exclusive mode", ps -> {}); // two nodes starting at once make one key
            if (!Jdbc.query(c, "select 1 from " + table + " where revoked_at is null limit 1", ps -> {}, rs -> 1).isEmpty()) {
                return Optional.<String>empty();
            }
            String key = generate(prefix);
            insert(c, "admin", "generated", key, now);
            return Optional.of(key);
        });
        snapshot = null;
        return made;
    }

    /** True when a live key holds {@code scope} (e.g. "admin"). */
    public boolean anyLive(String scope) {
        return jdbc.read(c -> !Jdbc.query(c, "select 1 from " + table + " where revoked_at is null and ? = any(scopes) limit 1",
                ps -> ps.setString(1, scope), rs -> 1).isEmpty());
    }

    /**
     * The live key {@code presented} is, if any, noting its use. Costs no query unless the in-memory set is due for its
     * re-check.
     */
    public Optional<Key> verify(String presented) {
        if (presented == null || presented.isEmpty() || presented.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        Key key = current().byHash().get(HexFormat.of().formatHex(hash(presented)));
        if (key != null) {
            used.put(key.id(), clock.instant());
        }
        return Optional.ofNullable(key);
    }

    /** The prefix that is stored and shown for {@code key}: its first {@value #PREFIX_LENGTH} characters. */
    public static String prefixOf(String key) {
        return key.substring(0, Math.min(PREFIX_LENGTH, key.length()));
    }

    /** True when some live key has the prefix {@code prefix} (prefixes are shown in key lists; they are no secret). */
    public boolean livePrefix(String prefix) {
        return prefix != null && current().prefixes().contains(prefix);
    }

    /**
     * The live key with id {@code id}, if any (e.g. the key a console session was opened with), noting its use; a
     * revoked key is gone here on every node within {@code maxAge}.
     */
    public Optional<Key> live(String id) {
        Key key = id == null ? null : current().byId().get(id);
        if (key != null) {
            used.put(key.id(), clock.instant());
        }
        return Optional.ofNullable(key);
    }

    /**
     * Makes a key named {@code name} with {@code scopes}, bound to {@code merchantId} (null: none), and returns it with
     * the key itself ({@code prefix} and 32 random characters), which is stored only as its hash; {@code hook} hears of it
     * in the same transaction.
     */
    public Made create(String name, String merchantId, List<String> scopes, String prefix, ChangeHook hook) {
        String key = generate(prefix);
        Instant now = clock.instant();
        String id = "key_" + UUID.randomUUID().toString().replace("-", "");
        Listed listed = new Listed(id, name, prefixOf(key), merchantId, List.copyOf(scopes), "api", now, null, null);
        jdbc.inTransaction(c -> {
            Jdbc.update(c, "insert into " + table + " (id, name, key_hash, prefix, origin, scopes, merchant_id, created_at)"
                    + " values (?,?,?,?,'api',?,?,?)", ps -> {
                ps.setString(1, id);
                ps.setString(2, name);
                ps.setBytes(3, hash(key));
                ps.setString(4, prefixOf(key));
                ps.setArray(5, Jdbc.textArray(c, scopes));
                ps.setString(6, merchantId);
                ps.setTimestamp(7, Jdbc.ts(now));
            });
            hook.changed(c, null, listed);
            return null;
        });
        snapshot = null;
        return new Made(listed, key);
    }

    /**
     * Revokes every live key holding the admin scope and makes a new admin key named {@code name}, in one transaction
     * ({@code hook} hears of each revocation, then of the new key): the way back in when the admin key is lost.
     * Takes effect on every node within a second.
     */
    public Made replaceAdmin(String name, String prefix, ChangeHook hook) {
        String key = generate(prefix);
        Instant now = clock.instant();
        String id = "key_" + UUID.randomUUID().toString().replace("-", "");
        Listed made = new Listed(id, name, key.substring(0, 6), null, List.of("admin"), "generated", now, null, null);
        jdbc.inTransaction(c -> {
            List<Listed> revoked = Jdbc.query(c, "update " + table + " set revoked_at = ? where revoked_at is null and 'admin' = any(scopes)"
                    + " returning id, name, prefix, merchant_id, scopes, origin, created_at, last_used_at, revoked_at", ps -> ps.setTimestamp(1, Jdbc.ts(now)),
                    ApiKeyStore::listed);
            for (Listed after : revoked) {
                hook.changed(c, new Listed(after.id(), after.name(), after.prefix(), after.merchantId(), after.scopes(), after.origin(),
                        after.createdAt(), after.lastUsedAt(), null), after);
            }
            Jdbc.update(c, "insert into " + table + " (id, name, key_hash, prefix, origin, scopes, created_at) values (?,?,?,?,'generated',?,?)", ps -> {
                ps.setString(1, id);
                ps.setString(2, name);
                ps.setBytes(3, hash(key));
                ps.setString(4, key.substring(0, 6));
                ps.setArray(5, Jdbc.textArray(c, List.of("admin")));
                ps.setTimestamp(6, Jdbc.ts(now));
            });
            hook.changed(c, null, made);
            return null;
        });
        snapshot = null;
        return new Made(made, key);
    }

    /** Live keys, oldest first, of {@code merchantId} only when it is not null; at most {@code limit} after {@code afterId}. */
    public List<Listed> list(String merchantId, String afterId, int limit) {
        return jdbc.read(c -> Jdbc.query(c, "select id, name, prefix, merchant_id, scopes, origin, created_at, last_used_at, revoked_at from "
                + table + " where revoked_at is null and (?::text is null or merchant_id = ?) and id > ? order by id limit ?", ps -> {
            ps.setString(1, merchantId);
            ps.setString(2, merchantId);
            ps.setString(3, afterId == null ? "" : afterId);
            ps.setInt(4, limit);
        }, ApiKeyStore::listed));
    }

    private static Listed listed(java.sql.ResultSet rs) throws SQLException {
        return new Listed(rs.getString("id"), rs.getString("name"), rs.getString("prefix"), rs.getString("merchant_id"),
                Jdbc.strings(rs, "scopes"), rs.getString("origin"), Jdbc.instant(rs, "created_at"), Jdbc.instant(rs, "last_used_at"),
                Jdbc.instant(rs, "revoked_at"));
    }

    /**
     * Revokes the live key {@code id} (of {@code merchantId} only, when not null); false when there is none. {@code hook}
     * hears of it in the same transaction. Takes effect on every node within a second.
     */
    public boolean revoke(String id, String merchantId, ChangeHook hook) {
        Instant now = clock.instant();
        boolean done = jdbc.inTransaction(c -> {
            List<Listed> revoked = Jdbc.query(c, "update " + table + " set revoked_at = ? where id = ? and revoked_at is null"
                    + " and (?::text is null or merchant_id = ?) returning id, name, prefix, merchant_id, scopes, origin, created_at, last_used_at,"
                    + " revoked_at", ps -> {
                ps.setTimestamp(1, Jdbc.ts(now));
                ps.setString(2, id);
                ps.setString(3, merchantId);
                ps.setString(4, merchantId);
            }, ApiKeyStore::listed);
            if (revoked.isEmpty()) {
                return false;
            }
            Listed after = revoked.getFirst();
            hook.changed(c, new Listed(after.id(), after.name(), after.prefix(), after.merchantId(), after.scopes(), after.origin(),
                    after.createdAt(), after.lastUsedAt(), null), after);
            return true;
        });
        if (done) {
            snapshot = null;
        }
        return done;
    }

    /** Writes the last-use times noted since the previous flush, in one statement; call it every few seconds. */
    public void flushLastUsed() {
        if (used.isEmpty()) {
            return;
        }
        Map<String, Instant> batch = new HashMap<>(used);
        batch.forEach(used::remove);
        String[] ids = batch.keySet().toArray(String[]::new);
        java.sql.Timestamp[] times = batch.values().stream().map(Jdbc::ts).toArray(java.sql.Timestamp[]::new);
        jdbc.inTransaction(c -> Jdbc.update(c, "update " + table + " k set last_used_at = greatest(k.last_used_at, v.at)"
                + " from unnest(?::text[], ?::timestamptz[]) as v(id, at) where k.id = v.id", ps -> {
            ps.setArray(1, c.createArrayOf("text", ids));
            ps.setArray(2, c.createArrayOf("timestamptz", times));
        }));
    }

    /** A new random key: {@code prefix} and 32 characters of [0-9a-zA-Z]. */
    public static String generate(String prefix) {
        SecureRandom r = new SecureRandom();
        StringBuilder sb = new StringBuilder(prefix);
        for (int i = 0; i < 32; i++) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        if (s != null && now.isBefore(s.checkedAt().plus(maxAge))) {
            return s;
        }
        if (s == null) {
            refreshing.lock();
        } else if (!refreshing.tryLock()) {
            return s; // another request is re-checking right now
        }
        try {
            Snapshot latest = snapshot;
            if (latest != null && now.isBefore(latest.checkedAt().plus(maxAge))) {
                return latest;
            }
            try {
                snapshot = load(latest, now);
            } catch (RuntimeException e) {
                if (latest == null) {
                    throw e; // nothing to answer from: the caller sees the database error
                }
                log.warn("could not re-check the API keys in {} ({}); using the set read at {}", table, e.getMessage(), latest.checkedAt());
                snapshot = latest.checked(now); // next try after maxAge, not on every request
            }
            return snapshot;
        } finally {
            refreshing.unlock();
        }
    }

    private Snapshot load(Snapshot previous, Instant now) {
        return jdbc.read(c -> {
            long version = Jdbc.query(c, "select version from " + table + "_version", ps -> {}, rs -> rs.getLong(1)).getFirst();
            if (previous != null && previous.version() == version) {
                return previous.checked(now);
            }
            Map<String, Key> keys = new HashMap<>();
            Set<String> prefixes = new java.util.HashSet<>();
            Jdbc.query(c, "select id, name, key_hash, prefix, merchant_id, scopes from " + table + " where revoked_at is null", ps -> {}, rs -> {
                if (rs.getString("prefix") != null) {
                    prefixes.add(rs.getString("prefix"));
                }
                return keys.put(HexFormat.of().formatHex(rs.getBytes("key_hash")), new Key(rs.getString("id"), rs.getString("name"),
                        rs.getString("merchant_id"), Set.copyOf(Jdbc.strings(rs, "scopes"))));
            });
            return new Snapshot(Map.copyOf(keys), Set.copyOf(prefixes), version, now);
        });
    }

    private void insert(Connection c, String name, String origin, String key, Instant now) throws SQLException {
        Jdbc.update(c, "insert into " + table + " (id, name, key_hash, prefix, origin, created_at) values (?,?,?,?,?,?) on conflict (key_hash) do nothing", ps -> {
            ps.setString(1, "key_" + UUID.randomUUID().toString().replace("-", ""));
            ps.setString(2, name);
            ps.setBytes(3, hash(key));
            ps.setString(4, prefixOf(key));
            ps.setString(5, origin);
            ps.setTimestamp(6, Jdbc.ts(now));
        });
    }

    static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
