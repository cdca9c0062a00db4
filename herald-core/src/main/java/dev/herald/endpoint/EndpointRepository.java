package dev.herald.endpoint;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.store.Jdbc;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for the {@code endpoints} table. Deleted endpoints are kept (their deliveries reference them) but never returned. */
public final class EndpointRepository {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, merchant_id, name, description, url, events, headers, secret, previous_secret, previous_secret_until,"
            + " is_active, disabled_reason, retry_attempts, retry_schedule, retry_preset, timeout_seconds, consecutive_failures, created_at, updated_at";

    /** An endpoint row with the secret being rotated out, if any. */
    public record Stored(Endpoint endpoint, String previousSecret, Instant previousSecretUntil) {}

    public void insert(Connection c, Endpoint e) throws SQLException {
        Jdbc.update(c, "insert into endpoints (" + COLUMNS + ") values (?,?,?,?,?,?,?::jsonb,?,null,null,?,?,?,?,?,?,?,?,?)", ps -> {
            ps.setString(1, e.id());
            ps.setString(2, e.merchantId());
            ps.setString(3, e.name());
            ps.setString(4, e.description());
            ps.setString(5, e.url().toString());
            ps.setArray(6, Jdbc.textArray(c, e.events()));
            ps.setString(7, json(e.headers()));
            ps.setString(8, e.secret());
            ps.setBoolean(9, e.active());
            ps.setString(10, e.disabledReason());
            ps.setInt(11, e.retryPolicy().attempts());
            ps.setArray(12, c.createArrayOf("integer", Arrays.stream(e.retryPolicy().scheduleSeconds()).boxed().toArray()));
            ps.setString(13, e.retryPolicy().preset());
            ps.setInt(14, e.timeoutSeconds());
            ps.setInt(15, e.consecutiveFailures());
            ps.setTimestamp(16, ts(e.createdAt()));
            ps.setTimestamp(17, ts(e.updatedAt()));
        });
    }

    /** Writes every mutable field of {@code e}; when the secret changed, the old one keeps signing until {@code rotationEnds}. */
    public void update(Connection c, Endpoint e, String oldSecret, Instant rotationEnds) throws SQLException {
        boolean rotated = !oldSecret.equals(e.secret());
        Jdbc.update(c, "update endpoints set merchant_id=?, name=?, description=?, url=?, events=?, headers=?::jsonb, secret=?,"
                + (rotated ? " previous_secret=?, previous_secret_until=?," : "")
                + " is_active=?, disabled_reason=?, retry_attempts=?, retry_schedule=?, retry_preset=?, timeout_seconds=?,"
                + " consecutive_failures=?, updated_at=? where id=? and deleted_at is null", ps -> {
            int i = 1;
            ps.setString(i++, e.merchantId());
            ps.setString(i++, e.name());
            ps.setString(i++, e.description());
            ps.setString(i++, e.url().toString());
            ps.setArray(i++, Jdbc.textArray(c, e.events()));
            ps.setString(i++, json(e.headers()));
            ps.setString(i++, e.secret());
            if (rotated) {
                ps.setString(i++, oldSecret);
                ps.setTimestamp(i++, ts(rotationEnds));
            }
            ps.setBoolean(i++, e.active());
            ps.setString(i++, e.disabledReason());
            ps.setInt(i++, e.retryPolicy().attempts());
            ps.setArray(i++, c.createArrayOf("integer", Arrays.stream(e.retryPolicy().scheduleSeconds()).boxed().toArray()));
            ps.setString(i++, e.retryPolicy().preset());
            ps.setInt(i++, e.timeoutSeconds());
            ps.setInt(i++, e.consecutiveFailures());
            ps.setTimestamp(i++, ts(e.updatedAt()));
            ps.setString(i, e.id());
        });
    }

    public Optional<Stored> find(Connection c, String id, boolean forUpdate) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from endpoints where id=? and deleted_at is null" + (forUpdate ? " for update" : ""),
                ps -> ps.setString(1, id), EndpointRepository::map).stream().findFirst();
    }

    /** Live endpoints after {@code afterId} in id order, optionally of one merchant. */
    public List<Stored> list(Connection c, String merchantId, String afterId, int limit) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from endpoints where deleted_at is null and (?::text is null or merchant_id=?)"
                + " and id > ? order by id limit ?", ps -> {
            ps.setString(1, merchantId);
            ps.setString(2, merchantId);
            ps.setString(3, afterId == null ? "" : afterId);
            ps.setInt(4, limit);
        }, EndpointRepository::map);
    }

    public List<Stored> all(Connection c) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from endpoints where deleted_at is null", ps -> {}, EndpointRepository::map);
    }

    public boolean softDelete(Connection c, String id, Instant now) throws SQLException {
        return Jdbc.update(c, "update endpoints set deleted_at=?, is_active=false, updated_at=? where id=? and deleted_at is null", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setTimestamp(2, ts(now));
            ps.setString(3, id);
        }) == 1;
    }

    /** Resets the failure streak after a success. */
    public void recordSuccess(Connection c, String id) throws SQLException {
        Jdbc.update(c, "update endpoints set consecutive_failures=0 where id=? and consecutive_failures<>0", ps -> ps.setString(1, id));
    }

    /** Adds one to the failure streak and returns the new streak length (0 if the endpoint is gone). */
    public int recordFailure(Connection c, String id) throws SQLException {
        List<Integer> n = Jdbc.query(c, "update endpoints set consecutive_failures=consecutive_failures+1 where id=? returning consecutive_failures",
                ps -> ps.setString(1, id), rs -> rs.getInt(1));
        return n.isEmpty() ? 0 : n.getFirst();
    }

    /** Disables a live, active endpoint; true when this call disabled it. */
    public boolean disable(Connection c, String id, String reason, Instant now) throws SQLException {
        return Jdbc.update(c, "update endpoints set is_active=false, disabled_reason=?, updated_at=? where id=? and is_active and deleted_at is null", ps -> {
            ps.setString(1, reason);
            ps.setTimestamp(2, ts(now));
            ps.setString(3, id);
        }) == 1;
    }

    private static Stored map(ResultSet rs) throws SQLException {
        Integer[] steps = (Integer[]) rs.getArray("retry_schedule").getArray();
        List<Duration> schedule = Arrays.stream(steps).map(s -> Duration.ofSeconds(s)).toList();
        Endpoint e = new Endpoint(
                rs.getString("id"),
                rs.getString("merchant_id"),
                rs.getString("name"),
                rs.getString("description"),
                URI.create(rs.getString("url")),
                Jdbc.strings(rs, "events"),
                headers(rs.getString("headers")),
                rs.getString("secret"),
                rs.getBoolean("is_active"),
                rs.getString("disabled_reason"),
                new RetryPolicy(rs.getInt("retry_attempts"), schedule, rs.getString("retry_preset")),
                rs.getInt("timeout_seconds"),
                rs.getInt("consecutive_failures"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"));
        return new Stored(e, rs.getString("previous_secret"), instant(rs, "previous_secret_until"));
    }

    private static String json(Map<String, String> headers) {
        try {
            return JSON.writeValueAsString(headers);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Map<String, String> headers(String json) {
        try {
            return Map.copyOf(JSON.readValue(json, new TypeReference<Map<String, String>>() {}));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
