package dev.herald.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The transactional outbox: a service writes its events into {@value #TABLE} with the same JDBC connection, inside the
 * same transaction, as the business change that caused them. A rolled-back transaction leaves no event; a committed one
 * is published by an {@link OutboxRelay} at least once.
 *
 * <p>Order: the relay publishes rows in {@code seq} order, which per ordering key is commit order as long as writers
 * lock the key (e.g. the account row, {@code select ... for update}) before appending the key's events in the
 * transaction, which is what a bank does anyway. {@code txid} records the writing transaction (for diagnosis).
 */
public final class Outbox {
    public static final String TABLE = "herald_outbox";

    /** DDL of the outbox table; idempotent, PostgreSQL 13+. */
    public static final List<String> DDL = List.of("""
            create table if not exists herald_outbox (
                seq          bigserial   primary key,
                id           text        not null unique,
                type         text        not null,
                ordering_key text,
                priority     smallint    not null default 0,
                trace_id     text,
                body         text        not null,
                txid         xid8        not null default pg_current_xact_id(),
                created_at   timestamptz not null default now(),
                sent_at      timestamptz
            )""",
            "create index if not exists herald_outbox_unsent_seq on herald_outbox (seq) where sent_at is null");

    private Outbox() {}

    /** Creates the outbox table if it does not exist (for services without their own migration tool). */
    public static void createTable(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String ddl : DDL) {
                st.execute(ddl);
            }
        }
    }

    /**
     * Appends {@code events} inside the caller's current transaction on {@code tx} (auto-commit must be off for the
     * events to share the fate of the business change). Nothing is published before that transaction commits.
     */
    public static void append(Connection tx, List<OutboxEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = tx.prepareStatement(
                "insert into herald_outbox (id, type, ordering_key, priority, trace_id, body) values (?, ?, ?, ?, ?, ?)")) {
            for (OutboxEvent e : events) {
                ps.setString(1, e.id());
                ps.setString(2, e.type());
                ps.setString(3, e.orderingKey());
                ps.setShort(4, (short) e.priority());
                ps.setString(5, e.traceId());
                ps.setString(6, e.body());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Appends one event inside the caller's current transaction. */
    public static void append(Connection tx, OutboxEvent event) throws SQLException {
        append(tx, List.of(event));
    }
}
