package dev.herald.server.auth;

import dev.herald.store.Jdbc;
import dev.herald.support.Ids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admin API keys, stored as SHA-256 hashes (keys are 190-bit random, so a plain hash is enough). The plain key is
 * shown once, when generated; afterwards only its prefix identifies it.
 */
public final class ApiKeys {
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final int MIN_LENGTH = 16;
    /** Longer presented keys are refused unread, so a longer configured key could never be used. */
    private static final int MAX_LENGTH = 200;
    /** What a configured admin key (HERALD_ADMIN_KEY) must look like. */
    public static final String RULE = "HERALD_ADMIN_KEY must be " + MIN_LENGTH + "-" + MAX_LENGTH + " printable ASCII characters without spaces";

    private final Jdbc jdbc;
    private final Clock clock;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public ApiKeys(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * Makes sure an admin key exists. With {@code configured} (HERALD_ADMIN_KEY) that key is registered; otherwise, on a
     * database without keys, a new key is generated and returned so the caller can print it once.
     */
    public Optional<String> bootstrap(String configured) {
        if (configured != null) {
            if (!acceptable(configured)) {
                throw new IllegalArgumentException(RULE);
            }
            insertIfAbsent("configured", configured);
            return Optional.empty();
        }
        boolean any = jdbc.read(c -> Jdbc.query(c, "select 1 from api_keys where revoked_at is null limit 1", ps -> {}, rs -> 1)).size() > 0;
        if (any) {
            return Optional.empty();
        }
        String key = generate();
        insertIfAbsent("admin", key);
        return Optional.of(key);
    }

    /** True when {@code key} may be configured as an admin key (see {@link #RULE}). */
    public static boolean acceptable(String key) {
        return key.length() >= MIN_LENGTH && key.length() <= MAX_LENGTH && key.chars().allMatch(c -> c > ' ' && c <= '~');
    }

    /** True when {@code presented} is a live key. */
    public boolean verify(String presented) {
        if (presented == null || presented.isEmpty() || presented.length() > MAX_LENGTH) {
            return false;
        }
        String hash = hashHex(presented);
        if (known.contains(hash)) {
            return true;
        }
        byte[] raw = hash(presented);
        boolean ok = !jdbc.read(c -> Jdbc.query(c, "select 1 from api_keys where key_hash = ? and revoked_at is null",
                ps -> ps.setBytes(1, raw), rs -> 1)).isEmpty();
        if (ok) {
            known.add(hash);
        }
        return ok;
    }

    private void insertIfAbsent(String name, String key) {
        jdbc.inTransaction(c -> Jdbc.update(c, "insert into api_keys (id, name, key_hash, prefix, created_at) values (?,?,?,?,?) on conflict (key_hash) do nothing", ps -> {
            ps.setString(1, Ids.next("key"));
            ps.setString(2, name);
            ps.setBytes(3, hash(key));
            ps.setString(4, key.substring(0, Math.min(6, key.length())));
            ps.setTimestamp(5, Timestamp.from(clock.instant()));
        }));
    }

    static String generate() {
        SecureRandom r = new SecureRandom();
        StringBuilder sb = new StringBuilder("hk_");
        for (int i = 0; i < 32; i++) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    private static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hashHex(String key) {
        return java.util.HexFormat.of().formatHex(hash(key));
    }

}
