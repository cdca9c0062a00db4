package dev.herald.bank.api;

import dev.herald.bank.support.Hashing;
import dev.herald.store.Jdbc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The bank's API keys, stored only as SHA-256 hashes (keys are long and random, so a plain hash suffices). */
public final class ApiKeys {
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    /** What a configured key must look like. */
    public static final String RULE = "BANK_API_KEY must be 16-200 printable ASCII characters without spaces";

    private final Jdbc jdbc;
    private final Clock clock;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public ApiKeys(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** True when {@code key} may be configured. */
    public static boolean acceptable(String key) {
        return key != null && key.length() >= 16 && key.length() <= 200 && key.chars().allMatch(c -> c > ' ' && c <= '~');
    }

    /**
     * Registers {@code configured} if given; otherwise, when no key is stored yet, generates one and returns it (to be
     * printed once: it is never shown again).
     */
    public Optional<String> bootstrap(String configured) {
        if (configured != null) {
            if (!acceptable(configured)) {
                throw new IllegalArgumentException(RULE);
            }
            store(configured);
            return Optional.empty();
        }
        boolean any = !jdbc.read(c -> Jdbc.query(c, "select 1 from bank_api_keys limit 1", ps -> {}, rs -> 1)).isEmpty();
        if (any) {
            return Optional.empty();
        }
        SecureRandom r = new SecureRandom();
        StringBuilder key = new StringBuilder("bk_");
        for (int i = 0; i < 32; i++) {
            key.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        store(key.toString());
        return Optional.of(key.toString());
    }

    /** True when {@code presented} is a stored key. */
    public boolean verify(String presented) {
        if (presented == null || presented.isEmpty() || presented.length() > 200) {
            return false;
        }
        byte[] hash = Hashing.sha256(presented.getBytes(StandardCharsets.UTF_8));
        String hex = HexFormat.of().formatHex(hash);
        if (known.contains(hex)) {
            return true;
        }
        boolean ok = !jdbc.read(c -> Jdbc.query(c, "select key_hash from bank_api_keys where key_hash = ?", ps -> ps.setBytes(1, hash),
                rs -> rs.getBytes(1))).stream().filter(h -> MessageDigest.isEqual(h, hash)).toList().isEmpty();
        if (ok) {
            known.add(hex);
        }
        return ok;
    }

    private void store(String key) {
        jdbc.inTransaction(c -> Jdbc.update(c, "insert into bank_api_keys (key_hash, prefix, created_at) values (?, ?, ?) on conflict do nothing", ps -> {
            ps.setBytes(1, Hashing.sha256(key.getBytes(StandardCharsets.UTF_8)));
            ps.setString(2, key.substring(0, 6));
            ps.setTimestamp(3, Jdbc.ts(clock.instant()));
        }));
    }
}
