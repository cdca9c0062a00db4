package dev.herald.server.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.herald.web.Durations;
import dev.herald.web.JsonInput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald trigger <type>}: publishes the catalog's example of a type, with {@code --set} overrides, then follows
 * the deliveries it made until each is delivered or failed (or {@code --wait} passes). Exit 0 once the event is
 * published, whatever became of its deliveries (or when the key may not read them); 1 when it could not be published or
 * the node not reached.
 */
@Command(name = "trigger", mixinStandardHelpOptions = true, description = {
        "Publish the catalog's example of an event type (with --set overrides), then show each delivery it made and its outcome.",
        "A --set value is JSON when it reads as JSON (numbers keep their digits: 10.50 is sent as 10.50), otherwise a string;"
                + " --set-string always sets a string (or quote it as JSON: --set 'data.code=\"007\"')."})
public final class TriggerCommand implements Callable<Integer> {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Duration POLL = Duration.ofMillis(200);

    @Spec CommandSpec spec;
    @Mixin Remote remote;
    @Mixin Output output;
    @Parameters(index = "0", description = "The event type, e.g. transfer.completed (herald event-types list shows them).")
    String type;
    @Option(names = "--set", paramLabel = "data.PATH=VALUE", description = "Override a value of the example: data.amount=1999,"
            + " data.meta.note=hi (missing objects are created), data.items.0.sku=A1 (array index). Repeatable.")
    List<String> sets = new ArrayList<>();
    @Option(names = "--set-string", paramLabel = "data.PATH=VALUE", description = "Like --set, but VALUE is always a string (applied after the --set ones). Repeatable.")
    List<String> setStrings = new ArrayList<>();
    @Option(names = "--merchant", description = "The merchant the event is for (its merchant_id).")
    String merchant;
    @Option(names = "--account", description = "The event's account_uuid.")
    String account;
    @Option(names = "--wait", description = "How long to follow the deliveries (default ${DEFAULT-VALUE}; 0s publishes only).", defaultValue = "10s")
    String wait;

    @Override
    public Integer call() {
        return Remote.run(spec, () -> {
            Duration waitFor = Durations.parse("--wait", wait);
            Remote.Answer typeAnswer = eventType(remote, type);
            JsonNode data = exact(Output.member(typeAnswer.body(), "example").orElse("{}").getBytes(StandardCharsets.UTF_8));
            if (!data.isObject()) {
                throw new Remote.Failure("the catalog's example of " + type + " is not a JSON object");
            }
            sets.forEach(s -> apply((ObjectNode) data, s, "--set"));
            setStrings.forEach(s -> apply((ObjectNode) data, s, "--set-string"));
            ObjectNode event = NODES.objectNode().put("event", type);
            event.set("data", data);
            if (account != null) {
                event.put("account_uuid", account);
            }
            if (merchant != null) {
                event.put("merchant_id", merchant);
            }
            String key = "trigger-" + UUID.randomUUID();
            Remote.Answer published = remote.send("POST", "/v1/events", event, "Idempotency-Key", key);
            JsonNode accepted = published.json();
            String id = accepted.path("id").asText();
            int expected = accepted.path("deliveries").asInt(0);
            if (output.json()) {
                output.raw(published);
            } else {
                output.out().println("published " + id + " (" + type + "), idempotency key " + key);
                for (JsonNode w : accepted.path("warnings")) {
                    output.out().println("warning: " + Output.text(w, "field") + ": " + Output.text(w, "detail")
                            + (w.hasNonNull("rule") ? " (rule " + w.get("rule").asText() + ")" : ""));
                }
                output.out().flush();
            }
            if (waitFor.isZero()) {
                return 0;
            }
            try {
                follow(id, expected, waitFor);
            } catch (Remote.Failure f) {
                if (f.status() == 0) {
                    throw f;
                }
                // published all the same: a key that may publish but not read the delivery log (events:publish)
                spec.commandLine().getErr().println("herald: " + id + " was published, but its deliveries cannot be followed: " + f.getMessage()
                        + " (--wait 0s publishes only)");
            }
            return 0;
        });
    }

