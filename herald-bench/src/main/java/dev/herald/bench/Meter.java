package dev.herald.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Resource use over one phase: this process's CPU (Herald, fleet and load generator share it), PostgreSQL's CPU, heap
 * high-water (sampled every 100 ms, and the sum of the heap pools' peaks, an upper bound), GC and open file descriptors.
 * The whole machine's CPU is measured too, and the processes that are neither this JVM nor PostgreSQL
 * ({@code cpu_other_cores}, {@code cpu_other_top}): a result taken on a busy machine says so. When Herald runs in child
 * processes their CPU is reported apart ({@code cpu_herald_s}, and {@code cpu_<node>_s} per node), and so is a RabbitMQ
 * server's on this machine ({@code cpu_broker_cores}, not in {@code cpu_other_cores}).
 */
final class Meter implements AutoCloseable {
    /** The Erlang VM a RabbitMQ server runs in: reported apart ({@code cpu_broker_cores}) when one runs on this machine. */
    private static final String BROKER_COMM = "beam.smp";

    private final PgServer pg;
    private final HeraldUnderTest herald;
    private final Map<String, Long> heraldCpuStart;
    private final long wallStart = System.nanoTime();
    private final long cpuStart = processCpuNanos();
    private final long allocStart = allocatedBytes();
    private final OptionalLong pgCpuStart;
    private final long[] machineStart = machineTicks();
    private final Map<Long, Proc> procStart = processes();
    private final long gcCountStart;
    private final long gcMillisStart;
    private Thread sampler;
    private volatile boolean running = true;
    private volatile long heapMax;
    private volatile long heapAfterGcMax;
    private volatile int fdMax;
    private Map<String, Object> result;

    Meter(PgServer pg) {
        this(pg, null);
    }

    /** Meters this JVM, PostgreSQL ({@code pg} may be null) and Herald's child processes when {@code herald} has any. */
    Meter(PgServer pg, HeraldUnderTest herald) {
        this.pg = pg;
        this.herald = herald;
        this.heraldCpuStart = herald == null ? Map.of() : herald.cpuNanos();
        this.pgCpuStart = pg == null ? OptionalLong.empty() : pg.cpuNanos();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        long[] gc = gc();
        gcCountStart = gc[0];
        gcMillisStart = gc[1];
    }

    /** Starts sampling the heap and open files (until {@link #stop()}); returns this meter. */
    synchronized Meter start() {
        if (sampler == null && result == null) {
            sampler = Thread.ofPlatform().daemon().name("bench-meter").start(this::sample);
        }
        return this;
    }

    private void sample() {
        int tick = 0;
        while (running) {
            heapMax = Math.max(heapMax, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            heapAfterGcMax = Math.max(heapAfterGcMax, heapAfterLastGc());
            if (tick++ % 10 == 0) {
                fdMax = Math.max(fdMax, openFds());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** CPU cores this process used since the meter started (for progress lines). */
    double coresSoFar() {
        double wall = (System.nanoTime() - wallStart) / 1e9;
        return wall <= 0 ? 0 : (processCpuNanos() - cpuStart) / 1e9 / wall;
    }

    long heapMaxSoFar() {
        return heapMax;
    }

    /** Stops sampling and returns the phase's figures (idempotent). */
    synchronized Map<String, Object> stop() {
        if (result != null) {
            return result;
        }
        running = false;
        if (sampler != null) {
            sampler.interrupt();
        }
        double wall = (System.nanoTime() - wallStart) / 1e9;
        double cpu = (processCpuNanos() - cpuStart) / 1e9;
        long poolPeaks = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                poolPeaks += pool.getPeakUsage().getUsed();
            }
        }
        long[] gc = gc();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("wall_s", round(wall));
        m.put("cpu_bench_s", round(cpu));
        m.put("cpu_bench_cores", round(cpu / wall));
        OptionalLong pgEnd = pg == null ? OptionalLong.empty() : pg.cpuNanos();
        if (pgCpuStart.isPresent() && pgEnd.isPresent()) {
            double pgCpu = (pgEnd.getAsLong() - pgCpuStart.getAsLong()) / 1e9;
            m.put("cpu_pg_s", round(pgCpu));
            m.put("cpu_pg_cores", round(pgCpu / wall));
        }
        if (herald != null && !herald.cpuNanos().isEmpty()) {
            double total = 0;
            for (Map.Entry<String, Long> e : herald.cpuNanos().entrySet()) {
                double node = (e.getValue() - heraldCpuStart.getOrDefault(e.getKey(), 0L)) / 1e9;
                m.put("cpu_" + e.getKey() + "_s", round(node));
                total += node;
            }
            m.put("cpu_herald_s", round(total));
            m.put("cpu_herald_cores", round(total / wall));
        }
        long[] machineEnd = machineTicks();
        if (machineStart != null && machineEnd != null) {
            m.put("cpu_machine_cores", round((machineEnd[0] - machineStart[0]) / 100.0 / wall));
            m.put("cpu_softirq_cores", round((machineEnd[1] - machineStart[1]) / 100.0 / wall));
            m.put("cpu_steal_cores", round((machineEnd[2] - machineStart[2]) / 100.0 / wall));
        }
        otherProcesses(m, wall);
        long allocated = allocatedBytes() - allocStart;
        if (allocStart >= 0) {
            m.put("alloc_bytes", allocated);
        }
        m.put("heap_max_mib", round(Math.max(heapMax, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()) / 1048576.0));
        m.put("heap_after_gc_max_mib", round(heapAfterGcMax / 1048576.0));
        m.put("heap_xmx_mib", Runtime.getRuntime().maxMemory() >> 20);
        m.put("heap_pool_peaks_mib", round(poolPeaks / 1048576.0));
        m.put("gc_count", gc[0] - gcCountStart);
        m.put("gc_ms", gc[1] - gcMillisStart);
        m.put("fd_max", Math.max(fdMax, openFds()));
        m.put("fd_limit", fdLimit());
        result = m;
        return m;
    }

    @Override
    public void close() {
        stop();
    }

    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /**
     * Bytes this JVM allocated on its heap so far, all threads (virtual threads count on their carriers, ended threads
     * included), or -1 when the JVM does not say. Unlike CPU time it does not depend on what else runs on the machine.
     */
    static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()
                && t.isThreadAllocatedMemoryEnabled()) {
            return t.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    /** CPU nanoseconds (user + system) of process {@code pid} from /proc/&lt;pid&gt;/stat, or -1 when it is gone. */
    static long processCpuNanos(long pid) {
        long[] st = PgServer.procStat(pid);
        return st == null ? -1 : (st[1] + st[2]) * 10_000_000L; // USER_HZ is 100 on Linux
    }

    /** {user+nice+system, irq+softirq, steal} clock ticks of the whole machine from /proc/stat, or null. */
    static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            return new long[] {Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]),
                    Long.parseLong(f[6]) + Long.parseLong(f[7]), Long.parseLong(f[8])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * CPU of every process that is neither this JVM nor the PostgreSQL nor the RabbitMQ server (e.g. someone's build on a shared box):
     * {@code cpu_other_cores} and the three biggest as {@code cpu_other_top}. Processes that ended meanwhile are missed.
     */
    private void otherProcesses(Map<String, Object> m, double wall) {
        Map<Long, Proc> end = processes();
        if (end.isEmpty()) {
            return;
        }
        long self = ProcessHandle.current().pid();
        long pm = pg == null ? -1 : pg.postmasterPid();
        java.util.Set<Long> children = herald == null ? java.util.Set.of() : herald.pids();
        Map<String, Long> byName = new java.util.HashMap<>();
        long total = 0;
        long broker = 0;
        boolean brokerSeen = false;
        for (Proc p : end.values()) {
            if (p.pid() == self || p.pid() == pm || (pm > 0 && p.ppid() == pm) || children.contains(p.pid())) {
                continue;
            }
            Proc before = procStart.get(p.pid());
            long delta = p.ticks() - (before != null && before.comm().equals(p.comm()) ? before.ticks() : 0);
            if (p.comm().equals(BROKER_COMM)) {
                brokerSeen = true;
                broker += Math.max(0, delta);
                continue;
            }
            if (delta > 0) {
                total += delta;
                byName.merge(p.comm() + "(" + p.pid() + ")", delta, Long::sum);
            }
        }
        if (brokerSeen) {
            m.put("cpu_broker_s", round(broker / 100.0));
            m.put("cpu_broker_cores", round(broker / 100.0 / wall));
        }
        m.put("cpu_other_cores", round(total / 100.0 / wall));
        m.put("cpu_other_top", String.join(" ", byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
                .map(e -> e.getKey() + ":" + round(e.getValue() / 100.0 / wall)).toList()));
    }

    private record Proc(long pid, long ppid, String comm, long ticks) {}

    private static Map<Long, Proc> processes() {
        Map<Long, Proc> out = new java.util.HashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                try {
                    String st = Files.readString(p.resolve("stat"));
                    int close = st.lastIndexOf(')');
                    String[] f = st.substring(close + 2).split(" ");
                    long pid = Long.parseLong(name);
                    out.put(pid, new Proc(pid, Long.parseLong(f[1]), st.substring(st.indexOf('(') + 1, close),
                            Long.parseLong(f[11]) + Long.parseLong(f[12])));
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }

    /** Heap in use right after the last collection of each heap pool, summed: the live set as the collector last saw it. */
    private static long heapAfterLastGc() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                sum += pool.getCollectionUsage().getUsed();
            }
        }
        return sum;
    }

    private static long[] gc() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, b.getCollectionCount());
            millis += Math.max(0, b.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    static long fdLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u
                ? u.getMaxFileDescriptorCount() : -1;
    }

    static int openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    static double round(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? v : Math.round(v * 100) / 100.0;
    }
}
