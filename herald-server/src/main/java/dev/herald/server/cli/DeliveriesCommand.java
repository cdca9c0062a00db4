package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code herald deliveries list|show}: the delivery log. */
@Command(name = "deliveries", mixinStandardHelpOptions = true, description = "List deliveries by filter, or show one with its attempts.",
        subcommands = {DeliveriesCommand.ListDeliveries.class, DeliveriesCommand.Show.class})
public final class DeliveriesCommand {
    static final List<String> COLUMNS = List.of("CREATED", "ID", "TYPE", "ENDPOINT", "STATUS", "ATTEMPTS", "LAST");

    static List<String> row(JsonNode d) {
        String last = d.hasNonNull("last_status_code") ? "HTTP " + d.get("last_status_code").asText() : Output.text(d, "last_error");
        return List.of(Output.text(d, "created_at"), Output.text(d, "id"), Output.text(d, "event"), Output.text(d, "endpoint_id"),
                Output.text(d, "status"), Output.text(d, "attempts"), last);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List deliveries, newest first.")
    static final class ListDeliveries implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Mixin DeliveryFilters filters;
        @Option(names = "--limit", description = "At most this many deliveries (default ${DEFAULT-VALUE}).", defaultValue = "20")
        int limit;
        @Option(names = "--all", description = "Every matching delivery, page after page.")
        boolean all;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                if (limit < 1) {
                    throw new IllegalArgumentException("--limit must be at least 1");
                }
                String query = filters.query(Clock.systemUTC());
                List<List<String>> rows = new ArrayList<>();
                String cursor = null;
                long left = all ? Long.MAX_VALUE : limit;
                while (left > 0) {
                    Remote.Answer page = remote.send("GET", "/v1/deliveries?limit=" + Math.min(left, 500) + (query.isEmpty() ? "" : "&" + query)
                            + (cursor == null ? "" : "&cursor=" + Remote.enc(cursor)), null);
                    JsonNode p = page.json();
                    if (output.json()) {
                        output.raw(page);
                    }
                    p.path("data").forEach(d -> rows.add(row(d)));
                    left -= p.path("data").size();
                    cursor = p.path("has_more").asBoolean() ? p.path("next_cursor").asText(null) : null;
                    if (cursor == null) {
                        break;
                    }
                }
                if (!output.json()) {
                    output.table(COLUMNS, rows);
                }
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one delivery and each of its attempts.")
    static final class Show implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", description = "The delivery's id.")
        String id;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = remote.send("GET", "/v1/deliveries/" + Remote.enc(id), null);
                if (output.json()) {
                    output.raw(a);
                    return 0;
                }
                JsonNode d = a.json();
                List<String[]> f = new ArrayList<>();
                for (String name : List.of("id", "event_id", "event", "endpoint_id", "merchant_id", "status", "attempts", "next_attempt_at",
                        "created_at", "completed_at")) {
                    f.add(new String[] {name, Output.text(d, name)});
                }
                output.fields(f);
                List<List<String>> rows = new ArrayList<>();
                for (JsonNode t : d.path("attempts")) {
                    rows.add(List.of(Output.text(t, "attempt"), Output.text(t, "started_at"), Output.text(t, "status_code"),
                            t.path("duration_ms").asText() + " ms", t.hasNonNull("error_class") ? t.get("error_class").asText() + ": "
                                    + Output.text(t, "error_message") : Output.text(t, "response_excerpt")));
                }
                output.out().println();
                output.table(List.of("ATTEMPT", "STARTED", "STATUS", "LATENCY", "ANSWER"), rows);
                return 0;
            });
        }
    }
}
