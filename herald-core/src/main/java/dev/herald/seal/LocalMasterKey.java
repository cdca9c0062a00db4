package dev.herald.seal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shipped {@link MasterKey}: 32 random bytes given as base64 or hex (HERALD_MASTER_KEY, a key file, or the
 * {@code master.key} Herald generates in an embedded data directory). Its id is a short hash of the key.
 * Data keys are wrapped with AES-256-GCM under it. {@link #toString()} shows the id only.
 */
public final class LocalMasterKey implements MasterKey {
    /** The file an embedded data directory keeps its generated master key in. */
    public static final String DATA_DIR_FILE = "master.key";
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final byte[] WRAP_AAD = "herald-data-key-v1".getBytes(StandardCharsets.US_ASCII);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKey key;
    private final String id;

    private LocalMasterKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
        this.id = "local-" + HexFormat.of().formatHex(sha256(raw), 0, 6);
        Arrays.fill(raw, (byte) 0);
    }

    /** A new random key. */
    public static LocalMasterKey generate() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return new LocalMasterKey(raw);
    }

    /**
     * The key written as {@code text}: 64 hex digits or the base64 (standard or URL-safe) of 32 bytes.
     *
     * @param source what the text came from (e.g. "HERALD_MASTER_KEY"), for the error message, which never shows the text
     * @throws IllegalArgumentException if {@code text} is neither
     */
    public static LocalMasterKey parse(String text, String source) {
        String t = text == null ? "" : text.strip();
        byte[] raw = null;
        if (HEX.matcher(t).matches()) {
            raw = HexFormat.of().parseHex(t);
        } else {
            try {
                raw = (t.indexOf('-') >= 0 || t.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(t);
            } catch (IllegalArgumentException e) {
                raw = null;
            }
        }
        if (raw == null || raw.length != 32) {
            throw new IllegalArgumentException(source + " must hold a master key of 32 random bytes as base64 or 64 hex digits"
                    + " (e.g. from 'openssl rand -base64 32')");
        }
        return new LocalMasterKey(raw);
    }

    /**
     * The key in {@code file}.
     *
     * @throws IllegalArgumentException if the file cannot be read or holds no key (the message names the file only)
     */
    public static LocalMasterKey read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), "master key file " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("master key file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
    }

    /**
     * The key of an embedded data directory: read from {@code file} if it exists, else generated and written there
     * (owner read/write only) — unless {@code databaseHasDataKeys}, when a lost key is never silently replaced.
     *
     * @throws SealException if the file is missing while the database holds data keys
     */
    public static LocalMasterKey forDataDir(Path file, boolean databaseHasDataKeys) {
        if (Files.exists(file)) {
            return read(file);
        }
        if (databaseHasDataKeys) {
            throw new SealException("the master key file " + file + " is missing but the database holds secrets sealed under a master key;"
                    + " restore the file (or set HERALD_MASTER_KEY / --master-key-file to that key). Herald will not generate a new one,"
                    + " which could never open them");
        }
        LocalMasterKey k = generate();
        try {
            k.writeNew(file);
        } catch (FileAlreadyExistsException e) {
            return read(file); // another process made it first
        } catch (IOException e) {
            throw new SealException("cannot write the master key file " + file + ": " + e.getClass().getSimpleName(), e);
        }
        return k;
    }

    /** Writes this key to {@code file}, which must not exist, readable and writable by its owner only (0600). */
    public void writeNew(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, encoded() + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Replaces {@code file} with this key atomically (a temporary file, 0600, moved over it). */
    public void replace(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        writeNew(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The key as base64, as {@link #parse} reads it: for writing a key file, never for a log. */
    public String encoded() {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public byte[] wrap(byte[] dataKey) {
        return Aead.encrypt(key, dataKey, WRAP_AAD);
    }

    @Override
    public byte[] unwrap(byte[] wrapped) {
        return Aead.decrypt(key, wrapped, WRAP_AAD, "a data key could not be unwrapped with master key " + id);
    }

    @Override
    public String toString() {
        return "LocalMasterKey[id=" + id + "]";
    }

    private static byte[] sha256(byte[] raw) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("herald-master-key-id".getBytes(StandardCharsets.US_ASCII));
            return d.digest(raw);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