    /**
     * The answer of {@code GET /v1/event-types/{type}}; a type the catalog lacks is one line naming it and the catalog's
     * nearest names.
     */
    static Remote.Answer eventType(Remote remote, String type) {
        try {
            return remote.send("GET", "/v1/event-types/" + Remote.enc(type), null);
        } catch (Remote.Failure f) {
            if (f.status() != 404) {
                throw f;
            }
            List<String> known = new ArrayList<>();
            remote.get("/v1/event-types").path("data").forEach(t -> known.add(t.path("type").asText()));
            List<String> near = known.stream().filter(k -> near(k, type)).sorted(Comparator.comparingInt(k -> Suggestions.distance(k, type))).limit(3).toList();
            throw new Remote.Failure("no event type " + type + " in the catalog of " + remote.url()
                    + (near.isEmpty() ? "" : "; did you mean " + String.join(", ", near) + "?") + " (herald event-types list shows them all)");
        }
    }

    /** Polls the deliveries of event {@code id} until {@code expected} of them have finished or {@code waitFor} passed; prints them. */
    private void follow(String id, int expected, Duration waitFor) throws InterruptedException {
        long deadline = System.nanoTime() + waitFor.toNanos();
        List<JsonNode> list;
        while (true) {
            list = new ArrayList<>();
            remote.get("/v1/deliveries?limit=500&event=" + Remote.enc(id)).path("data").forEach(list::add);
            boolean done = list.size() >= expected && list.stream().allMatch(d -> !d.path("status").asText().equals("pending"));
            if (done || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(POLL.toMillis());
        }
        Map<String, String> names = new HashMap<>();
        List<List<String>> rows = new ArrayList<>();
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        for (JsonNode d : list.reversed()) { // the list is newest first
            Remote.Answer detail = remote.send("GET", "/v1/deliveries/" + Remote.enc(d.path("id").asText()), null);
            if (output.json()) {
                output.raw(detail);
                continue;
            }
            JsonNode full = detail.json();
            String endpoint = full.path("endpoint_id").asText();
            String name = names.computeIfAbsent(endpoint, e -> remote.get("/v1/endpoints/" + Remote.enc(e)).path("name").asText(""));
            JsonNode attempts = full.path("attempts");
            JsonNode last = attempts.isEmpty() ? NODES.objectNode() : attempts.get(attempts.size() - 1);
            String answer = full.hasNonNull("last_status_code") ? "HTTP " + full.get("last_status_code").asText() : Output.text(full, "last_error");
            rows.add(List.of(Output.text(full, "id"), (name.isEmpty() ? "" : name + " ") + "(" + endpoint + ")", Output.text(full, "status"),
                    String.valueOf(attempts.size()), answer, last.hasNonNull("duration_ms") ? last.get("duration_ms").asText() + " ms" : "-"));
            outcomes.merge(full.path("status").asText(), 1, Integer::sum);
        }
        if (output.json()) {
            return;
        }
        if (list.isEmpty()) {
            output.out().println(expected == 0 ? "no endpoint subscribes to " + type + (merchant == null ? "" : " for merchant " + merchant)
                    + ": nothing to deliver" : "none of its " + expected + " deliveries showed within " + Durations.format(waitFor));
            output.out().flush();
            return;
        }
        output.out().println();
        output.table(List.of("DELIVERY", "ENDPOINT", "STATUS", "ATTEMPTS", "LAST", "LATENCY"), rows);
        List<String> summary = new ArrayList<>();
        outcomes.forEach((status, n) -> summary.add(n + " " + status));
        String line = list.size() + (list.size() == 1 ? " delivery: " : " deliveries: ") + String.join(", ", summary);
        if (outcomes.containsKey("pending")) {
            line += " (still pending after " + Durations.format(waitFor) + "; herald tail --events " + type + " follows them)";
        } else if (outcomes.keySet().stream().anyMatch(s -> !s.equals("delivered"))) {
            line += " (the event was published; herald deliveries show <id> shows each attempt)";
        }
        output.out().println(line);
        output.out().flush();
    }

    /**
     * Applies one {@code data.PATH=VALUE} to {@code data}: the value as JSON when it reads as one JSON value (numbers kept
     * as written), else as a string; {@code --set-string} always a string. Missing objects along the path are created; a
     * numeric segment indexes an array (the index one past the end appends).
     */
    static void apply(ObjectNode data, String assignment, String option) {
        int eq = assignment.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException(option + " " + assignment + ": expected data.PATH=VALUE, e.g. data.amount=1999");
        }
        String path = assignment.substring(0, eq);
        String text = assignment.substring(eq + 1);
        if (!path.startsWith("data.") || path.length() == 5 || path.endsWith(".") || path.contains("..")) {
            throw new IllegalArgumentException(option + " " + path + ": the path must name a field under data, e.g. data.amount or data.items.0.sku");
        }
        JsonNode value = option.equals("--set-string") ? NODES.textNode(text) : valueOf(text);
        String[] segments = path.substring(5).split("\\.");
        JsonNode at = data;
        String where = "data";
        for (int i = 0; i < segments.length; i++) {
            String seg = segments[i];
            boolean lastSegment = i == segments.length - 1;
            JsonNode next = lastSegment ? value : null;
            if (at instanceof ObjectNode o) {
                if (!lastSegment) {
                    next = o.get(seg);
                    if (next == null || next.isNull()) {
                        next = isIndex(segments[i + 1]) ? NODES.arrayNode() : NODES.objectNode();
                    }
                }
                o.set(seg, next);
            } else if (at instanceof ArrayNode a) {
                if (!isIndex(seg) || Integer.parseInt(seg) > a.size()) {
                    throw new IllegalArgumentException(option + " " + path + ": " + where + " is an array of " + a.size()
                            + " items; " + seg + " is no index of it (0-" + a.size() + ", the last appends)");
                }
                int index = Integer.parseInt(seg);
                if (!lastSegment) {
                    next = index < a.size() && !a.get(index).isNull() ? a.get(index) : isIndex(segments[i + 1]) ? NODES.arrayNode() : NODES.objectNode();
                }
                if (index == a.size()) {
                    a.add(next);
                } else {
                    a.set(index, next);
                }
            } else {
                throw new IllegalArgumentException(option + " " + path + ": " + where + " is " + at.getNodeType().name().toLowerCase()
                        + " " + at + ", not an object or array");
            }
            at = next;
            where += "." + seg;
        }
    }

