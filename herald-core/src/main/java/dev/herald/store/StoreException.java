package dev.herald.store;

import java.sql.SQLException;

/** A database failure that the caller cannot fix by changing its input; answered as 503. */
public final class StoreException extends RuntimeException {
    public StoreException(SQLException cause) {
        super(cause.getMessage(), cause);
    }

    /** The SQLState of the underlying error, e.g. {@code 23505} for a unique violation. */
    public String sqlState() {
        return ((SQLException) getCause()).getSQLState();
    }
}
