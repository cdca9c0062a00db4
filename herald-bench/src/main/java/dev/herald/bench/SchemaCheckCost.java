package dev.herald.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import dev.herald.catalog.EventCatalog;
import dev.herald.catalog.EventType;
import dev.herald.catalog.SchemaRules;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./herald bench schema-check}: the CPU the schema check at ingest costs per event on one thread, for each
 * shipped finance type's example, next to parsing the same event's JSON once (which ingest does anyway). Thread CPU
 * time, so other processes on the machine do not count.
 */
@Command(name = "schema-check", mixinStandardHelpOptions = true,
        description = "CPU per event of the ingest schema check (shipped types' examples) on one thread, next to parsing the event's JSON.")
final class SchemaCheckCost implements Callable<Integer> {
    @Option(names = "--events", defaultValue = "200000", description = "Checks per type and round, after a warm-up round (default ${DEFAULT-VALUE}).")
    int events;

    private static volatile long blackhole;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        ObjectMapper json = new ObjectMapper();
        out.printf("%-22s %18s %22s%n", "type", "check us CPU/event", "JSON parse us CPU/event");
        for (EventType t : EventCatalog.shipped(Instant.EPOCH)) {
            if (t.operational()) {
                continue;
            }
            Schema schema = SchemaRules.compile(t.schema());
            byte[] body = json.writeValueAsBytes(json.createObjectNode().put("event", t.type()).set("data", t.example()));
            double check = 0;
            double parse = 0;
            for (int round = 0; round < 2; round++) { // the first round warms the JIT
                long c0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < events; i++) {
                    blackhole += SchemaRules.check(schema, t.example()).size();
                }
                long c1 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < events; i++) {
                    blackhole += json.readTree(body).size();
                }
                long c2 = cpu.getCurrentThreadCpuTime();
                check = (c1 - c0) / 1e3 / events;
                parse = (c2 - c1) / 1e3 / events;
            }
            out.printf("%-22s %18.2f %22.2f%n", t.type(), check, parse);
        }
        return 0;
    }
}
