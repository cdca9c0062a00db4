package dev.herald.retention;

import static dev.herald.store.Jdbc.ts;

import dev.herald.store.Jdbc;
import dev.herald.support.PartDays;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the day partitions of {@code events}, {@code deliveries} and {@code attempts} (V21): creates them ahead of time,
 * moves rows out of the default partitions, and drops whole partitions whose work is past retention. Never a bulk DELETE
 * of work: a day goes with its partitions, or stays whole.
 *
 * <p><b>What is kept.</b> A day's partitions are dropped once the day is more than {@code retentionDays} behind the clock
 * <em>and</em> they hold nothing that must stay:
 * <ul>
 *   <li>no pending delivery (waiting for a retry, a paused or disabled endpoint, a suspended merchant: never dropped);</li>
 *   <li>no failed delivery inside its resend window: {@code retentionDays} after it failed, or its merchant's
 *       {@code retention_days} when longer ({@code POST /v1/deliveries/{id}/resend} and {@code /recover} work on it);</li>
 *   <li>no delivery to, nor event targeting, a merchant whose own {@code retention_days} still covers the day.</li>
 * </ul>
 * Otherwise the day's partitions are <b>kept whole</b> and looked at again on the next run. We keep rather than carry
 * rows forward into a current partition because rows that never move keep every invariant simple: a delivery's partition
 * is the one its id names, so a lookup by id reads one partition; a claimed delivery held in a node's memory, a resend, a
 * recovery and the pull cursor's (xid, seq) order can never race a move; the hot path needs no notion of it. The cost is
 * that one delivery left pending (an endpoint disabled for months) keeps its whole day on disk: {@link Report#kept()}
 * and the {@code herald_partitions_kept} gauge show it, and the operator's answer is to re-enable or delete the endpoint
 * (deleting cancels its pending work). Likewise a merchant with a longer retention keeps every day that holds its work
 * for that long, with everyone else's rows of those days (cost: storage of those days; see README, Retention).
 *
 * <p><b>Idempotency.</b> Event ids and idempotency keys are unique per scope through {@code event_keys} (a plain table).
 * A day's keys are deleted in the transaction that drops its partitions — never while the day is within retention, and
 * never when the drop does not happen (its lock not had, the day kept after all) — so a duplicate is recognised for at
 * least {@code retentionDays}, and for as long as the event is kept. A kept day whose keys an older Herald removed
 * (it deleted them before the drop) gets them written back.
 *
 * <p><b>One node at a time.</b> A run holds a session-level PostgreSQL advisory lock on a connection of its own, so in a
 * cluster sharing one database exactly one node runs it at a time (a node that dies releases it with its connection);
 * the others skip their turn. DDL runs in short transactions under a transaction-level advisory lock, with a lock
 * timeout: a drop waits for the transactions in flight on the three tables and holds up new ones only while it checks
 * the day once more and drops it. {@link #ensurePartitions()} also runs at every start, so inserts find their partition;
 * a row that still lands in a default partition (a clock far ahead, a job that did not run) is moved to its own day's
 * partition by the next run and counted in {@code herald_partition_default_rows_total}.
 */
public final class PartitionMaintenance {
    private static final Logger log = LoggerFactory.getLogger(PartitionMaintenance.class);
    /** The partitioned tables, in the order a day's partitions are dropped (no foreign keys join them: see V21). */
    static final List<String> TABLES = List.of("attempts", "deliveries", "events");
    /**
     * Advisory lock classes ("HRL" and a number) of the maintenance run and of partition DDL; the other half of each key
     * is {@code hashtext(current_schema())}, so Herald deployments in other schemas of the same database never wait for
     * each other (advisory locks are per database).
     */
    static final int RUN_LOCK = 0x48524C01;
    static final int DDL_LOCK = 0x48524C02;
    private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final int DDL_TRIES = 5;

    /**
     * How long work is kept and how far ahead partitions are made: {@code retentionDays} (1–3650, default 30) is the
     * node's retention; {@code aheadDays} (1–31, default 3) days of partitions exist ahead of the clock; a run every
     * {@code every} (default 1 h).
     */
    public record Config(int retentionDays, int aheadDays, Duration every) {
        public Config {
            if (retentionDays < 1 || retentionDays > 3650) {
                throw new IllegalArgumentException("retention days must be between 1 and 3650, got " + retentionDays);
            }
            if (aheadDays < 1 || aheadDays > 31) {
                throw new IllegalArgumentException("partition days ahead must be between 1 and 31, got " + aheadDays);
            }
            if (every == null || every.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("the maintenance interval must be at least 1 s");
            }
        }

        public static Config defaults() {
            return new Config(30, 3, Duration.ofHours(1));
        }

        public Config withRetentionDays(int days) {
            return new Config(days, aheadDays, every);
        }

        public Config withAheadDays(int days) {
            return new Config(retentionDays, days, every);
        }

        public Config withEvery(Duration interval) {
            return new Config(retentionDays, aheadDays, interval);
        }
    }

    /**
     * What one run did: {@code ran} is false when another node held the run lock; {@code created} days of new partitions,
     * {@code movedFromDefault} rows moved out of the default partitions, {@code dropped} days whose partitions went,
     * {@code kept} days past retention kept for the work they hold, {@code days} the day partitions left.
     */
    public record Report(boolean ran, List<LocalDate> created, long movedFromDefault, List<LocalDate> dropped, List<LocalDate> kept, int days) {
        static Report skipped() {
            return new Report(false, List.of(), 0, List.of(), List.of(), 0);
        }
    }

    /** Where a run's outcome is shown (the engine's metrics). */
    public interface Listener {
        void reported(Report report);

        Listener NONE = r -> {};
    }

    private final DataSource dataSource;
    private final Jdbc jdbc;
    private final Clock clock;
    private final Config config;
    private final Listener listener;

    public PartitionMaintenance(DataSource dataSource, Clock clock, Config config, Listener listener) {
        this.dataSource = dataSource;
        this.jdbc = new Jdbc(dataSource);
        this.clock = clock;
        this.config = config;
        this.listener = listener;
    }

    public Config config() {
        return config;
    }

    /**
     * Makes the partitions from yesterday to {@code aheadDays} after today, and moves rows out of the default partitions;
     * runs at start, before anything is written. Safe on every node at once (DDL is serialised by an advisory lock).
     */
    public List<LocalDate> ensurePartitions() {
        List<LocalDate> created = new ArrayList<>();
        moveDefaultRows(created);
        createAhead(created);
        return created;
    }

    private void createAhead(List<LocalDate> created) {
        LocalDate today = PartDays.of(clock.instant());
        for (LocalDate d = today.minusDays(1); !d.isAfter(today.plusDays(config.aheadDays())); d = d.plusDays(1)) {
            LocalDate day = d;
            for (String table : TABLES) { // a table per transaction: the DDL never holds one table's lock while waiting for another's
                if (ddl(c -> createPartition(c, table, day)) && !created.contains(day)) {
                    created.add(day);
                }
            }
        }
    }

    /**
     * One maintenance run, if no other node is running one: partitions ahead, rows out of the default partitions, then
     * every day past retention either dropped or kept (see the class comment).
     */
    public Report runOnce() {
        try (Connection lock = dataSource.getConnection()) {
            lock.setAutoCommit(true);
            if (!Jdbc.query(lock, "select pg_try_advisory_lock(?, hashtext(current_schema()))", ps -> ps.setInt(1, RUN_LOCK), rs -> rs.getBoolean(1)).getFirst()) {
                log.debug("partition maintenance is running on another node; skipping this turn");
                return Report.skipped();
            }
            try {
                Report report = run();
                listener.reported(report);
                return report;
            } finally {
                Jdbc.query(lock, "select pg_advisory_unlock(?, hashtext(current_schema()))", ps -> ps.setInt(1, RUN_LOCK), rs -> rs.getBoolean(1));
            }
        } catch (SQLException e) {
            throw new dev.herald.store.StoreException(e);
        }
    }

    private Report run() {
        List<LocalDate> created = new ArrayList<>();
        long moved = moveDefaultRows(created);
        createAhead(created);
        Instant now = clock.instant();
        LocalDate today = PartDays.of(now);
        LocalDate newestExpired = today.minusDays(config.retentionDays() + 1L);
        List<LocalDate> dropped = new ArrayList<>();
        List<LocalDate> kept = new ArrayList<>();
        for (LocalDate day : days()) {
            if (day.isAfter(newestExpired)) {
                break;
            }
            if (jdbc.read(c -> mustKeep(c, day, now))) {
                kept.add(day);
                jdbc.inTransaction(c -> restoreKeys(c, day));
                continue;
            }
            if (dropDay(day, now)) {
                dropped.add(day);
            } else {
                kept.add(day);
            }
        }
        if (!dropped.isEmpty()) {
            // the deleted keys' space is reused by the next days' keys (autovacuum may be off or behind; Herald does not rely on it)
            jdbc.read(c -> {
                execute(c, "vacuum event_keys");
                return null;
            });
        }
        if (!dropped.isEmpty() || !kept.isEmpty()) {
            log.info("partition maintenance: dropped days {}, kept days past retention {} (they hold work that must stay)", dropped, kept);
        }
        return new Report(true, List.copyOf(created), moved, List.copyOf(dropped), List.copyOf(kept), days().size());
    }

    /** The days that have a partition of {@code events}, oldest first. */
    public List<LocalDate> days() {
        return jdbc.read(c -> new ArrayList<>(partitionsOf(c, "events").keySet()));
    }

    /** The day partitions of {@code table} by day (name without the default partition). */
    public static Map<LocalDate, String> partitionsOf(Connection c, String table) throws SQLException {
        Map<LocalDate, String> out = new TreeMap<>();
        String prefix = table + "_p";
        for (String name : Jdbc.query(c, "select p.relname from pg_inherits i join pg_class p on p.oid = i.inhrelid where i.inhparent = ?::regclass",
                ps -> ps.setString(1, table), rs -> rs.getString(1))) {
            if (name.startsWith(prefix) && name.length() == prefix.length() + 8) {
                out.put(LocalDate.parse(name.substring(prefix.length()), SUFFIX), name);
            }
        }
        return out;
    }

    static String partitionName(String table, LocalDate day) {
        return table + "_p" + SUFFIX.format(day);
    }

    /** Creates the day's partition of each table that lacks one; true when one was made. Rows of that day in a default partition must be gone first. */
    private static boolean createDay(Connection c, LocalDate day) throws SQLException {
        boolean made = false;
        for (String table : TABLES) {
            made |= createPartition(c, table, day);
        }
        return made;
    }

    /** Creates {@code table}'s partition of {@code day} unless it exists; true when it was made. */
    private static boolean createPartition(Connection c, String table, LocalDate day) throws SQLException {
        if (partitionsOf(c, table).containsKey(day)) {
            return false;
        }
        execute(c, "create table " + partitionName(table, day) + " partition of " + table + " for values from ('" + day + "') to ('"
                + day.plusDays(1) + "')");
        return true;
    }

    /**
     * Moves every row out of the default partitions into its own day's partition (made if missing): the default
     * partition is detached, the days made, its rows inserted through the parent and the default emptied and attached
     * again, in one transaction. Returns how many rows moved.
     */
    long moveDefaultRows(List<LocalDate> created) {
        long total = 0;
        for (String table : TABLES) {
            String def = table + "_default";
            long rows = jdbc.read(c -> Jdbc.query(c, "select count(*) from " + def, ps -> {}, rs -> rs.getLong(1)).getFirst());
            if (rows == 0) {
                continue;
            }
            long moved = ddlCount(c -> {
                List<LocalDate> days = Jdbc.query(c, "select distinct part_day from " + def + " order by 1", ps -> {},
                        rs -> rs.getObject(1, LocalDate.class));
                execute(c, "alter table " + table + " detach partition " + def);
                for (LocalDate day : days) {
                    if (!partitionsOf(c, table).containsKey(day)) {
                        execute(c, "create table " + partitionName(table, day) + " partition of " + table + " for values from ('" + day
                                + "') to ('" + day.plusDays(1) + "')");
                        if (!created.contains(day)) {
                            created.add(day);
                        }
                    }
                }
                String columns = columns(c, table);
                int n;
                try (Statement s = c.createStatement()) {
                    n = s.executeUpdate("insert into " + table + " (" + columns + ") select " + columns + " from " + def);
                }
                execute(c, "truncate " + def);
                execute(c, "alter table " + table + " attach partition " + def + " default");
                return n;
            });
            log.warn("{} rows of {} were in its default partition (no partition for their day existed); moved to their day's partition", moved, table);
            total += moved;
        }
        // a day made for one table's default rows gets its other tables' partitions too
        for (LocalDate day : created) {
            ddl(c -> createDay(c, day));
        }
        return total;
    }

    /** The table's columns that can be written (not generated), in order, from the catalog: columns added later come along. */
    private static String columns(Connection c, String table) throws SQLException {
        return Jdbc.query(c, "select string_agg(quote_ident(attname), ', ' order by attnum) from pg_attribute where attrelid = ?::regclass"
                + " and attnum > 0 and not attisdropped and attgenerated = ''", ps -> ps.setString(1, table), rs -> rs.getString(1)).getFirst();
    }

    /** True when the day's partitions hold work that must stay (see the class comment). */
    boolean mustKeep(Connection c, LocalDate day, Instant now) throws SQLException {
        LocalDate today = PartDays.of(now);
        return Jdbc.query(c, "select exists (select 1 from deliveries where part_day = ? and status = 'pending')"
                + " or exists (select 1 from deliveries d join endpoints ep on ep.id = d.endpoint_id left join merchants m on m.id = ep.merchant_id"
                + "   where d.part_day = ? and d.status = 'failed'"
                + "   and d.completed_at >= ?::timestamptz - make_interval(days => greatest(?, coalesce(m.retention_days, 0))))"
                + " or exists (select 1 from deliveries d join endpoints ep on ep.id = d.endpoint_id join merchants m on m.id = ep.merchant_id"
                + "   where d.part_day = ? and m.retention_days > ? and ?::date >= ?::date - m.retention_days)"
                + " or exists (select 1 from events e join merchants m on m.id = e.target_merchant"
                + "   where e.part_day = ? and m.retention_days > ? and ?::date >= ?::date - m.retention_days)", ps -> {
            ps.setObject(1, day);
            ps.setObject(2, day);
            ps.setTimestamp(3, ts(now));
            ps.setInt(4, config.retentionDays());
            ps.setObject(5, day);
            ps.setInt(6, config.retentionDays());
            ps.setObject(7, day);
            ps.setObject(8, today);
            ps.setObject(9, day);
            ps.setInt(10, config.retentionDays());
            ps.setObject(11, day);
            ps.setObject(12, today);
        }, rs -> rs.getBoolean(1)).getFirst();
    }

    /** Writes back the keys of a kept day's events that lost theirs (an older Herald deleted them before it tried the drop). */
    private static int restoreKeys(Connection c, LocalDate day) throws SQLException {
        boolean missing = Jdbc.query(c, "select exists (select 1 from events where part_day = ?) and not exists (select 1 from event_keys where part_day = ?)",
                ps -> {
                    ps.setObject(1, day);
                    ps.setObject(2, day);
                }, rs -> rs.getBoolean(1)).getFirst();
        if (!missing) {
            return 0;
        }
        return Jdbc.update(c, "insert into event_keys (id, scope, idempotency_key, event_seq, part_day) select id, scope, idempotency_key, seq, part_day"
                + " from events where part_day = ? on conflict do nothing", ps -> ps.setObject(1, day));
    }

    /**
     * Drops the day's partitions of the three tables and deletes the day's event keys in one transaction, after locking
     * the tables and checking once more that nothing must stay (a resend may have made a delivery pending since). False
     * when the day is kept after all, or when the lock could not be had within the lock timeout a few times running (the
     * next run tries again): then the day keeps its keys too, so its events stay found and their keys stay duplicates.
     *
     * <p>The keys (a busy day has millions) are deleted before the tables are locked, so traffic does not wait on the
     * lock meanwhile; other sessions see them until the drop commits. A first take of the lock, given back at once,
     * spares that work while something holds the day (a {@code pg_dump}).
     */
    private boolean dropDay(LocalDate day, Instant now) {
        String lock = "lock table " + String.join(", ", TABLES) + " in access exclusive mode";
        return ddl("dropping day " + day, c -> {
            execute(c, "savepoint keys");
            execute(c, lock); // fails within the lock timeout while the day is held: nothing was done
            execute(c, "rollback to savepoint keys");
            Jdbc.update(c, "delete from event_keys where part_day = ?", ps -> ps.setObject(1, day));
            execute(c, lock);
            if (mustKeep(c, day, now)) {
                execute(c, "rollback to savepoint keys"); // the keys stay with their day
                return false;
            }
            for (String table : TABLES) {
                String name = partitionsOf(c, table).get(day);
                if (name != null) {
                    execute(c, "drop table " + name);
                }
            }
            return true;
        });
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return s.getSQLState();
            }
        }
        return null;
    }

    /**
     * Runs partition DDL in its own transaction under the DDL advisory lock (nodes starting together make a day once).
     * The lock timeout (500 ms) is shorter than PostgreSQL's deadlock timeout (1 s), so when the DDL and the delivery
     * path wait on each other's table locks it is always the DDL that gives up, never an ingest or a result; it is
     * tried again a few times, then left to the next run (the default partitions hold what arrives meanwhile).
     */
    private boolean ddl(Jdbc.TxWork<Boolean> work) {
        return ddl("partition DDL", work);
    }

    private boolean ddl(String what, Jdbc.TxWork<Boolean> work) {
        Long n = ddlRetrying(what, c -> work.run(c) ? 1L : 0L);
        return n != null && n > 0;
    }

    private long ddlCount(Jdbc.TxWork<Integer> work) {
        Long n = ddlRetrying("partition DDL", c -> (long) work.run(c));
        return n == null ? 0 : n;
    }

    /** {@code work} under the DDL lock and lock timeout, tried {@value #DDL_TRIES} times; null when the tables stayed busy. */
    private Long ddlRetrying(String what, Jdbc.TxWork<Long> work) {
        for (int i = 1; i <= DDL_TRIES; i++) {
            try {
                return jdbc.inTransaction(c -> {
                    execute(c, "set local lock_timeout = '500ms'");
                    Jdbc.query(c, "select pg_advisory_xact_lock(?, hashtext(current_schema()))", ps -> ps.setInt(1, DDL_LOCK), rs -> null);
                    return work.run(c);
                });
            } catch (dev.herald.store.StoreException e) {
                String state = sqlState(e);
                if (!("55P03".equals(state) || "40P01".equals(state))) { // lock_not_available, deadlock_detected: traffic held the tables
                    throw e;
                }
                log.debug("{}: tables busy (try {} of {})", what, i, DDL_TRIES);
                try {
                    Thread.sleep(200L * i);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
        log.warn("{}: the tables stayed busy; the next run tries again", what);
        return null;
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The table's total size over all its partitions (if any) and indexes, in bytes (for the soak benchmark and operators). */
    public static long totalSize(Connection c, String table) throws SQLException {
        return Jdbc.query(c, "select coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree(?::regclass)),"
                + " pg_total_relation_size(?::regclass))", ps -> { // a plain table has no partition tree
                    ps.setString(1, table);
                    ps.setString(2, table);
                }, rs -> rs.getLong(1)).getFirst();
    }
}
