package dev.herald.delivery;

import static dev.herald.store.Jdbc.ts;

import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership in the cluster of Herald nodes sharing one database: its heartbeat, the take-over of dead
 * nodes' work, and its leases on endpoint partitions (an endpoint's lane lives on the node leasing its partition).
 * A node silent for {@code deadAfter} is presumed dead: its row is removed, its claims released and its partitions
 * free. Live nodes share the partitions evenly; a node gives up a partition only while nothing of it is in memory.
 * {@link #tick} runs on the scanner thread; {@link #owns} may be called from any thread.
 */
public final class NodeLiveness {
    private static final Logger log = LoggerFactory.getLogger(NodeLiveness.class);
    /** Partitions of the endpoint space; must match the V6 migration. */
    static final int PARTITIONS = 64;

    private final Jdbc jdbc;
    private final String nodeId;
    private final Clock clock;
    private final Duration heartbeat;
    private final Duration deadAfter;
    private volatile Set<Integer> owned = Set.of();
    private volatile Instant leaseUntil = Instant.MIN;
    private Instant lastBeat;
    /** Scanner thread only: release claims of vanished nodes on the first beat (later only when a death is seen). */
    private boolean sweepOrphans = true;

    public NodeLiveness(Jdbc jdbc, String nodeId, Clock clock, Duration heartbeat, Duration deadAfter) {
        this.jdbc = jdbc;
        this.nodeId = nodeId;
        this.clock = clock;
        this.heartbeat = heartbeat;
        this.deadAfter = deadAfter;
    }

    /**
     * True while this node holds a valid lease on {@code partition}. The node stops two heartbeats before its lease
     * expires, so nodes whose clocks disagree by less than that never both send for one partition.
     */
    public boolean owns(int partition) {
        return owned.contains(partition) && clock.instant().isBefore(leaseUntil.minus(heartbeat.multipliedBy(2)));
    }

    Set<Integer> owned() {
        return owned;
    }

    /** Registers this node and takes its first leases. */
    void register(IntPredicate idle) {
        Instant now = clock.instant();
        jdbc.inTransaction(c -> Jdbc.update(c, "insert into nodes (id, started_at, heartbeat_at) values (?,?,?) on conflict (id) do update"
                + " set heartbeat_at = excluded.heartbeat_at", ps -> {
            ps.setString(1, nodeId);
            ps.setTimestamp(2, ts(now));
            ps.setTimestamp(3, ts(now));
        }));
        lastBeat = now;
        rebalance(now, idle);
    }

    /**
     * Heartbeats, takes over dead nodes' work and rebalances leases, at most once per heartbeat interval. False when
     * this node's row is gone: others presumed it dead and took its work, so the caller must drop what it holds and
     * register again. {@code idle} tells which partitions have nothing in this node's memory.
     */
    boolean tick(IntPredicate idle) {
        Instant now = clock.instant();
        if (lastBeat != null && now.isBefore(lastBeat.plus(heartbeat))) {
            return true;
        }
        int beat = jdbc.inTransaction(c -> Jdbc.update(c, "update nodes set heartbeat_at = ? where id = ?", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setString(2, nodeId);
        }));
        if (beat == 0) {
            log.error("node {} was presumed dead by the others; dropping its in-memory work", nodeId);
            owned = Set.of();
            return false;
        }
        lastBeat = now;
        rebalance(now, idle);
        return true;
    }

    private void rebalance(Instant now, IntPredicate idle) {
        Instant until = now.plus(deadAfter);
        Set<Integer> mine = jdbc.inTransaction(c -> {
            List<String> dead = Jdbc.query(c, "delete from nodes where id <> ? and heartbeat_at < ? returning id", ps -> {
                ps.setString(1, nodeId);
                ps.setTimestamp(2, ts(now.minus(deadAfter)));
            }, rs -> rs.getString(1));
            if (!dead.isEmpty()) {
                log.warn("nodes {} stopped heartbeating for {}; taking over their work", dead, deadAfter);
            }
            if (sweepOrphans || !dead.isEmpty()) { // a scan of the pending rows: only at start-up and after a death
                int released = Jdbc.update(c, "update deliveries set claimed_by = null where status = 'pending' and claimed_by is not null"
                        + " and not exists (select 1 from nodes n where n.id = deliveries.claimed_by)", ps -> {});
                if (released > 0) {
                    log.info("released {} deliveries claimed by nodes that are gone", released);
                }
            }
            Set<Integer> held = new HashSet<>(Jdbc.query(c, "update partitions set lease_until = ? where owner = ? returning id", ps -> {
                ps.setTimestamp(1, ts(until));
                ps.setString(2, nodeId);
            }, rs -> rs.getInt(1)));
            int live = Jdbc.query(c, "select count(*) from nodes", ps -> {}, rs -> rs.getInt(1)).getFirst();
            int share = (PARTITIONS + Math.max(1, live) - 1) / Math.max(1, live);
            if (held.size() < share) {
                held.addAll(Jdbc.query(c, "update partitions set owner = ?, lease_until = ? where id in (select id from partitions"
                        + " where owner is null or lease_until < ? or not exists (select 1 from nodes n where n.id = partitions.owner)"
                        + " order by id limit ? for update skip locked) returning id", ps -> {
                    ps.setString(1, nodeId);
                    ps.setTimestamp(2, ts(until));
                    ps.setTimestamp(3, ts(now));
                    ps.setInt(4, share - held.size());
                }, rs -> rs.getInt(1)));
            } else if (held.size() > share) {
                List<Integer> giveUp = held.stream().sorted(java.util.Comparator.reverseOrder()).filter(idle::test)
                        .limit(held.size() - share).toList();
                if (!giveUp.isEmpty()) {
                    Integer[] ids = giveUp.toArray(Integer[]::new);
                    Jdbc.update(c, "update deliveries d set claimed_by = null from endpoints e where d.endpoint_id = e.id"
                            + " and e.partition = any (?) and d.claimed_by = ? and d.status = 'pending'", ps -> {
                        ps.setArray(1, c.createArrayOf("int4", ids));
                        ps.setString(2, nodeId);
                    });
                    Jdbc.update(c, "update partitions set owner = null, lease_until = null where id = any (?) and owner = ?", ps -> {
                        ps.setArray(1, c.createArrayOf("int4", ids));
                        ps.setString(2, nodeId);
                    });
                    giveUp.forEach(held::remove);
                }
            }
            return held;
        });
        owned = Set.copyOf(mine);
        leaseUntil = until;
        sweepOrphans = false;
    }

    /** Leaves the cluster (after this node handed its claims back): its partitions are free at once. */
    void deregister() {
        owned = Set.of();
        jdbc.inTransaction(c -> {
            Jdbc.update(c, "update partitions set owner = null, lease_until = null where owner = ?", ps -> ps.setString(1, nodeId));
            return Jdbc.update(c, "delete from nodes where id = ?", ps -> ps.setString(1, nodeId));
        });
    }
}
