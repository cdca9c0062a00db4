package dev.herald.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.herald.server.HeraldServer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** The end of a run: one aligned table on the console, and the same numbers (plus timelines and machine facts) as JSON and CSV. */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A table row: a label, how to read the value from a phase, and the target it is judged against (may be empty). */
    record Row(String label, Function<Bench.Phase, Object> value, String target) {
        static Row of(String label, String key, String target) {
            return new Row(label, p -> p.metrics().get(key), target);
        }
    }

    private final String scenario;
    private final Bench bench;
    private final List<Bench.Phase> phases = new ArrayList<>();
    private final Map<String, Object> summary = new LinkedHashMap<>();

    Report(String scenario, Bench bench) {
        this.scenario = scenario;
        this.bench = bench;
    }

    void add(Bench.Phase p) {
        phases.add(p);
    }

    Bench.Phase phase(String name) {
        return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    void summary(String key, Object value) {
        summary.put(key, value);
    }

    /** Prints the table: one column per phase, then the target. */
    void print(PrintStream out, String title, List<Row> rows) {
        List<String[]> lines = new ArrayList<>();
        String[] head = new String[phases.size() + 2];
        head[0] = "";
        for (int i = 0; i < phases.size(); i++) {
            head[i + 1] = phases.get(i).name();
        }
        head[head.length - 1] = "target";
        lines.add(head);
        for (Row r : rows) {
            String[] line = new String[head.length];
            line[0] = r.label();
            for (int i = 0; i < phases.size(); i++) {
                Object v = r.value().apply(phases.get(i));
                line[i + 1] = v == null ? "" : fmt(v);
            }
            line[line.length - 1] = r.target();
            lines.add(line);
        }
        int[] width = new int[head.length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        out.println();
        out.println(title);
        for (int n = 0; n < lines.size(); n++) {
            StringBuilder sb = new StringBuilder();
            String[] l = lines.get(n);
            for (int i = 0; i < l.length; i++) {
                sb.append(i == 0 ? String.format("%-" + width[i] + "s", l[i]) : String.format("  %" + width[i] + "s", l[i]));
            }
            out.println(sb.toString().stripTrailing());
            if (n == 0) {
                out.println("-".repeat(sb.length()));
            }
        }
        out.println();
    }

    static String fmt(Object v) {
        if (v instanceof Double d) {
            if (d.isNaN()) {
                return "-";
            }
            return Math.abs(d) >= 1000 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.2f", d);
        }
        if (v instanceof Long || v instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        }
        if (v instanceof Map<?, ?> m) {
            return m.isEmpty() ? "-" : m.toString();
        }
        return String.valueOf(v);
    }

    /** Writes {@code <scenario>-<run>.json}, {@code .csv} (one row per phase) and {@code -timeline.csv}; returns the JSON path. */
    Path write(String[] args) throws IOException {
        Path dir = bench.settings.out();
        Files.createDirectories(dir);
        String base = scenario + "-" + bench.runId;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("scenario", scenario);
        doc.put("run_id", bench.runId);
        doc.put("args", List.of(args));
        doc.put("machine", machine(bench.pg));
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = JSON.convertValue(bench.settings, LinkedHashMap.class);
        settings.put("out", bench.settings.out().toString());
        doc.put("settings", settings);
        doc.put("summary", summary);
        List<Map<String, Object>> ps = new ArrayList<>();
        for (Bench.Phase p : phases) {
            Map<String, Object> m = new LinkedHashMap<>(p.metrics());
            m.put("timeline_deliveries_per_s", p.timeline());
            ps.add(m);
        }
        doc.put("phases", ps);
        Path json = dir.resolve(base + ".json");
        JSON.writeValue(json.toFile(), doc);

        Set<String> keys = new LinkedHashSet<>();
        phases.forEach(p -> p.metrics().forEach((k, v) -> {
            if (!(v instanceof Map)) {
                keys.add(k);
            }
        }));
        StringBuilder csv = new StringBuilder(String.join(",", keys)).append('\n');
        for (Bench.Phase p : phases) {
            List<String> cells = new ArrayList<>();
            keys.forEach(k -> cells.add(csvCell(p.metrics().get(k))));
            csv.append(String.join(",", cells)).append('\n');
        }
        Files.writeString(dir.resolve(base + ".csv"), csv);

        StringBuilder tl = new StringBuilder("second");
        int rows = 0;
        for (Bench.Phase p : phases) {
            tl.append(',').append(p.name());
            rows = Math.max(rows, p.timeline().length);
        }
        tl.append('\n');
        for (int s = 0; s < rows; s++) {
            tl.append(s);
            for (Bench.Phase p : phases) {
                tl.append(',').append(s < p.timeline().length ? p.timeline()[s] : "");
            }
            tl.append('\n');
        }
        Files.writeString(dir.resolve(base + "-timeline.csv"), tl);
        return json;
    }

    private static String csvCell(Object v) {
        if (v == null) {
            return "";
        }
        String s = String.valueOf(v);
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Facts about the machine a result came from. */
    static Map<String, Object> machine(PgServer pg) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", firstLine("/proc/cpuinfo", "model name"));
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            m.put("memory_gib", Meter.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024)));
        }
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")");
        m.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        m.put("postgresql", pg.version() + (pg.isEmbedded() ? " (embedded)" : ""));
        m.put("postgresql_server", pg.describe());
        String v = HeraldServer.class.getPackage().getImplementationVersion();
        m.put("herald_version", v == null ? "dev" : v);
        m.put("git_commit", git());
        return m;
    }

    private static String firstLine(String file, String prefix) {
        try {
            return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(prefix)).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String git() {
        try {
            Process p = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
