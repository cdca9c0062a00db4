package dev.herald.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.Herald;
import dev.herald.audit.Actor;
import dev.herald.audit.AuditContext;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.event.EventInput;
import dev.herald.http.OutboundConfig;
import dev.herald.metrics.EngineMetrics;
import dev.herald.retention.PartitionMaintenance;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.support.PartDays;
import io.opentelemetry.api.OpenTelemetry;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./herald bench soak}: days of traffic compressed into minutes. Herald runs in this JVM on a clock that the
 * scenario drives (real time plus an offset it moves an hour at a time), so day partitions roll over many times in one
 * run; after each simulated day the partition maintenance runs (as its hourly job would) and drops the days past
 * {@code --retention-days}. Each simulated day prints the tables' total size over their partition trees, the number of
 * day partitions and the day's throughput, which should stay flat once the first retention period has passed.
 * Some endpoints always fail (500), so retries, failed deliveries and their resend window are part of the load.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Days of traffic on a driven clock: per simulated day the table sizes, day partitions and throughput, which should stay flat while retention drops old days.")
final class Soak implements Callable<Integer> {
    @Option(names = "--days", defaultValue = "14", description = "Simulated days (default ${DEFAULT-VALUE}).")
    int days;
    @Option(names = "--events-per-day", defaultValue = "24000", description = "Events per simulated day, one delivery each (default ${DEFAULT-VALUE}).")
    int eventsPerDay;
    @Option(names = "--endpoints", defaultValue = "20", description = "Endpoints, each subscribed to its own event type (default ${DEFAULT-VALUE}).")
    int endpoints;
    @Option(names = "--failing-percent", defaultValue = "5", description = "Share of endpoints that always answer 500 (default ${DEFAULT-VALUE}).")
    int failingPercent;
    @Option(names = "--retention-days", defaultValue = "3", description = "Herald's --retention-days (default ${DEFAULT-VALUE}).")
    int retentionDays;
    @Option(names = "--event-size", defaultValue = "1024", description = "Bytes of each event's data (default ${DEFAULT-VALUE}).")
    int eventSize;
    @Option(names = "--batch", defaultValue = "100", description = "Events per ingest call (default ${DEFAULT-VALUE}).")
    int batch;
    @Mixin
    DatabaseOptions database;
    @Option(names = "--keep", description = "Keep the soak database after the run.")
    boolean keep;

    /** What one soak runs: see the options. */
    record Settings(int days, int eventsPerDay, int endpoints, int failingPercent, int retentionDays, int eventSize, int batch) {}

    /**
     * One simulated day: its events and how long they took (real seconds, so {@code eventsPerSecond} is the throughput),
     * the day partitions left after the maintenance run, the days it dropped and kept, the deliveries still pending, and
     * the total bytes of each table over its partitions and indexes.
     */
    record Day(int day, LocalDate date, long events, double seconds, double eventsPerSecond, int partitions, List<LocalDate> dropped,
               List<LocalDate> kept, long pending, long defaultRows, long eventsBytes, long deliveriesBytes, long attemptsBytes, long keysBytes) {
        long totalBytes() {
            return eventsBytes + deliveriesBytes + attemptsBytes + keysBytes;
        }
    }

