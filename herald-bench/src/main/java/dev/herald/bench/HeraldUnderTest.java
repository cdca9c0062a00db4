package dev.herald.bench;

import java.util.Map;
import java.util.Set;

/**
 * A Herald the bench drives: in this JVM ({@link BenchHerald}) or one or more child JVMs ({@link ChildCluster}) on one
 * database. A phase sets it up through {@link AdminApi} on {@link #port()} and spreads producers over {@link #ports()}.
 */
interface HeraldUnderTest extends AutoCloseable {
    /** A live node's API port, for setup calls. */
    int port();

    /** The API ports producers round-robin over: every node not retired (a node being restarted stays listed and refuses). */
    int[] ports();

    String apiKey();

    /** CPU nanoseconds used so far by each Herald process (killed incarnations included); empty when Herald shares this JVM. */
    default Map<String, Long> cpuNanos() {
        return Map.of();
    }

    /** Process ids of the Herald processes alive now (not this JVM). */
    default Set<Long> pids() {
        return Set.of();
    }

    @Override
    void close();
}
