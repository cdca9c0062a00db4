package dev.herald.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * How the embedded cluster authenticates: a random password for the superuser, kept in {@value #PASSWORD_FILE}
 * (0600) inside the 0700 data directory, and a {@code pg_hba.conf} that asks for it (SCRAM-SHA-256) on every
 * connection, over TCP and over the Unix socket alike.
 */
final class EmbeddedAuth {

    static final String PASSWORD_FILE = "herald.password";
    /** The password of {@link EmbeddedPostgres#RUNTIME_USER}, the role Herald's pool runs as. */
    static final String RUNTIME_PASSWORD_FILE = "herald.runtime-password";
    static final String HBA = """
            # Written by Herald on every start; changes here are overwritten. Every connection, over the Unix socket
            # or from this host, must prove it knows the password in herald.password (SCRAM-SHA-256).
            # TYPE  DATABASE  USER  ADDRESS        METHOD
            local   all       all                  scram-sha-256
            host    all       all   127.0.0.1/32   scram-sha-256
            host    all       all   ::1/128        scram-sha-256
            """;
    private static final int SCRAM_ITERATIONS = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    private EmbeddedAuth() {}

    /** A new random password: 256 bits, URL-safe base64 (so it needs no escaping in a URL or in SQL). */
    static String newPassword() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * The SCRAM-SHA-256 verifier PostgreSQL stores for {@code password} (RFC 5802/7677, as {@code pg_authid} holds it):
     * given to {@code ALTER ROLE … PASSWORD}, the server stores it as is, so the password itself never reaches it.
     */
    static String scramVerifier(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        try {
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, SCRAM_ITERATIONS, 256)).getEncoded();
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(hmac(salted, "Client Key"));
            byte[] serverKey = hmac(salted, "Server Key");
            Base64.Encoder b64 = Base64.getEncoder();
            return "SCRAM-SHA-256$" + SCRAM_ITERATIONS + ":" + b64.encodeToString(salt) + "$"
                    + b64.encodeToString(storedKey) + ":" + b64.encodeToString(serverKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not compute a SCRAM-SHA-256 verifier: " + e.getMessage(), e);
        }
    }

    private static byte[] hmac(byte[] key, String message) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code dataDir} is set up the way Herald sets it up: a password file and Herald's {@code pg_hba.conf}. */
    static boolean configured(Path dataDir) {
        return Files.exists(dataDir.resolve(PASSWORD_FILE)) && HBA.equals(EmbeddedBinaries.read(dataDir.resolve("pg_hba.conf")));
    }

    /** Writes Herald's {@code pg_hba.conf} unless it is already there; the server reads it when it starts. */
    static void writeHba(Path dataDir) {
        if (!HBA.equals(EmbeddedBinaries.read(dataDir.resolve("pg_hba.conf")))) {
            writePrivate(dataDir.resolve("pg_hba.conf"), HBA);
        }
    }

    /** The password in {@code dataDir}'s password file, which must belong to {@code uid} (its mode is tightened to 0600). */
    static String readPassword(Path dataDir, int uid) {
        return read(dataDir.resolve(PASSWORD_FILE), uid);
    }

    /** The runtime role's password in {@code dataDir} (as {@link #readPassword}), made and written on first use. */
    static synchronized String runtimePassword(Path dataDir, int uid) {
        Path file = dataDir.resolve(RUNTIME_PASSWORD_FILE);
        if (!Files.exists(file)) {
            writePrivate(file, newPassword() + "\n");
        }
        return read(file, uid);
    }

    private static String read(Path file, int uid) {
        try {
            if (EmbeddedBinaries.owner(file) != uid) {
                throw new IllegalStateException(file + " belongs to uid " + EmbeddedBinaries.owner(file) + ", not to Herald's"
                        + " user (uid " + uid + "); remove it and restart Herald, which then sets a new password");
            }
            if ((EmbeddedBinaries.mode(file) & 077) != 0) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            String password = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (password.isEmpty()) {
                throw new IllegalStateException(file + " is empty; remove it and restart Herald, which then sets a new password");
            }
            return password;
        } catch (IOException e) {
            throw new IllegalStateException("could not read " + file + ": " + e.getMessage(), e);
        }
    }

    static void writePassword(Path dataDir, String password) {
        writePrivate(dataDir.resolve(PASSWORD_FILE), password + "\n");
    }

    /** Replaces {@code file} atomically by one with {@code text}, mode 0600 from its creation on. */
    static void writePrivate(Path file, String text) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (SeekableByteChannel ch = Files.newByteChannel(tmp,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("could not write " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing was written there, or the move took it
            }
        }
    }
}
