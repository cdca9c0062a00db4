package dev.herald.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks FIFO endpoints from the receiving side: per endpoint and ordering key (the workload's {@code account_uuid},
 * {@code acct-<seq % 1000>}) the order in which deliveries first arrived at the fleet must be the order Herald stored
 * them in ({@code deliveries.seq}). A re-send of an id the endpoint already got (after a kill) is not a new arrival.
 */
final class FifoCheck implements Fleet.Arrivals {
    /**
     * The outcome: endpoints and keys compared, keys that got two or more deliveries (the only ones whose order can be
     * wrong), and keys whose first arrivals were out of the stored order.
     */
    record Result(int endpoints, int keys, int keysWithSeveral, int violations, String example) {}

    private final Workload workload;
    private final boolean[] fifo;
    private final Map<Integer, Map<Long, List<Long>>> arrivals = new HashMap<>();
    private final Map<Integer, Set<Long>> seen = new HashMap<>();

    FifoCheck(Workload workload, boolean[] fifo) {
        this.workload = workload;
        this.fifo = fifo.clone();
    }

    /** Every endpoint {@code i} with {@code i % 100 < percent} is FIFO. */
    static boolean[] share(int endpoints, int percent) {
        boolean[] out = new boolean[endpoints];
        for (int i = 0; i < endpoints; i++) {
            out[i] = i % 100 < percent;
        }
        return out;
    }

    static long key(long seq) {
        return seq % 1000; // Workload.appendEvent: "account_uuid":"acct-<seq % 1000>"
    }

    @Override
    public void arrived(int endpoint, String webhookId) {
        long seq = workload.seqOf(webhookId);
        if (!fifo[endpoint] || seq < 0) {
            return;
        }
        synchronized (this) {
            if (seen.computeIfAbsent(endpoint, e -> new HashSet<>()).add(seq)) {
                arrivals.computeIfAbsent(endpoint, e -> new HashMap<>()).computeIfAbsent(key(seq), k -> new ArrayList<>()).add(seq);
            }
        }
    }

    /** Compares the first arrivals with the stored order of each FIFO endpoint's deliveries; {@code ids[i]} is endpoint i's id. */
    synchronized Result verify(Connection c, String[] ids) throws SQLException {
        int endpoints = 0;
        int keys = 0;
        int several = 0;
        int violations = 0;
        String example = null;
        try (PreparedStatement ps = c.prepareStatement("select e.id from deliveries d join events e on e.seq = d.event_seq where d.endpoint_id = ? order by d.seq")) {
            for (int ep = 0; ep < fifo.length; ep++) {
                if (!fifo[ep]) {
                    continue;
                }
                endpoints++;
                Map<Long, List<Long>> stored = new HashMap<>();
                ps.setString(1, ids[ep]);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long seq = workload.seqOf(rs.getString(1));
                        stored.computeIfAbsent(key(seq), k -> new ArrayList<>()).add(seq);
                    }
                }
                Map<Long, List<Long>> got = arrivals.getOrDefault(ep, Map.of());
                for (Map.Entry<Long, List<Long>> e : got.entrySet()) {
                    keys++;
                    several += e.getValue().size() > 1 ? 1 : 0;
                    Set<Long> arrived = new HashSet<>(e.getValue());
                    List<Long> expected = stored.getOrDefault(e.getKey(), List.of()).stream().filter(arrived::contains).toList();
                    if (!expected.equals(e.getValue())) {
                        violations++;
                        if (example == null) {
                            example = "endpoint " + ep + " key acct-" + e.getKey() + ": arrived " + head(e.getValue()) + ", stored " + head(expected);
                        }
                    }
                }
            }
        }
        return new Result(endpoints, keys, several, violations, example);
    }

    private static String head(List<Long> l) {
        return (l.size() > 8 ? l.subList(0, 8) + "…" : l.toString());
    }
}
