package dev.herald.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The crash and cluster phases: Herald as {@code nodes} child JVMs on the phase database; {@code killAt} seconds into the
 * load the last node gets SIGKILL and is either started again at once on the same port ({@code restart}, the crash
 * scenario) or left dead (the cluster scenario, where the others take its partitions over). Everything it reports is
 * measured: downtime (kill → the restarted node is ready), recovery (kill → first request the fleet gets from a node
 * alive after the kill), take-over (kill → every endpoint the killed node leased has received again), detection (kill →
 * its node row removed by the others) and the duplicate bound: the killed node's endpoints x max-in-flight plus the
 * results that were acknowledged by the fleet but not recorded as delivered when it died. With {@code fifoPercent} > 0
 * that share of endpoints is FIFO and a {@link FifoCheck} compares their arrival order with the stored order.
 */
final class KillScript implements Bench.Script {
    private static final long NONE = Long.MIN_VALUE;

    private final int nodes;
    private final boolean restart;
    private final int killAtSeconds;
    private final List<String> javaOpts;
    private final int fifoPercent;
    private ChildCluster cluster;
    private FifoCheck fifo;
    private final Map<String, Integer> nodeIndexById = new HashMap<>();
    private String victimId;
    private List<Integer> victimEndpoints = List.of();
    private long killNanos = NONE;
    private long readyNanos = NONE;
    private long detectedNanos = NONE;
    private long unrecorded;

    KillScript(int nodes, boolean restart, int killAtSeconds, List<String> javaOpts, int fifoPercent) {
        this.nodes = nodes;
        this.restart = restart;
        this.killAtSeconds = killAtSeconds;
        this.javaOpts = javaOpts;
        this.fifoPercent = fifoPercent;
    }

    @Override
    public AdminApi.EndpointOptions endpoints(Settings s) {
        return new AdminApi.EndpointOptions(s.timeoutSeconds(), true, fifoPercent > 0 ? FifoCheck.share(s.endpoints(), fifoPercent) : null);
    }

    @Override
    public HeraldUnderTest start(Bench bench, String phase, String databaseUrl) throws Exception {
        Settings s = bench.settings;
        java.nio.file.Files.createDirectories(s.out());
        String logPrefix = s.out().resolve(phase + "-" + bench.runId).toString();
        ChildHerald.Config c = new ChildHerald.Config(databaseUrl, "bench-" + UUID.randomUUID(), s.maxInFlight(), s.maxBodyBytes(), javaOpts, 120);
        cluster = ChildCluster.start(nodes, c, logPrefix);
        return cluster;
    }

