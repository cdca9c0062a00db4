package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald tail}: follows the delivery log by polling the list API. Every poll reads the deliveries created since a
 * watermark (less an overlap, so one whose transaction committed late is still seen) and the pending ones (so a retry,
 * or a resend, of an older delivery is seen), and fetches each delivery that has tries it has not shown. Each new
 * delivery prints one line and each of its tries one line, each exactly once (remembered by delivery id and attempt).
 */
@Command(name = "tail", mixinStandardHelpOptions = true, description = {
        "Follow the delivery log live: a line for each new delivery and each attempt (time, type, delivery, endpoint, outcome, attempt, latency).",
        "Ctrl-C stops it."})
public final class TailCommand implements Callable<Integer> {
    /** How long after its creation a delivery may still become visible (its transaction committing late). */
    static final Duration OVERLAP = Duration.ofSeconds(10);
    static final List<String> COLUMNS = List.of("TIME", "TYPE", "DELIVERY", "ENDPOINT", "OUTCOME", "ATTEMPT", "LATENCY");

    @Spec CommandSpec spec;
    @Mixin Remote remote;
    @Mixin Output output;
    @Option(names = "--endpoint", description = "Only deliveries to this endpoint.")
    String endpoint;
    @Option(names = "--status", description = "Only lines of deliveries that are (then) pending, delivered or failed.")
    String status;
    @Option(names = "--events", description = "Only events of this type, or of a 'prefix.*' pattern.")
    String events;
    @Option(names = "--merchant", description = "Only deliveries to this merchant's endpoints.")
    String merchant;
    @Option(names = "--interval", description = "Time between polls in milliseconds (default ${DEFAULT-VALUE}).", defaultValue = "500")
    long intervalMillis;

    /** What tail knows of a delivery it has seen. */
    private static final class Seen {
        final Instant createdAt;
        /** The tries shown, by attempt number and start (a try whose claim was lost may share its number with the next). */
        final Set<String> shown = new HashSet<>();
        /** The attempts counter as last shown: tries up to it are past. */
        int attempts;
        String status;
        Instant nextAttemptAt;

        Seen(JsonNode d, boolean pastTries) {
            this.createdAt = Instant.parse(d.get("created_at").asText());
            this.attempts = pastTries ? d.path("attempts").asInt() : 0;
            update(d);
        }

        void update(JsonNode d) {
            status = d.path("status").asText();
            nextAttemptAt = instant(d, "next_attempt_at");
        }

        /** Whether {@code a}, a try of this delivery, is one not shown yet (and now counts as shown). */
        boolean firstSight(JsonNode a) {
            int no = a.path("attempt").asInt();
            return no > attempts && shown.add(no + "@" + a.path("started_at").asText());
        }
    }

    private final Map<String, Seen> seen = new HashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    @Override
    public Integer call() {
        return Remote.run(spec, () -> {
            if (status != null && !List.of("pending", "delivered", "failed", "cancelled").contains(status)) {
                throw new IllegalArgumentException("--status must be pending, delivered, failed or cancelled");
            }
            Object previous = onInterrupt();
            Clock clock = Clock.systemUTC();
            Instant watermark = clock.instant();
            String filters = filters();
            try {
                // what is pending already, or was just made: its next tries are shown, its past ones are not
                for (JsonNode d : list("/v1/deliveries?status=pending&limit=500" + filters, 10)) {
                    seen.put(d.get("id").asText(), new Seen(d, true));
                }
                for (JsonNode d : list("/v1/deliveries?limit=500&since=" + Remote.enc(watermark.minus(OVERLAP).toString()) + filters, 20)) {
                    seen.putIfAbsent(d.get("id").asText(), new Seen(d, true));
                }
                if (!output.json()) {
                    output.out().println(line(COLUMNS.toArray(String[]::new)));
                    output.out().flush();
                }
                while (!stop.get() && !Thread.currentThread().isInterrupted()) {
                    watermark = poll(clock, watermark, filters);
                    Thread.sleep(intervalMillis);
                }
            } catch (InterruptedException e) {
                // stopped
            } catch (Remote.Failure e) {
                if (!stop.get() && !Thread.currentThread().isInterrupted()) {
                    throw e;
                }
            } finally {
                restore(previous);
            }
            return 0;
        });
    }

