package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code herald event-types list|show}: the node's event catalog. */
@Command(name = "event-types", mixinStandardHelpOptions = true, description = "List the event types of a node's catalog, or show one with its schema and example.",
        subcommands = {EventTypesCommand.ListTypes.class, EventTypesCommand.Show.class})
public final class EventTypesCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the catalog's event types.")
    static final class ListTypes implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = remote.send("GET", "/v1/event-types", null);
                if (output.json()) {
                    output.raw(a);
                    return 0;
                }
                List<List<String>> rows = new ArrayList<>();
                for (JsonNode t : a.json().path("data")) {
                    rows.add(List.of(Output.text(t, "type"), Output.text(t, "version"), t.path("operational").asBoolean() ? "herald" : "producer",
                            Output.text(t, "description")));
                }
                output.table(List.of("TYPE", "VERSION", "SENT BY", "DESCRIPTION"), rows);
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one event type: its description, schema and example data.")
    static final class Show implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", description = "The event type, e.g. transfer.completed.")
        String type;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = TriggerCommand.eventType(remote, type);
                if (output.json()) {
                    output.raw(a);
                    return 0;
                }
                JsonNode t = a.json();
                List<String[]> f = new ArrayList<>();
                for (String name : List.of("type", "version", "description", "operational", "updated_at")) {
                    f.add(new String[] {name, Output.text(t, name)});
                }
                f.add(new String[] {"schema", Output.text(t, "schema")});
                f.add(new String[] {"example", Output.member(a.body(), "example").orElse("-")});
                output.fields(f);
                return 0;
            });
        }
    }
}
