package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** One or more {@link ChildHerald} nodes on one database: the Herald under test of the crash and cluster scenarios. */
final class ChildCluster implements HeraldUnderTest {
    private final List<ChildHerald> nodes;
    private final String apiKey;

    private ChildCluster(List<ChildHerald> nodes, String apiKey) {
        this.nodes = nodes;
        this.apiKey = apiKey;
    }

    /** Starts {@code n} nodes one after another (each ready before the next); logs go to {@code logPrefix}-node&lt;i&gt;.log. */
    static ChildCluster start(int n, ChildHerald.Config config, String logPrefix) throws IOException, InterruptedException {
        List<ChildHerald> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                nodes.add(ChildHerald.start("node" + i, config, Path.of(logPrefix + "-node" + i + ".log")));
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            nodes.forEach(ChildHerald::close);
            throw e;
        }
        return new ChildCluster(List.copyOf(nodes), config.apiKey());
    }

    List<ChildHerald> nodes() {
        return nodes;
    }

    ChildHerald node(int i) {
        return nodes.get(i);
    }

    @Override
    public int port() {
        return nodes.stream().filter(ChildHerald::alive).findFirst().orElseThrow(() -> new IllegalStateException("no node is up")).port();
    }

    @Override
    public int[] ports() {
        return nodes.stream().filter(n -> !n.retired()).mapToInt(ChildHerald::port).toArray();
    }

    @Override
    public String apiKey() {
        return apiKey;
    }

    @Override
    public Map<String, Long> cpuNanos() {
        Map<String, Long> m = new LinkedHashMap<>();
        nodes.forEach(n -> m.put(n.name(), n.cpuNanos()));
        return m;
    }

    @Override
    public Set<Long> pids() {
        return nodes.stream().filter(ChildHerald::alive).map(ChildHerald::pid).collect(Collectors.toSet());
    }

    @Override
    public void close() {
        nodes.forEach(ChildHerald::close);
    }
}