    /** One poll; returns the new watermark (the newest creation time seen). */
    private Instant poll(Clock clock, Instant watermark, String filters) {
        List<String> due = new ArrayList<>();
        Map<String, JsonNode> fresh = new HashMap<>();
        Instant newest = watermark;
        for (JsonNode d : list("/v1/deliveries?limit=500&since=" + Remote.enc(watermark.minus(OVERLAP).toString()) + filters, 20)) {
            fresh.put(d.get("id").asText(), d);
            Instant created = Instant.parse(d.get("created_at").asText());
            newest = created.isAfter(newest) ? created : newest;
        }
        for (JsonNode d : list("/v1/deliveries?status=pending&limit=500" + filters, 1)) {
            fresh.putIfAbsent(d.get("id").asText(), d);
        }
        List<Line> lines = new ArrayList<>();
        for (JsonNode d : fresh.values()) {
            String id = d.get("id").asText();
            Seen s = seen.get(id);
            if (s == null) {
                // a delivery older than the window that is pending again (a resend): its earlier tries are the past
                boolean older = Instant.parse(d.get("created_at").asText()).isBefore(watermark.minus(OVERLAP)) && d.path("attempts").asInt() > 0;
                s = new Seen(d, older);
                if (!older) {
                    lines.add(new Line(s.createdAt, d, "new", null, null));
                }
                seen.put(id, s);
            }
            s.update(d);
            if (d.path("attempts").asInt() > s.attempts) {
                due.add(id);
            }
        }
        // a pending delivery tracked but no longer in the pending list ended (or was tried again) since the last poll
        Instant now = clock.instant();
        for (Map.Entry<String, Seen> e : seen.entrySet()) {
            Seen s = e.getValue();
            if (!fresh.containsKey(e.getKey()) && "pending".equals(s.status) && (s.nextAttemptAt == null || !s.nextAttemptAt.isAfter(now))) {
                due.add(e.getKey());
            }
        }
        for (String id : due) {
            JsonNode d = remote.get("/v1/deliveries/" + Remote.enc(id));
            Seen s = seen.get(id);
            s.update(d);
            int latest = 0; // a delivery's detail lists its tries under "attempts"
            for (JsonNode a : d.path("attempts")) {
                latest = Math.max(latest, a.path("attempt").asInt());
            }
            for (JsonNode a : d.path("attempts")) {
                if (s.firstSight(a)) {
                    boolean last = a.path("attempt").asInt() == latest && !"pending".equals(s.status);
                    lines.add(new Line(Instant.parse(a.get("started_at").asText()), d, "attempt", a, last ? s.status : null));
                }
            }
            s.attempts = Math.max(s.attempts, latest);
        }
        lines.sort(Comparator.comparing(Line::at));
        print(lines);
        // forget deliveries that are done and older than the overlap: they cannot show up as new again
        Instant horizon = newest.minus(OVERLAP);
        for (Iterator<Seen> it = seen.values().iterator(); it.hasNext(); ) {
            Seen s = it.next();
            if (!"pending".equals(s.status) && s.createdAt.isBefore(horizon)) {
                it.remove();
            }
        }
        return newest;
    }

    /** A line: a new delivery, or one of its tries ({@code statusAfter}: the status the delivery ended in, when this try ended it). */
    private record Line(Instant at, JsonNode delivery, String kind, JsonNode attempt, String statusAfter) {}

    private void print(List<Line> lines) {
        PrintWriter out = output.out();
        for (Line l : lines) {
            String deliveryStatus = l.attempt() == null || l.statusAfter() == null ? l.delivery().path("status").asText() : l.statusAfter();
            if (status != null && !status.equals(deliveryStatus)) {
                continue;
            }
            if (output.json()) {
                var n = dev.herald.web.JsonInput.MAPPER.createObjectNode().put("kind", l.kind()).put("at", l.at().toString())
                        .put("delivery_id", l.delivery().path("id").asText()).put("event", l.delivery().path("event").asText())
                        .put("endpoint_id", l.delivery().path("endpoint_id").asText()).put("status", deliveryStatus);
                if (l.attempt() != null) {
                    n.set("attempt", l.attempt());
                }
                out.println(n);
                continue;
            }
            String outcome;
            String attempt = "-";
            String latency = "-";
            if (l.attempt() == null) {
                outcome = "new";
            } else {
                JsonNode a = l.attempt();
                outcome = (a.hasNonNull("status_code") ? "HTTP " + a.get("status_code").asText() : Output.text(a, "error_class"))
                        + (l.statusAfter() != null ? " " + l.statusAfter() : ""); // the try that ended the delivery says how
                attempt = "#" + a.path("attempt").asText();
                latency = a.path("duration_ms").asText() + " ms";
            }
            out.println(line(l.at().toString(), l.delivery().path("event").asText(), l.delivery().path("id").asText(),
                    l.delivery().path("endpoint_id").asText(), outcome, attempt, latency));
        }
        out.flush();
    }

    /** A line of fixed-width columns (a stream cannot size them to what is still to come); a longer value widens its cell. */
    private static String line(String... cells) {
        return String.format("%-27s  %-24s  %-26s  %-25s  %-18s  %-7s  %s", (Object[]) cells).stripTrailing();
    }

    private List<JsonNode> list(String pathAndQuery, int maxPages) {
        List<JsonNode> out = new ArrayList<>();
        String cursor = null;
        for (int i = 0; i < maxPages; i++) {
            JsonNode page = remote.get(pathAndQuery + (cursor == null ? "" : "&cursor=" + Remote.enc(cursor)));
            page.path("data").forEach(out::add);
            cursor = page.path("has_more").asBoolean() ? page.path("next_cursor").asText() : null;
            if (cursor == null) {
                break;
            }
        }
        return out;
    }

    private String filters() {
        StringBuilder q = new StringBuilder();
        if (endpoint != null) q.append("&endpoint_id=").append(Remote.enc(endpoint));
        if (events != null) q.append("&event=").append(Remote.enc(events));
        if (merchant != null) q.append("&merchant_id=").append(Remote.enc(merchant));
        return q.toString();
    }

    private static Instant instant(JsonNode d, String field) {
        return d.hasNonNull(field) ? Instant.parse(d.get(field).asText()) : null;
    }

    /** Ctrl-C ends the loop (exit 0) rather than the process; where signals cannot be handled, the default stays. */
    private Object onInterrupt() {
        Thread main = Thread.currentThread();
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
                stop.set(true);
                main.interrupt();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            return null; // keep the default: the process ends
        }
    }

    private static void restore(Object previous) {
        if (previous instanceof sun.misc.SignalHandler h) {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), h);
        }
    }
}
