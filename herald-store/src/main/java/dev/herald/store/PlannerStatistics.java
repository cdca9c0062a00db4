package dev.herald.store;

import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps PostgreSQL's planner statistics of a service's busiest tables fresh when autovacuum is off or behind: a table
 * changed by more than autovacuum's default analyze threshold (50 rows + 10%) since its last analyze is analyzed now.
 * Without it, a burst into a fresh table (a backlog of a million deliveries) is planned as if the table were empty, and
 * the due-scan's claim degrades from milliseconds to tens of seconds. With autovacuum keeping up it finds nothing to do.
 * A partitioned table is watched through its partitions, each analyzed on its own when it is stale.
 */
public final class PlannerStatistics {
    private static final Logger log = LoggerFactory.getLogger(PlannerStatistics.class);
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final Jdbc jdbc;
    private final List<String> tables;

    /** Watches {@code tables} (plain lower-case names in the connection's current schema). */
    public PlannerStatistics(Jdbc jdbc, List<String> tables) {
        for (String t : tables) {
            if (!NAME.matcher(t).matches()) {
                throw new IllegalArgumentException("not a plain table name: " + t);
            }
        }
        this.jdbc = jdbc;
        this.tables = List.copyOf(tables);
    }

    /** Analyzes each watched table whose statistics are stale; returns their names. */
    public List<String> refreshStale() {
        // a partitioned table holds no rows itself: its partitions (leaves) are what gets stale and analyzed
        List<String> stale = jdbc.read(c -> Jdbc.query(c, "select quote_ident(s.relname) from pg_stat_user_tables s where s.schemaname = current_schema()"
                + " and s.relid in (select p.relid from unnest(?::text[]) as t(name), pg_partition_tree(t.name::regclass) p where p.isleaf)"
                + " and s.n_mod_since_analyze > 50 + 0.1 * greatest(s.n_live_tup, 0)",
                ps -> ps.setArray(1, Jdbc.textArray(c, tables)), rs -> rs.getString(1)));
        for (String table : stale) {
            long started = System.nanoTime();
            jdbc.inTransaction(c -> Jdbc.update(c, "analyze " + table, ps -> {})); // a quoted name from the catalog, never input
            log.info("analyzed {} (statistics were stale) in {} ms", table, (System.nanoTime() - started) / 1_000_000);
        }
        return stale;
    }
}
