package dev.herald.seal;

import dev.herald.store.Jdbc;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secrets at rest: AES-256-GCM under a data key, bound to their place ({@link SealContext} is the associated
 * data). Data keys live in {@code data_keys} wrapped by the {@link MasterKey}; {@link #open(Jdbc, MasterKey)} unwraps
 * them once, so sealing and opening never call the master key (or a KMS) again.
 *
 * <p>A sealed value is text, {@code sealed:v1:<data key id>:<base64(nonce | ciphertext | tag)>}, fit for a
 * {@code text} column. A repository takes the Vault in its constructor and seals on write, opens on read:
 * <pre>{@code
 *   ps.setString(3, vault.seal(secret, new SealContext("merchants", "secret", id)));
 *   String secret = vault.open(rs.getString("secret"), new SealContext("merchants", "secret", id));
 * }</pre>
 * Keys and other byte secrets go through {@link #sealBytes}/{@link #openBytes}. Values written before sealing existed
 * are opened as they are (plaintext) until {@link #sealPlaintext} has sealed them.
 */
public final class Vault {
    private static final String PREFIX = "sealed:v1:";
    private static final Pattern SEALED = Pattern.compile("sealed:v1:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9+/]+={0,2}");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final int CACHE = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Jdbc jdbc;
    private final MasterKey master;
    private final DataKeyRepository repository = new DataKeyRepository();
    private final Map<String, SecretKey> keys = new ConcurrentHashMap<>();
    private final String currentId;
    /** Opened values by sealed text and place: the registry's reloads and signing do not decrypt again. */
    private final Map<String, String> opened = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > CACHE;
        }
    };

    private Vault(Jdbc jdbc, MasterKey master, Map<String, SecretKey> keys, String currentId) {
        this.jdbc = jdbc;
        this.master = master;
        this.keys.putAll(keys);
        this.currentId = currentId;
    }

    /**
     * The vault of the database behind {@code jdbc} (migrated to V17): its data keys unwrapped with {@code master};
     * the first data key is made (and stored wrapped) on the first open of a database.
     *
     * @throws WrongMasterKeyException if the data keys were wrapped by another master key
     */
    public static Vault open(Jdbc jdbc, MasterKey master) {
        Objects.requireNonNull(master, "a master key is required to seal secrets at rest");
        DataKeyRepository repository = new DataKeyRepository();
        List<DataKeyRepository.Row> rows = jdbc.read(c -> repository.all(c, false));
        if (rows.isEmpty()) {
            byte[] raw = newDataKey();
            String id = newDataKeyId();
            jdbc.inTransaction(c -> repository.insertFirst(c, id, master.wrap(raw), master.id()));
            Arrays.fill(raw, (byte) 0);
            rows = jdbc.read(c -> repository.all(c, false));
        }
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        String current = null;
        for (DataKeyRepository.Row row : rows) {
            keys.put(row.id(), unwrap(master, row));
            if (row.current()) {
                current = row.id();
            }
        }
        if (current == null) {
            throw new SealException("the database holds data keys but none is current");
        }
        return new Vault(jdbc, master, keys, current);
    }

    /** True once the database behind {@code jdbc} holds data keys (i.e. secrets may be sealed under some master key). */
    public static boolean hasDataKeys(Jdbc jdbc) {
        return jdbc.read(c -> new DataKeyRepository().any(c));
    }

    /** What {@link #rotateMaster} did: data keys re-wrapped, data keys already under the new key, the new data key's id or null. */
    public record Rotation(int rewrapped, int alreadyWrapped, String newDataKeyId) {}

    /**
     * Re-wraps every data key under {@code next} in one transaction; idempotent (keys already under {@code next} are left
     * alone). With {@code newDataKey}, also adds a new current data key (wrapped by {@code next}); the old ones stay
     * and open what they sealed. Nodes running meanwhile keep their unwrapped keys; restart them with {@code next}.
     * Pass the same key as both for a new data key without a new master key.
     *
     * @throws WrongMasterKeyException if a data key is wrapped by neither {@code current} nor {@code next}
     */
    public static Rotation rotateMaster(Jdbc jdbc, MasterKey current, MasterKey next, boolean newDataKey) {
        DataKeyRepository repository = new DataKeyRepository();
        return jdbc.inTransaction(c -> {
            int rewrapped = 0;
            int already = 0;
            for (DataKeyRepository.Row row : repository.all(c, true)) {
                if (row.masterKeyId().equals(next.id())) {
                    already++;
                    continue;
                }
                byte[] raw = unwrap(current, row).getEncoded();
                repository.rewrap(c, row.id(), next.wrap(raw), next.id());
                Arrays.fill(raw, (byte) 0);
                rewrapped++;
            }
            String added = null;
            if (newDataKey) {
                byte[] raw = newDataKey();
                added = newDataKeyId();
                repository.insertCurrent(c, added, next.wrap(raw), next.id());
                Arrays.fill(raw, (byte) 0);
            }
            return new Rotation(rewrapped, already, added);
        });
    }

    /** True when {@code value} has the form of a sealed value (it may still fail to open). */
    public static boolean isSealed(String value) {
        return value != null && value.startsWith(PREFIX) && SEALED.matcher(value).matches();
    }

    /** {@code plaintext} sealed for {@code where}; null stays null. */
    public String seal(String plaintext, SealContext where) {
        return plaintext == null ? null : sealBytes(plaintext.getBytes(StandardCharsets.UTF_8), where);
    }

    /**
     * The plaintext of a value {@link #seal} sealed for {@code where}; null stays null, and a value that is not sealed
     * (written before sealing existed) is returned as it is.
     *
     * @throws SealException if the value was sealed for another place, altered, or under an unknown data key
     */
    public String open(String stored, SealContext where) {
        if (stored == null || !stored.startsWith(PREFIX)) {
            return stored;
        }
        String cacheKey = where.table() + '\0' + where.column() + '\0' + where.rowId() + '\0' + stored;
        synchronized (opened) {
            String hit = opened.get(cacheKey);
            if (hit != null) {
                return hit;
            }
        }
        String plaintext = new String(openBytes(stored, where), StandardCharsets.UTF_8);
        synchronized (opened) {
            opened.put(cacheKey, plaintext);
        }
        return plaintext;
    }

    /** {@code bytes} sealed for {@code where} under the current data key. */
    public String sealBytes(byte[] bytes, SealContext where) {
        Objects.requireNonNull(bytes, "bytes");
        byte[] box = Aead.encrypt(keys.get(currentId), bytes, where.associatedData());
        return PREFIX + currentId + ":" + Base64.getEncoder().encodeToString(box);
    }

    /**
     * The bytes {@link #sealBytes} sealed for {@code where}.
     *
     * @throws SealException if {@code sealed} is not a sealed value, was sealed for another place, was altered, or names
     *                       a data key this node cannot unwrap
     */
    public byte[] openBytes(String sealed, SealContext where) {
        if (!isSealed(sealed)) {
            throw new SealException("the value of " + where + " is not a sealed value");
        }
        int colon = sealed.indexOf(':', PREFIX.length());
        String keyId = sealed.substring(PREFIX.length(), colon);
        byte[] box = Base64.getDecoder().decode(sealed.substring(colon + 1));
        return Aead.decrypt(key(keyId, where), box, where.associatedData(),
                "the value of " + where + " does not open: it was sealed for another place or altered");
    }

    /**
     * Seals up to {@code limit} plaintext values of {@code table.column} (text, rows keyed by {@code id}), locking them
     * {@code for update skip locked} so nodes starting together seal each value once; returns how many it sealed.
     */
    public int sealPlaintext(Connection c, String table, String column, int limit) throws SQLException {
        if (!IDENTIFIER.matcher(table).matches() || !IDENTIFIER.matcher(column).matches()) {
            throw new IllegalArgumentException("not a plain SQL identifier: " + table + "." + column);
        }
        record Plain(String id, String value) {}
        List<Plain> rows = Jdbc.query(c, "select id, " + column + " from " + table + " where " + column + " is not null and " + column
                + " not like 'sealed:v1:%' order by id limit ? for update skip locked", ps -> ps.setInt(1, limit),
                rs -> new Plain(rs.getString(1), rs.getString(2)));
        for (Plain p : rows) {
            Jdbc.update(c, "update " + table + " set " + column + " = ? where id = ?", ps -> {
                ps.setString(1, seal(p.value(), new SealContext(table, column, p.id())));
                ps.setString(2, p.id());
            });
        }
        return rows.size();
    }

    /** The id of the master key this vault's data keys were unwrapped with. */
    public String masterKeyId() {
        return master.id();
    }

    /** The id of the data key new values are sealed under. */
    public String currentDataKeyId() {
        return currentId;
    }

    @Override
    public String toString() {
        return "Vault[master=" + master.id() + ", current=" + currentId + ", dataKeys=" + keys.size() + "]";
    }

    /** The data key {@code id}; one this node has not seen (added since it started) is loaded from the database once. */
    private SecretKey key(String id, SealContext where) {
        SecretKey k = keys.get(id);
        if (k != null) {
            return k;
        }
        synchronized (keys) {
            if (!keys.containsKey(id)) {
                for (DataKeyRepository.Row row : jdbc.read(c -> repository.all(c, false))) {
                    if (!keys.containsKey(row.id()) && row.id().equals(id)) {
                        keys.put(row.id(), unwrap(master, row));
                    }
                }
            }
        }
        k = keys.get(id);
        if (k == null) {
            throw new SealException("the value of " + where + " is sealed under data key " + id + ", which the database does not hold");
        }
        return k;
    }

    private static SecretKey unwrap(MasterKey master, DataKeyRepository.Row row) {
        if (!row.masterKeyId().equals(master.id())) {
            throw new WrongMasterKeyException(master.id(), row.masterKeyId());
        }
        byte[] raw;
        try {
            raw = master.unwrap(row.wrapped());
        } catch (SealException e) {
            throw new WrongMasterKeyException(master.id(), row.masterKeyId());
        }
        if (raw.length != 32) {
            throw new SealException("data key " + row.id() + " is not an AES-256 key");
        }
        SecretKey k = new SecretKeySpec(raw, "AES");
        Arrays.fill(raw, (byte) 0);
        return k;
    }

    private static byte[] newDataKey() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return raw;
    }

    private static String newDataKeyId() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return "dk" + HexFormat.of().formatHex(b);
    }
}
