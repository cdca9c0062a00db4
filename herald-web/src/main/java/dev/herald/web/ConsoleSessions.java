package dev.herald.web;

import dev.herald.store.Jdbc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Browser sessions of the console: an API key exchanged for a random 256-bit session id that a cookie carries. Only the
 * id's SHA-256 is stored (table {@code console_sessions}), so any node can check a session and a copy of the table logs
 * no one in. A session stands for its key — same scopes, and it ends when the key is revoked — and ends at its absolute
 * expiry, after {@code idle} without use, or on logout.
 *
 * <p>The CSRF token of a session is derived from its id ({@link #csrfToken}): the page reads it from the session
 * endpoint and sends it back in {@code X-CSRF-Token}; another site can neither read it nor compute it.
 */
public final class ConsoleSessions {
    /** The cookie that carries the session id. */
    public static final String COOKIE = "herald_session";
    /** The header every cookie-authenticated change must carry. */
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{43}");
    /** Last-use times are written at most this often per session, not on every request. */
    private static final Duration TOUCH = Duration.ofMinutes(1);

    /** A live session: the key it stands for and when it ends at the latest. */
    public record Session(String keyId, Instant expiresAt) {}

    /** A session just opened: the id for the cookie (never stored) and its CSRF token. */
    public record Opened(String id, String csrfToken, Instant expiresAt) {}

    /**
     * Told of a session opened or closed inside the transaction that does it (e.g. to record it in an audit log): a hook
     * that throws rolls it back. It hears the session's key and expiry, never the session id.
     */
    @FunctionalInterface
    public interface ChangeHook {
        /** A hook that does nothing. */
        ChangeHook NONE = (c, s) -> {};

        void changed(Connection c, Session session) throws SQLException;
    }

    private final Jdbc jdbc;
    private final Clock clock;
    private final Duration absolute;
    private final Duration idle;
    private final SecureRandom random = new SecureRandom();

    public ConsoleSessions(Jdbc jdbc, Clock clock, Duration absolute, Duration idle) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.absolute = absolute;
        this.idle = idle;
    }

    /** Sessions of 12 hours at most, ended after 30 minutes without use. */
    public ConsoleSessions(Jdbc jdbc, Clock clock) {
        this(jdbc, clock, Duration.ofHours(12), Duration.ofMinutes(30));
    }

    /** How long a session lasts at most (the cookie's Max-Age). */
    public Duration absolute() {
        return absolute;
    }

    /**
     * Opens a session for key {@code keyId}; expired sessions of every key are cleared on the way. {@code hook} hears of
     * it in the same transaction.
     */
    public Opened open(String keyId, ChangeHook hook) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = clock.instant();
        Instant expires = now.plus(absolute);
        jdbc.inTransaction(c -> {
            Jdbc.update(c, "delete from console_sessions where expires_at < ? or last_seen_at < ?", ps -> {
                ps.setTimestamp(1, Jdbc.ts(now));
                ps.setTimestamp(2, Jdbc.ts(now.minus(idle)));
            });
            Jdbc.update(c, "insert into console_sessions (id_hash, key_id, created_at, last_seen_at, expires_at) values (?,?,?,?,?)", ps -> {
                ps.setBytes(1, sha256("session:" + id));
                ps.setString(2, keyId);
                ps.setTimestamp(3, Jdbc.ts(now));
                ps.setTimestamp(4, Jdbc.ts(now));
                ps.setTimestamp(5, Jdbc.ts(expires));
            });
            hook.changed(c, new Session(keyId, expires));
            return null;
        });
        return new Opened(id, csrfToken(id), expires);
    }

    /** The live session {@code id} names, if any, noting its use (written at most once a minute). */
    public Optional<Session> find(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        byte[] hash = sha256("session:" + id);
        record Row(String keyId, Instant lastSeen, Instant expires) {}
        List<Row> rows = jdbc.read(c -> Jdbc.query(c, "select key_id, last_seen_at, expires_at from console_sessions where id_hash = ?",
                ps -> ps.setBytes(1, hash), rs -> new Row(rs.getString(1), Jdbc.instant(rs, "last_seen_at"), Jdbc.instant(rs, "expires_at"))));
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Row row = rows.getFirst();
        if (!now.isBefore(row.expires()) || !now.isBefore(row.lastSeen().plus(idle))) {
            return Optional.empty();
        }
        if (!now.isBefore(row.lastSeen().plus(TOUCH))) {
            jdbc.inTransaction(c -> Jdbc.update(c, "update console_sessions set last_seen_at = ? where id_hash = ?", ps -> {
                ps.setTimestamp(1, Jdbc.ts(now));
                ps.setBytes(2, hash);
            }));
        }
        return Optional.of(new Session(row.keyId(), row.expires()));
    }

    /**
     * Ends session {@code id} (logout) and answers it; {@code hook} hears of it in the same transaction. Nothing happens
     * for an unknown id (empty).
     */
    public Optional<Session> close(String id, ChangeHook hook) {
        if (id == null || !ID.matcher(id).matches()) {
            return Optional.empty();
        }
        return jdbc.inTransaction(c -> {
            List<Session> closed = Jdbc.query(c, "delete from console_sessions where id_hash = ? returning key_id, expires_at",
                    ps -> ps.setBytes(1, sha256("session:" + id)), rs -> new Session(rs.getString(1), Jdbc.instant(rs, "expires_at")));
            if (closed.isEmpty()) {
                return Optional.<Session>empty();
            }
            hook.changed(c, closed.getFirst());
            return Optional.of(closed.getFirst());
        });
    }

    /** The CSRF token of session {@code id}. */
    public static String csrfToken(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256("csrf:" + id));
    }

    /** True when {@code presented} is the CSRF token of session {@code id} (compared in constant time). */
    public static boolean csrfMatches(String id, String presented) {
        return presented != null && MessageDigest.isEqual(csrfToken(id).getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] sha256(String s) {
        return ApiKeyStore.hash(s);
    }
}
