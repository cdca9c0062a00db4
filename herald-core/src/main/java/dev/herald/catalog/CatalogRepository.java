package dev.herald.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQL of the event catalog: {@code event_types}, its change counter and the merchants' schema-validation modes. */
final class CatalogRepository {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogRepository() {}

    static List<EventType> all(Connection c) throws SQLException {
        return Jdbc.query(c, "select * from event_types order by type", ps -> {}, CatalogRepository::row);
    }

    static Optional<EventType> find(Connection c, String type, boolean lock) throws SQLException {
        return Jdbc.query(c, "select * from event_types where type = ?" + (lock ? " for update" : ""), ps -> ps.setString(1, type),
                CatalogRepository::row).stream().findFirst();
    }

    /** Inserts {@code t}, or does nothing when its type exists (true: inserted). */
    static boolean insertIfAbsent(Connection c, EventType t) throws SQLException {
        return write(c, t, " on conflict (type) do nothing") == 1;
    }

    static void upsert(Connection c, EventType t) throws SQLException {
        write(c, t, " on conflict (type) do update set version = excluded.version, description = excluded.description,"
                + " schema = excluded.schema, example = excluded.example, updated_at = excluded.updated_at");
    }

    private static int write(Connection c, EventType t, String conflict) throws SQLException {
        return Jdbc.update(c, "insert into event_types (type, version, description, schema, example, operational, updated_at)"
                + " values (?,?,?,?::jsonb,?::jsonb,?,?)" + conflict, ps -> {
                    ps.setString(1, t.type());
                    ps.setInt(2, t.version());
                    ps.setString(3, t.description());
                    ps.setString(4, t.schema().toString());
                    ps.setString(5, t.example().toString());
                    ps.setBoolean(6, t.operational());
                    ps.setTimestamp(7, Jdbc.ts(t.updatedAt()));
                });
    }

    static long version(Connection c) throws SQLException {
        return Jdbc.query(c, "select version from event_types_version", ps -> {}, rs -> rs.getLong(1)).getFirst();
    }

    /** The merchants that have a mode of their own. */
    static Map<String, ValidationMode> merchantModes(Connection c) throws SQLException {
        Map<String, ValidationMode> out = new HashMap<>();
        Jdbc.query(c, "select id, schema_validation from merchants where schema_validation is not null", ps -> {},
                rs -> out.put(rs.getString(1), ValidationMode.parse(rs.getString(2), "schema_validation")));
        return out;
    }

    /** The merchant's own mode (empty: the node's), or null when there is no such merchant. */
    static Optional<Optional<ValidationMode>> merchantMode(Connection c, String merchantId, boolean lock) throws SQLException {
        List<Optional<ValidationMode>> found = Jdbc.query(c, "select schema_validation from merchants where id = ?" + (lock ? " for update" : ""),
                ps -> ps.setString(1, merchantId),
                rs -> Optional.ofNullable(rs.getString(1)).map(s -> ValidationMode.parse(s, "schema_validation")));
        return found.stream().findFirst();
    }

    static void setMerchantMode(Connection c, String merchantId, ValidationMode mode) throws SQLException {
        Jdbc.update(c, "update merchants set schema_validation = ? where id = ?", ps -> {
            ps.setString(1, mode == null ? null : mode.wire());
            ps.setString(2, merchantId);
        });
    }

    private static EventType row(ResultSet rs) throws SQLException {
        return new EventType(rs.getString("type"), rs.getInt("version"), rs.getString("description"), tree(rs.getString("schema")),
                tree(rs.getString("example")), rs.getBoolean("operational"), Jdbc.instant(rs, "updated_at"));
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event_types holds JSON the database accepted but Jackson does not", e);
        }
    }
}
