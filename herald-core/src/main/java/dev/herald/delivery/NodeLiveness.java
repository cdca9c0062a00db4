package dev.herald.delivery;

import static dev.herald.store.Jdbc.ts;

import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's heartbeat and the take-over of dead nodes' work. A node that has not heartbeaten for {@code deadAfter}
 * is presumed dead: its claims are released (any node may then send those deliveries) and its row removed. Claims by
 * nodes with no row at all (a process from before) are released too. Called from the scanner; not thread-safe.
 */
final class NodeLiveness {
    private static final Logger log = LoggerFactory.getLogger(NodeLiveness.class);

    private final Jdbc jdbc;
    private final String nodeId;
    private final Clock clock;
    private final Duration heartbeat;
    private final Duration deadAfter;
    private Instant lastBeat;

    NodeLiveness(Jdbc jdbc, String nodeId, Clock clock, Duration heartbeat, Duration deadAfter) {
        this.jdbc = jdbc;
        this.nodeId = nodeId;
        this.clock = clock;
        this.heartbeat = heartbeat;
        this.deadAfter = deadAfter;
    }

    /** Registers this node; its claims are safe from take-over from now on. */
    void register() {
        Instant now = clock.instant();
        jdbc.inTransaction(c -> Jdbc.update(c, "insert into nodes (id, started_at, heartbeat_at) values (?,?,?)", ps -> {
            ps.setString(1, nodeId);
            ps.setTimestamp(2, ts(now));
            ps.setTimestamp(3, ts(now));
        }));
        lastBeat = now;
        takeOver(now);
    }

    /**
     * Heartbeats and takes over dead nodes' work, at most once per heartbeat interval. False when this node's row is
     * gone: others presumed it dead and took its claims, so the caller must drop its in-memory work and register again.
     */
    boolean tick() {
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
            return false;
        }
        lastBeat = now;
        takeOver(now);
        return true;
    }

    private void takeOver(Instant now) {
        int released = jdbc.inTransaction(c -> {
            List<String> dead = Jdbc.query(c, "delete from nodes where id <> ? and heartbeat_at < ? returning id", ps -> {
                ps.setString(1, nodeId);
                ps.setTimestamp(2, ts(now.minus(deadAfter)));
            }, rs -> rs.getString(1));
            if (!dead.isEmpty()) {
                log.warn("nodes {} stopped heartbeating for {}; taking over their deliveries", dead, deadAfter);
            }
            return Jdbc.update(c, "update deliveries set claimed_by = null where status = 'pending' and claimed_by is not null"
                    + " and not exists (select 1 from nodes n where n.id = deliveries.claimed_by)", ps -> {});
        });
        if (released > 0) {
            log.info("released {} deliveries claimed by nodes that are gone", released);
        }
    }

    /** Leaves the cluster (after this node handed its claims back). */
    void deregister() {
        jdbc.inTransaction(c -> Jdbc.update(c, "delete from nodes where id = ?", ps -> ps.setString(1, nodeId)));
    }
}