    /** {@code text} as one JSON value with its numbers as written, or as a string when it is not JSON. */
    static JsonNode valueOf(String text) {
        try {
            return exact(text.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException notJson) {
            return NODES.textNode(text);
        }
    }

    /**
     * One JSON value, its numbers kept as raw text (so {@code 10.50} is written back as {@code 10.50}, never
     * {@code 10.5}); anything but exactly one value is an IllegalArgumentException.
     */
    static JsonNode exact(byte[] json) {
        try (JsonParser p = JsonInput.MAPPER.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new IllegalArgumentException("empty");
            }
            JsonNode n = read(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("more than one JSON value");
            }
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
    }

    private static JsonNode read(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    o.set(name, read(p));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(read(p));
                }
                yield a;
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> NODES.rawValueNode(new RawValue(p.getText()));
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new IllegalArgumentException("unexpected " + p.currentToken());
        };
    }

    private static boolean isIndex(String s) {
        return s.matches("\\d{1,6}");
    }

    private static boolean near(String known, String asked) {
        int dot = asked.indexOf('.');
        return Suggestions.distance(known, asked) <= Math.max(2, asked.length() / 4)
                || (dot > 0 && known.startsWith(asked.substring(0, dot + 1)))
                || (dot > 0 && known.endsWith(asked.substring(dot)));
    }
}
