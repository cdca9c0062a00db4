package dev.herald.store;

import java.sql.SQLException;

/**
 * A database failure. {@link #refusedInput()} tells the two kinds apart: the database refused a value that can never
 * be stored (a client's fault, answered 422 and never retried), or it is not answering (an outage, answered 503 and
 * retried). The message is the first line of the driver's, which carries no bound values (see {@link Database}).
 */
public final class StoreException extends RuntimeException {
    public StoreException(SQLException cause) {
        super(firstLine(cause.getMessage()), cause);
    }

    /** The SQLState of the underlying error, e.g. {@code 23505} for a unique violation; may be null. */
    public String sqlState() {
        return ((SQLException) getCause()).getSQLState();
    }

    /**
     * True when the database refused the data itself: a data exception (class 22: value too long, invalid text, out of
     * range), an integrity violation (class 23) or a program limit (class 54: an index row over the btree limit).
     * Retrying the same values cannot succeed.
     */
    public boolean refusedInput() {
        return refusedInput(sqlState());
    }

    /** Whether {@code sqlState} is one of the classes {@link #refusedInput()} names. */
    public static boolean refusedInput(String sqlState) {
        return sqlState != null && (sqlState.startsWith("22") || sqlState.startsWith("23") || sqlState.startsWith("54"));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "database error";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        return line.length() <= 300 ? line : line.substring(0, 300) + "…";
    }
}
