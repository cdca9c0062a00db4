package dev.herald.seal;

import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** SQL for the {@code data_keys} table (V17): data keys wrapped by the master key, one current. */
final class DataKeyRepository {
    /** A stored data key, still wrapped. */
    record Row(String id, byte[] wrapped, String masterKeyId, boolean current) {}

    List<Row> all(Connection c, boolean forUpdate) throws SQLException {
        return Jdbc.query(c, "select id, wrapped, master_key_id, is_current from data_keys order by created_at, id" + (forUpdate ? " for update" : ""),
                ps -> {}, rs -> new Row(rs.getString(1), rs.getBytes(2), rs.getString(3), rs.getBoolean(4)));
    }

    boolean any(Connection c) throws SQLException {
        return !Jdbc.query(c, "select 1 from data_keys limit 1", ps -> {}, rs -> 1).isEmpty();
    }

    /** Inserts a current data key unless there is one already (nodes starting together); true when this one was inserted. */
    boolean insertFirst(Connection c, String id, byte[] wrapped, String masterKeyId) throws SQLException {
        return Jdbc.update(c, "insert into data_keys (id, wrapped, master_key_id, is_current) values (?,?,?,true)"
                + " on conflict (is_current) where is_current do nothing", ps -> {
            ps.setString(1, id);
            ps.setBytes(2, wrapped);
            ps.setString(3, masterKeyId);
        }) == 1;
    }

    /** Makes a new data key the current one; the others stay for opening what they sealed. */
    void insertCurrent(Connection c, String id, byte[] wrapped, String masterKeyId) throws SQLException {
        Jdbc.update(c, "update data_keys set is_current = false where is_current", ps -> {});
        Jdbc.update(c, "insert into data_keys (id, wrapped, master_key_id, is_current) values (?,?,?,true)", ps -> {
            ps.setString(1, id);
            ps.setBytes(2, wrapped);
            ps.setString(3, masterKeyId);
        });
    }

    void rewrap(Connection c, String id, byte[] wrapped, String masterKeyId) throws SQLException {
        Jdbc.update(c, "update data_keys set wrapped = ?, master_key_id = ?, wrapped_at = now() where id = ?", ps -> {
            ps.setBytes(1, wrapped);
            ps.setString(2, masterKeyId);
            ps.setString(3, id);
        });
    }
}
