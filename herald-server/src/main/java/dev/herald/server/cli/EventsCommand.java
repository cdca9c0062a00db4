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

/** {@code herald events list|show}: the events a node accepted. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "List the events a node accepted, or show one with its data as stored.",
        subcommands = {EventsCommand.ListEvents.class, EventsCommand.Show.class})
public final class EventsCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List events, oldest first, from --since on.")
    static final class ListEvents implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Option(names = "--type", description = "Only events of this type, or of a 'prefix.*' pattern.")
        String type;
        @Option(names = "--since", description = "Only events received at or after this time: 2026-12-07T10:00:00Z, 2026-12-07, or an age"
                + " such as 30m, 2h, 7d (default ${DEFAULT-VALUE}).", defaultValue = "24h")
        String since;
        @Option(names = "--limit", description = "At most this many events (default ${DEFAULT-VALUE}).", defaultValue = "20")
        int limit;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                if (limit < 1) {
                    throw new IllegalArgumentException("--limit must be at least 1");
                }
                String query = "&since=" + Remote.enc(Times.parse("--since", since, Clock.systemUTC()).toString())
                        + (type == null ? "" : "&type=" + Remote.enc(type));
                List<List<String>> rows = new ArrayList<>();
                String after = null;
                int left = limit;
                while (left > 0) {
                    Remote.Answer page = remote.send("GET", "/v1/events?limit=" + Math.min(left, 500) + query
                            + (after == null ? "" : "&after=" + Remote.enc(after)), null);
                    JsonNode p = page.json();
                    if (output.json()) {
                        output.raw(page);
                    }
                    for (JsonNode e : p.path("data")) {
                        rows.add(List.of(Output.text(e, "id"), Output.text(e, "event"), Output.text(e, "received_at"), Output.text(e, "merchant_id"),
                                Output.text(e, "account_uuid")));
                    }
                    left -= p.path("data").size();
                    after = p.path("next_cursor").asText(null);
                    if (!p.path("has_more").asBoolean(false)) {
                        break;
                    }
                }
                if (!output.json()) {
                    output.table(List.of("ID", "TYPE", "RECEIVED", "MERCHANT", "ACCOUNT"), rows);
                }
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one event; its data exactly as the node stored and sends it.")
    static final class Show implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", description = "The event's id.")
        String id;
        @Option(names = "--merchant", description = "The merchant whose event it is, when ids repeat across merchants.")
        String merchant;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = remote.send("GET", "/v1/events/" + Remote.enc(id) + (merchant == null ? "" : "?merchant_id=" + Remote.enc(merchant)), null);
                if (output.json()) {
                    output.raw(a);
                    return 0;
                }
                JsonNode e = a.json();
                List<String[]> f = new ArrayList<>();
                for (String name : List.of("id", "event", "timestamp", "received_at", "merchant_id", "account_uuid", "priority", "ordering_key",
                        "idempotency_key", "trace_id")) {
                    f.add(new String[] {name, Output.text(e, name)});
                }
                f.add(new String[] {"data", Output.member(a.body(), "data").orElse("-")}); // the stored bytes, never re-serialised
                output.fields(f);
                return 0;
            });
        }
    }
}
