package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.web.JsonInput;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald replay}: resends the deliveries of a time range, page by page through the paged bulk resend
 * ({@code POST /v1/deliveries/resend?page=true}), after counting them. Each page is one audited transaction on the node,
 * and every audit entry of a replay carries its trace id: the replay's id (the first 24 hex digits) and its page number
 * (the last 8). A state file, named by a hash of the replay's parameters, holds the range as resolved at the start and the
 * cursor of the next page; running the same replay again goes on from there. A page whose answer was lost is looked up in
 * the audit log: one that never reached the node is sent again, one that did stops the replay (rather than resend twice).
 */
@Command(name = "replay", mixinStandardHelpOptions = true, description = {
        "Resend an endpoint's deliveries of a time range, page by page, after counting them (--dry-run: only count).",
        "Each resend is audited under a trace_id starting with the replay's id; interrupted, the same command goes on where it stopped."})
public final class ReplayCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Remote remote;
    @Mixin DeliveryFilters filters;
    @Option(names = "--dry-run", description = "Only count what would be resent.")
    boolean dryRun;
    @Option(names = "--restart", description = "Start over, ignoring where an earlier run of this replay stopped.")
    boolean restart;
    @Option(names = "--page-size", description = "Deliveries per page, 1-1000 (default ${DEFAULT-VALUE}).", defaultValue = "500")
    int pageSize;
    @Option(names = "--max-pages", description = "Stop after this many pages (run it again to go on).")
    Integer maxPages;

    @Override
    public Integer call() {
        return Remote.run(spec, () -> {
            if (filters.endpoint == null || filters.since == null) {
                throw new IllegalArgumentException("replay needs --endpoint and --since (and takes --until, --status, --events, --merchant)");
            }
            if (pageSize < 1 || pageSize > 1000) {
                throw new IllegalArgumentException("--page-size must be between 1 and 1000");
            }
            PrintWriter out = spec.commandLine().getOut();
            Path file = stateFile();
            ObjectNode state = restart ? null : read(file);
            Clock clock = Clock.systemUTC();
            if (state == null) {
                Instant since = filters.since(clock);
                Instant until = filters.until(clock) != null ? filters.until(clock) : clock.instant(); // what exists now, not what comes
                state = JsonInput.MAPPER.createObjectNode().put("url", remote.url()).put("endpoint", filters.endpoint).put("status", filters.status)
                        .put("events", filters.events).put("merchant", filters.merchant).put("since", since.toString()).put("until", until.toString())
                        .put("replay_id", HexFormat.of().formatHex(new SecureRandom().generateSeed(12))).put("pages", 0).put("resent", 0);
                state.putNull("cursor");
            } else {
                out.println("resuming replay " + state.get("replay_id").asText() + " (" + state.get("pages").asInt() + " pages, "
                        + state.get("resent").asInt() + " resent so far; --restart starts over)");
            }
            String query = query(state);
            String cursor = state.path("cursor").isNull() ? null : state.path("cursor").asText();
            long total = count(query, cursor);
            out.println(total + " deliveries to resend (endpoint " + filters.endpoint + ", created " + state.get("since").asText() + " to "
                    + state.get("until").asText() + (filters.status == null ? "" : ", status " + filters.status)
                    + (filters.events == null ? "" : ", events " + filters.events) + ")");
            out.flush();
            if (dryRun) {
                return 0;
            }
            Progress progress = new Progress(out, total, Output.terminal());
            long done = 0;
            for (int pages = 0; maxPages == null || pages < maxPages; pages++) {
                if (state.hasNonNull("in_flight") && landed(state)) {
                    throw new Remote.Failure("the last page of replay " + state.get("replay_id").asText() + " (" + state.get("in_flight").asText()
                            + ") was resent but its answer was lost; rerun with --restart after checking the audit log");
                }
                int page = state.get("pages").asInt() + 1;
                state.put("in_flight", traceId(state, page)).put("in_flight_at", Instant.now().minus(java.time.Duration.ofMinutes(5)).toString()); // clocks differ
                write(file, state);
                JsonNode answer = remote.send("POST", "/v1/deliveries/resend?page=true&limit=" + pageSize + "&" + query
                        + (cursor == null ? "" : "&cursor=" + Remote.enc(cursor)), null,
                        "traceparent", "00-" + traceId(state, page) + "-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8)) + "-01").json();
                cursor = answer.path("has_more").asBoolean() ? answer.path("next_cursor").asText() : null;
                done += answer.path("matched").asInt();
                state.put("pages", page).put("resent", state.get("resent").asInt() + answer.path("resent").asInt()).put("cursor", cursor);
                state.remove("in_flight");
                state.remove("in_flight_at");
                progress.show(done, answer.path("resent").asInt(), page);
                if (cursor == null) {
                    Files.deleteIfExists(file);
                    progress.end();
                    out.println("replay " + state.get("replay_id").asText() + " done: " + state.get("resent").asInt() + " resent in " + page
                            + (page == 1 ? " page" : " pages") + " (audit trace_id " + state.get("replay_id").asText() + "…)");
                    return 0;
                }
                write(file, state);
            }
            progress.end();
            out.println("stopped after " + maxPages + " pages; run the same command again to go on");
            return 0;
        });
    }

    /** The filters of the list and the bulk resend, with the range the replay resolved when it began. */
    private String query(ObjectNode state) {
        DeliveryFilters f = new DeliveryFilters();
        f.endpoint = filters.endpoint;
        f.status = filters.status;
        f.events = filters.events;
        f.merchant = filters.merchant;
        f.since = state.get("since").asText();
        f.until = state.get("until").asText();
        return f.query(Clock.systemUTC());
    }

    /** How many deliveries the filters select below {@code cursor}: the list's pages, counted. */
    private long count(String query, String cursor) {
        long n = 0;
        String c = cursor;
        do {
            JsonNode page = remote.get("/v1/deliveries?limit=500&" + query + (c == null ? "" : "&cursor=" + Remote.enc(c)));
            n += page.path("data").size();
            c = page.path("has_more").asBoolean() ? page.path("next_cursor").asText() : null;
        } while (c != null);
        return n;
    }

    /** Whether the page {@code in_flight} names reached the node: an audit entry of it since it was sent. */
    private boolean landed(ObjectNode state) {
        String trace = state.get("in_flight").asText();
        String c = null;
        do {
            JsonNode page = remote.get("/v1/audit?action=delivery.bulk_resend&limit=500&since=" + Remote.enc(state.get("in_flight_at").asText())
                    + (c == null ? "" : "&cursor=" + Remote.enc(c)));
            for (JsonNode e : page.path("data")) {
                if (trace.equals(e.path("trace_id").asText())) {
                    return true;
                }
            }
            c = page.path("has_more").asBoolean() ? page.path("next_cursor").asText() : null;
        } while (c != null);
        return false;
    }

    private static String traceId(ObjectNode state, int page) {
        return state.get("replay_id").asText() + String.format("%08x", page);
    }

    /** $XDG_CACHE_HOME/herald/replays (else ~/.cache/herald/replays)/<hash of the node and the parameters as given>.json */
    private Path stateFile() throws NoSuchAlgorithmException {
        Map<String, String> env = spec.root().userObject() instanceof Remote.Environment e ? e.env() : System.getenv();
        String xdg = env.get("XDG_CACHE_HOME");
        Path dir = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("herald").resolve("replays");
        String params = String.join("\n", remote.url(), filters.endpoint, filters.since, String.valueOf(filters.until), String.valueOf(filters.status),
                String.valueOf(filters.events), String.valueOf(filters.merchant), Integer.toString(pageSize));
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(params.getBytes(StandardCharsets.UTF_8));
        return dir.resolve(HexFormat.of().formatHex(hash, 0, 16) + ".json");
    }

    private static ObjectNode read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return (ObjectNode) JsonInput.MAPPER.readTree(Files.readAllBytes(file));
        } catch (IOException | ClassCastException e) {
            throw new IllegalStateException("cannot read the replay's state file " + file + " (--restart starts over): " + e.getMessage());
        }
    }

    private static void write(Path file, ObjectNode state) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, state.toString());
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A progress bar on a terminal, else a line per page. */
    private record Progress(PrintWriter out, long total, boolean terminal) {
        void show(long done, int resent, int page) {
            if (terminal) {
                int width = 30;
                int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
                out.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total);
            } else {
                out.println("page " + page + ": " + resent + " resent (" + done + "/" + total + ")");
            }
            out.flush();
        }

        void end() {
            if (terminal) {
                out.println();
            }
        }
    }
}
