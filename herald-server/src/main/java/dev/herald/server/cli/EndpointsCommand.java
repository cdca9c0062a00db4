package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.web.JsonInput;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code herald endpoints list|show|create|disable|enable|test}: the webhook endpoints of a node. */
@Command(name = "endpoints", mixinStandardHelpOptions = true, description = "List, show, create, disable, enable and test webhook endpoints.",
        subcommands = {EndpointsCommand.ListEndpoints.class, EndpointsCommand.Show.class, EndpointsCommand.Create.class,
                EndpointsCommand.Disable.class, EndpointsCommand.Enable.class, EndpointsCommand.Test.class})
public final class EndpointsCommand {
    private static final List<String> COLUMNS = List.of("ID", "NAME", "MERCHANT", "STATUS", "EVENTS", "URL");

    static List<String> row(JsonNode e) {
        List<String> events = new ArrayList<>();
        e.path("events").forEach(t -> events.add(t.asText()));
        String status = e.path("is_active").asBoolean() ? "active" : "disabled" + (e.hasNonNull("disabled_reason") ? " (" + e.get("disabled_reason").asText() + ")" : "");
        return List.of(Output.text(e, "id"), Output.text(e, "name"), Output.text(e, "merchant_id"), status, String.join(",", events), Output.text(e, "url"));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the endpoints (every page).")
    static final class ListEndpoints implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Option(names = "--merchant", description = "Only this merchant's endpoints.")
        String merchant;
        @Option(names = "--status", description = "active or disabled.")
        String status;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                List<List<String>> rows = new ArrayList<>();
                String cursor = null;
                do {
                    Remote.Answer page = remote.send("GET", "/v1/endpoints?limit=500" + (merchant == null ? "" : "&merchant_id=" + Remote.enc(merchant))
                            + (status == null ? "" : "&status=" + Remote.enc(status)) + (cursor == null ? "" : "&cursor=" + Remote.enc(cursor)), null);
                    JsonNode p = page.json();
                    if (output.json()) {
                        output.raw(page);
                    }
                    p.path("data").forEach(e -> rows.add(row(e)));
                    cursor = p.path("has_more").asBoolean() ? p.path("next_cursor").asText(null) : null;
                } while (cursor != null);
                if (!output.json()) {
                    output.table(COLUMNS, rows);
                }
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one endpoint.")
    static final class Show implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", description = "The endpoint's id.")
        String id;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = remote.send("GET", "/v1/endpoints/" + Remote.enc(id), null);
                if (output.json()) {
                    output.raw(a);
                } else {
                    show(output, a.json());
                }
                return 0;
            });
        }
    }

    static void show(Output output, JsonNode e) {
        List<String[]> f = new ArrayList<>();
        List<String> r = row(e);
        f.add(new String[] {"id", r.get(0)});
        f.add(new String[] {"name", r.get(1)});
        f.add(new String[] {"merchant_id", r.get(2)});
        f.add(new String[] {"status", r.get(3)});
        f.add(new String[] {"events", r.get(4)});
        f.add(new String[] {"url", r.get(5)});
        for (String name : List.of("description", "ordering", "retry_preset", "retry_attempts", "timeout_seconds", "rate_limit", "consecutive_failures",
                "signature_schemes", "encryption", "created_at", "updated_at")) {
            f.add(new String[] {name, Output.text(e, name)});
        }
        if (e.has("circuit")) {
            f.add(new String[] {"circuit", Output.text(e.get("circuit"), "state")});
        }
        output.fields(f);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an endpoint; its signing secret is printed once.")
    static final class Create implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", paramLabel = "<endpoint-url>", description = "Where deliveries are posted (--url names the node).")
        String url;
        @Option(names = "--events", required = true, split = ",", description = "Event types, 'prefix.*' patterns or '*' (comma-separated).")
        List<String> events;
        @Option(names = "--name", description = "A name for people.")
        String name;
        @Option(names = "--description", description = "What it is for.")
        String description;
        @Option(names = "--merchant", description = "The merchant it belongs to.")
        String merchant;
        @Option(names = "--ordering", description = "none or fifo (per ordering key).")
        String ordering;
        @Option(names = "--timeout", description = "Seconds a try may take.")
        Integer timeoutSeconds;
        @Option(names = "--disabled", description = "Create it disabled.")
        boolean disabled;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                ObjectNode body = JsonInput.MAPPER.createObjectNode().put("url", url);
                events.forEach(body.putArray("events")::add);
                if (name != null) body.put("name", name);
                if (description != null) body.put("description", description);
                if (merchant != null) body.put("merchant_id", merchant);
                if (ordering != null) body.put("ordering", ordering);
                if (timeoutSeconds != null) body.put("timeout_seconds", timeoutSeconds);
                if (disabled) body.put("is_active", false);
                Remote.Answer a = remote.send("POST", "/v1/endpoints", body);
                if (output.json()) {
                    output.raw(a);
                    return 0;
                }
                JsonNode e = a.json();
                show(output, e);
                output.out().println("secret: " + e.path("secret").asText() + "   (shown once; verify signatures with it)");
                output.out().flush();
                return 0;
            });
        }
    }

    /** disable and enable: the endpoint's state, through its own routes. */
    abstract static class Switch implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", description = "The endpoint's id.")
        String id;

        abstract String action();

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = remote.send("POST", "/v1/endpoints/" + Remote.enc(id) + "/" + action(), null);
                if (output.json()) {
                    output.raw(a);
                } else {
                    output.out().println(action() + "d " + id);
                }
                return 0;
            });
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true, description = "Stop deliveries to an endpoint (they wait until it is enabled).")
    static final class Disable extends Switch {
        @Override
        String action() {
            return "disable";
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Resume deliveries to an endpoint.")
    static final class Enable extends Switch {
        @Override
        String action() {
            return "enable";
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true, description = "Send a webhook.test event now and show the answer; exit 1 unless it was accepted.")
    static final class Test implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Mixin Output output;
        @Parameters(index = "0", description = "The endpoint's id.")
        String id;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                Remote.Answer a = remote.send("POST", "/v1/endpoints/" + Remote.enc(id) + "/test", null);
                JsonNode t = a.json();
                boolean ok = t.path("success").asBoolean();
                if (output.json()) {
                    output.raw(a);
                } else {
                    String outcome = t.hasNonNull("status_code") ? "HTTP " + t.get("status_code").asText()
                            : Output.text(t, "error_class") + ": " + Output.text(t, "error_message");
                    output.out().println((ok ? "delivered " : "failed ") + Output.text(t, "delivery_id") + ": " + outcome + " in "
                            + t.path("duration_ms").asLong() + " ms");
                    output.out().flush();
                }
                if (!ok) {
                    spec.commandLine().getErr().println("herald: the endpoint did not accept the test event");
                }
                return ok ? 0 : 1;
            });
        }
    }
}
