package dev.herald.bank.account;

import dev.herald.web.Problem;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

/**
 * SQL for {@code bank_accounts}. Money-moving code reads accounts only through the locking reads here. They lock
 * {@code for no key update}, not {@code for update}: inserting a row that references an account (a transfer, an entry)
 * takes a key-share lock on it, which {@code for update} would conflict with, in an order no one controls.
 */
public final class AccountRepository {
    private static final String COLUMNS = "id, uuid, kind, user_uuid, name, currency, status, balance, last_hash, entry_count, created_at, updated_at";

    private AccountRepository() {}

    public static long insert(Connection c, UUID uuid, String kind, UUID user, String name, String currency, Instant at) throws SQLException {
        return Jdbc.query(c, "insert into bank_accounts (uuid, kind, user_uuid, name, currency, status, created_at, updated_at) "
                + "values (?, ?, ?, ?, ?, 'active', ?, ?) returning id", ps -> {
                    ps.setObject(1, uuid);
                    ps.setString(2, kind);
                    ps.setObject(3, user);
                    ps.setString(4, name);
                    ps.setString(5, currency);
                    ps.setTimestamp(6, Jdbc.ts(at));
                    ps.setTimestamp(7, Jdbc.ts(at));
                }, rs -> rs.getLong(1)).getFirst();
    }

    /** Creates the cash account of {@code currency} unless it exists (commits with the caller's transaction). */
    public static void ensureCash(Connection c, String currency, Instant at) throws SQLException {
        Jdbc.update(c, "insert into bank_accounts (uuid, kind, name, currency, status, created_at, updated_at) "
                + "values (?, 'cash', ?, ?, 'active', ?, ?) on conflict do nothing", ps -> {
                    ps.setObject(1, UUID.randomUUID());
                    ps.setString(2, "cash " + currency);
                    ps.setString(3, currency);
                    ps.setTimestamp(4, Jdbc.ts(at));
                    ps.setTimestamp(5, Jdbc.ts(at));
                });
    }

    public static Optional<Account> find(Connection c, UUID uuid) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from bank_accounts where uuid = ? and kind = 'customer'",
                ps -> ps.setObject(1, uuid), AccountRepository::map).stream().findFirst();
    }

    /** The customer account {@code uuid}, or a 404 naming {@code field}. */
    public static Account get(Connection c, UUID uuid, String field) throws SQLException {
        return find(c, uuid).orElseThrow(() -> Problem.notFound("no account " + uuid, field));
    }

    public static long cashId(Connection c, String currency) throws SQLException {
        return Jdbc.query(c, "select id from bank_accounts where kind = 'cash' and currency = ?", ps -> ps.setString(1, currency),
                rs -> rs.getLong(1)).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no cash account for " + currency));
    }

    /**
     * Locks the accounts {@code ids} one by one in ascending id order, the one lock order of the whole bank, so two
     * transactions touching the same accounts can never deadlock. Returns them by id.
     */
    public static Map<Long, Account> lock(Connection c, long... ids) throws SQLException {
        TreeSet<Long> sorted = new TreeSet<>();
        for (long id : ids) {
            sorted.add(id);
        }
        Map<Long, Account> out = new LinkedHashMap<>();
        for (long id : sorted) {
            out.put(id, Jdbc.query(c, "select " + COLUMNS + " from bank_accounts where id = ? for no key update", ps -> ps.setLong(1, id),
                    AccountRepository::map).getFirst());
        }
        return out;
    }

    /** Locks one customer account by uuid (404 naming {@code field} if there is none). */
    public static Account lock(Connection c, UUID uuid, String field) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + " from bank_accounts where uuid = ? and kind = 'customer' for no key update",
                ps -> ps.setObject(1, uuid), AccountRepository::map).stream().findFirst()
                .orElseThrow(() -> Problem.notFound("no account " + uuid, field));
    }

    public static void updateProfile(Connection c, long id, String name, String status, Instant at) throws SQLException {
        Jdbc.update(c, "update bank_accounts set name = ?, status = ?, updated_at = ? where id = ?", ps -> {
            ps.setString(1, name);
            ps.setString(2, status);
            ps.setTimestamp(3, Jdbc.ts(at));
            ps.setLong(4, id);
        });
    }

    /** Moves the journal head of a locked account. */
    public static void updateHead(Connection c, Account a) throws SQLException {
        Jdbc.update(c, "update bank_accounts set balance = ?, last_hash = ?, entry_count = ?, updated_at = ? where id = ?", ps -> {
            ps.setLong(1, a.balance());
            ps.setString(2, a.lastHash());
            ps.setLong(3, a.entryCount());
            ps.setTimestamp(4, Jdbc.ts(a.updatedAt()));
            ps.setLong(5, a.id());
        });
    }

    public static List<Account> all(Connection c) throws SQLException {
        return new ArrayList<>(Jdbc.query(c, "select " + COLUMNS + " from bank_accounts order by id", ps -> {}, AccountRepository::map));
    }

    static Account map(ResultSet rs) throws SQLException {
        return new Account(rs.getLong("id"), rs.getObject("uuid", UUID.class), rs.getString("kind"), rs.getObject("user_uuid", UUID.class),
                rs.getString("name"), rs.getString("currency"), rs.getString("status"), rs.getLong("balance"), rs.getString("last_hash"),
                rs.getLong("entry_count"), Jdbc.instant(rs, "created_at"), Jdbc.instant(rs, "updated_at"));
    }
}