    /** Maps node rows to children (started one after another, so by start time) and waits until the partitions are spread. */
    @Override
    public void ready(Bench.Run run) throws Exception {
        if (fifoPercent > 0) {
            fifo = new FifoCheck(run.receipts.workload, FifoCheck.share(run.endpointIds.length, fifoPercent));
            run.bench().fleet.arrivals(fifo);
        }
        try (Connection c = run.bench().pg.connect(run.database)) {
            List<String> ids = strings(c, "select id from nodes order by started_at, id");
            for (int i = 0; i < ids.size() && i < nodes; i++) {
                nodeIndexById.put(ids.get(i), i);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Map<String, Integer> owners;
            while (true) {
                owners = owners(c);
                int min = owners.values().stream().mapToInt(Integer::intValue).min().orElse(0);
                int max = owners.values().stream().mapToInt(Integer::intValue).max().orElse(0);
                boolean spread = owners.size() == nodes && !owners.containsKey(null) && max - min <= nodes; // shares are ceil(64/n)
                if (spread || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(200);
            }
            run.log("%d node(s) %s, partitions per node: %s", nodes, java.util.Arrays.toString(cluster.nodes().stream().mapToLong(ChildHerald::pid).toArray()), owners);
        }
    }

    @Override
    public void duringLoad(Bench.Run run) throws Exception {
        long at = run.loadStart + TimeUnit.SECONDS.toNanos(killAtSeconds);
        while (System.nanoTime() < at) {
            Thread.sleep(Math.max(1, Math.min(200, (at - System.nanoTime()) / 1_000_000)));
        }
        ChildHerald victim = cluster.node(nodes - 1);
        try (Connection c = run.bench().pg.connect(run.database)) {
            victimId = nodeIndexById.entrySet().stream().filter(e -> e.getValue() == nodes - 1).map(Map.Entry::getKey).findFirst().orElse(null);
            victimEndpoints = victimEndpoints(c, run.endpointIds);
            run.label("kill");
            if (restart) {
                victim.kill();
            } else {
                victim.retire();
            }
            killNanos = System.nanoTime();
            run.receipts.mark(killNanos);
            // Acknowledged by the fleet but not recorded as delivered: the results the dead node could not write.
            unrecorded = Math.max(0, run.receipts.uniqueAcks() - scalar(c, "select count(*) from deliveries where status = 'delivered'"));
            run.log("SIGKILL %s (pid gone) at %.1f s; it leased %d endpoint(s); %,d acknowledged deliveries not recorded as delivered",
                    victim.name(), run.sinceLoadStart(killNanos), victimEndpoints.size(), unrecorded);
            if (restart) {
                run.label("restart");
                victim.startProcess();
                readyNanos = System.nanoTime();
                run.log("%s restarted on port %d, ready %.1f s after the kill", victim.name(), victim.port(), (readyNanos - killNanos) / 1e9);
            }
            run.label(restart ? "load" : "load-1");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (victimId != null && System.nanoTime() < deadline) {
                if (scalar(c, "select count(*) from nodes where id = '" + victimId.replace("'", "''") + "'") == 0) {
                    detectedNanos = System.nanoTime();
                    run.log("the killed node's row was removed (presumed dead) %.1f s after the kill", (detectedNanos - killNanos) / 1e9);
                    break;
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void after(Bench.Run run, Map<String, Object> m) throws SQLException {
        Settings s = run.bench().settings;
        if (fifo != null) {
            run.bench().fleet.arrivals(null);
            try (Connection c = run.bench().pg.connect(run.database)) {
                FifoCheck.Result r = fifo.verify(c, run.endpointIds);
                m.put("fifo_endpoints", r.endpoints());
                m.put("fifo_keys_checked", r.keys());
                m.put("fifo_keys_with_several", r.keysWithSeveral());
                m.put("fifo_order_violations", r.violations());
                if (r.example() != null) {
                    m.put("fifo_first_violation", r.example());
                }
            }
        }
        m.put("nodes", nodes);
        m.put("kill_at_s", killAtSeconds);
        m.put("killed", killNanos != NONE);
        m.put("restarted", restart);
        if (killNanos == NONE) {
            return;
        }
        if (readyNanos != NONE) {
            m.put("downtime_s", seconds(readyNanos));
        }
        m.put("detected_dead_s", detectedNanos == NONE ? null : seconds(detectedNanos));
        long first = Long.MAX_VALUE;
        for (int ep = 0; ep < run.endpointIds.length; ep++) {
            long t = run.receipts.firstSinceMark(ep);
            if (t != NONE) {
                first = Math.min(first, t);
            }
        }
        m.put("recovery_s", first == Long.MAX_VALUE ? null : seconds(first));
        long last = NONE;
        int silent = 0;
        for (int ep : victimEndpoints) {
            long t = run.receipts.firstSinceMark(ep);
            if (t == NONE) {
                silent++;
            } else {
                last = Math.max(last, t);
            }
        }
        m.put("victim_endpoints", victimEndpoints.size());
        m.put("victim_endpoints_never_received_again", silent);
        m.put("takeover_s", last == NONE ? null : seconds(last));
        m.put("takeover_after_detection_s", last == NONE || detectedNanos == NONE ? null : Meter.round((last - detectedNanos) / 1e9));
        long window = (long) victimEndpoints.size() * s.maxInFlight();
        m.put("in_flight_window", window);
        m.put("unrecorded_at_kill", unrecorded);
        m.put("duplicate_bound", window + unrecorded);
        m.put("node_starts", cluster.nodes().stream().mapToInt(ChildHerald::starts).sum());
    }

    private double seconds(long nanos) {
        return Meter.round((nanos - killNanos) / 1e9);
    }

    /** Fleet indexes of the endpoints whose partition the killed node leases now. */
    private List<Integer> victimEndpoints(Connection c, String[] endpointIds) throws SQLException {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < endpointIds.length; i++) {
            index.put(endpointIds[i], i);
        }
        List<Integer> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select e.id from endpoints e join partitions p on p.id = e.partition where p.owner = ?")) {
            ps.setString(1, victimId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer i = index.get(rs.getString(1));
                    if (i != null) {
                        out.add(i);
                    }
                }
            }
        }
        return out;
    }

    private Map<String, Integer> owners(Connection c) throws SQLException {
        Map<String, Integer> out = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select owner, count(*) from partitions group by owner")) {
            while (rs.next()) {
                String owner = rs.getString(1);
                Integer i = owner == null ? null : nodeIndexById.get(owner);
                out.put(owner == null ? null : i == null ? owner : "node" + i, rs.getInt(2));
            }
        }
        return out;
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static long scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