    @Override
    public Integer call() throws Exception {
        Settings s = new Settings(days, eventsPerDay, endpoints, failingPercent, retentionDays, eventSize, batch);
        PgServer chosen;
        try {
            chosen = database.open(keep, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("herald-bench: " + e.getMessage());
            return 2;
        }
        try (PgServer pg = chosen) {
            System.out.println("database: " + pg.describe());
            String name = "herald_soak_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
            pg.createDatabase(name);
            try {
                run(DatabaseConfig.fromUrl(pg.url(name)), s, System.out);
            } finally {
                if (!keep) {
                    pg.dropDatabase(name);
                }
            }
        }
        return 0;
    }

    /** A clock at real time plus an offset the soak moves forward. */
    static final class DrivenClock extends Clock {
        private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

        void advance(Duration d) {
            offset.updateAndGet(o -> o.plus(d));
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** Runs the soak on {@code db} (a fresh database), printing one line per simulated day; returns the days. */
    static List<Day> run(DatabaseConfig db, Settings s, PrintStream out) throws Exception {
        DrivenClock clock = new DrivenClock();
        Instant now = Instant.now();
        clock.advance(Duration.between(now, PartDays.of(now).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(1800))); // 00:30 UTC tomorrow
        AtomicLong received = new AtomicLong();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            boolean fail = exchange.getRequestURI().getPath().startsWith("/fail");
            if (!fail) {
                received.incrementAndGet();
            }
            exchange.sendResponseHeaders(fail ? 500 : 200, -1);
            exchange.close();
        });
        receiver.start();
        List<Day> out2 = new ArrayList<>();
        try (Database database = Database.open(db.withMaxPoolSize(20).withApplicationName("herald-soak"), Herald.MIGRATIONS)) {
            OutboundConfig outbound = new OutboundConfig(true, false, 64, Duration.ofSeconds(5), "Herald-Webhook/soak");
            // failing endpoints are never auto-disabled (their deliveries fail after the retries, so no day is held by a paused
            // endpoint) and their breakers never open (a breaker's probe per cool-down would stretch their retries over days)
            Dispatcher.Config dc = new Dispatcher.Config(16, 64, 1000, 20_000, Duration.ofMillis(200), 500, Integer.MAX_VALUE, Integer.MAX_VALUE,
                    Duration.ofSeconds(30), Dispatcher.HEARTBEAT, Dispatcher.DEAD_AFTER, false);
            PartitionMaintenance.Config retention = PartitionMaintenance.Config.defaults().withRetentionDays(s.retentionDays())
                    .withEvery(Duration.ofDays(1)); // the soak runs it itself after each simulated day
            try (Herald herald = Herald.create(database.dataSource(), new Herald.Config(outbound, dc, BenchHerald.MASTER_KEY, retention), clock,
                    new SplittableRandom(7), EngineMetrics.none(clock), OpenTelemetry.noop()).start()) {
                Jdbc jdbc = new Jdbc(database.dataSource());
                AuditContext soak = new AuditContext(new Actor("key_soak", "soak", null), "127.0.0.1", "0af7651916cd43dd8448eb211c80319c");
                int failing = Math.round(s.endpoints() * s.failingPercent() / 100f);
                for (int i = 0; i < s.endpoints(); i++) {
                    String path = (i < failing ? "/fail/" : "/ok/") + i;
                    herald.endpoints().create(soak, new EndpointDraft(null, "soak-" + i, null, "http://127.0.0.1:" + receiver.getAddress().getPort() + path,
                            List.of("soak.e" + i), null, null, null, 3, null, List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15)), 5));
                }
                ObjectNode data = JsonNodeFactory.instance.objectNode().put("filler", "x".repeat(Math.max(0, s.eventSize() - 40)));
                out.printf("soak: %d days of %,d events, %d endpoints (%d always failing), retention %d days, %s%n%n", s.days(), s.eventsPerDay(),
                        s.endpoints(), failing, s.retentionDays(), db.jdbcUrl().replaceAll("password=[^&]*", "password=***"));
                out.printf("%4s %-10s %9s %8s %9s %6s %6s %8s %10s %10s %10s %9s %10s%n", "day", "date", "events", "seconds", "events/s", "days",
                        "kept", "pending", "events MiB", "deliv. MiB", "attem. MiB", "keys MiB", "total MiB");
                long seq = 0;
                for (int day = 1; day <= s.days(); day++) {
                    LocalDate date = PartDays.of(clock.instant());
                    long started = System.nanoTime();
                    int perHour = Math.max(1, s.eventsPerDay() / 24);
                    long published = 0;
                    for (int hour = 0; hour < 24; hour++) {
                        for (int done = 0; done < perHour; done += s.batch()) {
                            List<EventInput> events = new ArrayList<>(s.batch());
                            for (int k = 0; k < Math.min(s.batch(), perHour - done); k++, seq++) {
                                events.add(new EventInput(null, "soak.e" + (seq % s.endpoints()), null, "acc-" + (seq % 1000), data, null, 0, null, null));
                            }
                            herald.ingest().ingest(events);
                            published += events.size();
                        }
                        if (hour < 23) {
                            clock.advance(Duration.ofHours(1)); // retries fall due, leases and heartbeats follow the clock
                        }
                    }
                    long pending = drain(jdbc, clock, Duration.ofSeconds(120)); // from 23:30, the day's last retries
                    // the next day starts at 00:30, so every line is measured at the same time of day
                    Instant next = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(1800);
                    if (clock.instant().isBefore(next)) {
                        clock.advance(Duration.between(clock.instant(), next));
                    }
                    double seconds = (System.nanoTime() - started) / 1e9;
                    PartitionMaintenance.Report r = maintain(herald);
                    Day d = measure(jdbc, day, date, published, seconds, r, pending);
                    out2.add(d);
                    out.printf("%4d %-10s %,9d %8.1f %,9.0f %6d %6d %,8d %10.1f %10.1f %10.1f %9.1f %10.1f%n", d.day(), d.date(), d.events(), d.seconds(),
                            d.eventsPerSecond(), d.partitions(), d.kept().size(), d.pending(), mib(d.eventsBytes()), mib(d.deliveriesBytes()),
                            mib(d.attemptsBytes()), mib(d.keysBytes()), mib(d.totalBytes()));
                }
                out.printf("%nreceived %,d deliveries; day partitions stay at retention (%d) + today + %d ahead + the days kept for pending work%n",
                        received.get(), s.retentionDays(), retention.aheadDays());
            }
        } finally {
            receiver.stop(0);
        }
        return out2;
    }

    /**
     * Waits until nothing is pending any more (failing endpoints' deliveries end failed after their retries). While
     * something is due it waits in real time; when all that is left waits for a retry, the clock jumps to the earliest,
     * and when nothing moved for half a second (a lane pacing a retry by the clock) it moves a minute. So the day's last
     * retries take minutes of simulated time, not hours. Returns what is left at the timeout.
     */
    private static long drain(Jdbc jdbc, DrivenClock clock, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        int still = 0;
        while (System.nanoTime() < deadline) {
            Instant now = clock.instant();
            long[] left = jdbc.read(c -> Jdbc.query(c, "select count(*), count(*) filter (where next_attempt_at <= ?),"
                    + " extract(epoch from min(next_attempt_at) - ?) from deliveries where status = 'pending'", ps -> {
                        ps.setTimestamp(1, Jdbc.ts(now));
                        ps.setTimestamp(2, Jdbc.ts(now));
                    }, rs -> new long[] {rs.getLong(1), rs.getLong(2), (long) Math.ceil(rs.getDouble(3) * 1000)}).getFirst());
            if (left[0] == 0) {
                return 0;
            }
            still = left[0] == last ? still + 1 : 0;
            last = left[0];
            if (left[1] == 0 && left[2] > 0) {
                clock.advance(Duration.ofMillis(left[2]));
            } else if (still >= 10) {
                clock.advance(Duration.ofMinutes(1));
                still = 0;
            }
            Thread.sleep(50);
        }
        return scalar(jdbc, "select count(*) from deliveries where status = 'pending'");
    }

    /** One maintenance run (another may be under way from the engine's own schedule: then wait for it and run again). */
    private static PartitionMaintenance.Report maintain(Herald herald) throws InterruptedException {
        for (int i = 0; ; i++) {
            PartitionMaintenance.Report r = herald.partitions().runOnce();
            if (r.ran() || i == 50) {
                return r;
            }
            Thread.sleep(200);
        }
    }

    private static Day measure(Jdbc jdbc, int day, LocalDate date, long events, double seconds, PartitionMaintenance.Report r, long pending) {
        return jdbc.read(c -> new Day(day, date, events, seconds, events / seconds, PartitionMaintenance.partitionsOf(c, "events").size(),
                r.dropped(), r.kept(), pending,
                scalar(c, "select (select count(*) from events_default) + (select count(*) from deliveries_default) + (select count(*) from attempts_default)"),
                PartitionMaintenance.totalSize(c, "events"), PartitionMaintenance.totalSize(c, "deliveries"), PartitionMaintenance.totalSize(c, "attempts"),
                PartitionMaintenance.totalSize(c, "event_keys")));
    }

    private static long scalar(Jdbc jdbc, String sql) {
        return jdbc.read(c -> scalar(c, sql));
    }

    private static long scalar(java.sql.Connection c, String sql) throws java.sql.SQLException {
        return Jdbc.query(c, sql, ps -> {}, rs -> rs.getLong(1)).getFirst();
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
