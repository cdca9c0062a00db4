package dev.herald.bank.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * Who asked for an operation: its trace id (carried into its events), and work to run inside the operation's
 * transaction, with its result, just before it commits (the API writes the audit entry there, so an operation and its
 * audit entry commit or vanish together).
 */
public record Op(String traceId, BeforeCommit beforeCommit) {

    /** Runs inside the operation's transaction on {@code c}; throwing rolls the operation back. */
    @FunctionalInterface
    public interface BeforeCommit {
        void run(Connection c, Object result) throws SQLException;
    }

    public Op {
        Objects.requireNonNull(beforeCommit, "beforeCommit");
    }

    /** An operation with nothing to do before commit. */
    public static Op trace(String traceId) {
        return new Op(traceId, (c, r) -> { });
    }

    /** Runs {@link #beforeCommit} with {@code result} and returns it; services end their transactions with it. */
    public <T> T finish(Connection c, T result) throws SQLException {
        beforeCommit.run(c, result);
        return result;
    }
}
