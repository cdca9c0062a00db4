package dev.herald.seal;

import java.util.Objects;

/**
 * Where a sealed value lives: its table, column and row id. It is the AES-GCM associated data of the value, so a
 * sealed value opens only in its own place — copied to another row or column it fails to open. A column holding
 * several values (e.g. custom headers) names each one, e.g. {@code headers.X-Api-Key}.
 */
public record SealContext(String table, String column, String rowId) {
    public SealContext {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(column, "column");
        Objects.requireNonNull(rowId, "rowId");
    }

    /** The associated data: a version tag and the three parts, NUL-separated (no part can forge another's boundary). */
    byte[] associatedData() {
        if (table.indexOf('\0') >= 0 || column.indexOf('\0') >= 0 || rowId.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a seal context may not contain NUL");
        }
        return ("herald-seal-v1\0" + table + "\0" + column + "\0" + rowId).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return table + "." + column + "[" + rowId + "]";
    }
}
