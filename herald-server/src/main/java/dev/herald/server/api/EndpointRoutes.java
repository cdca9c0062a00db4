package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code /v1/endpoints}: create, list, read, change, delete, enable, disable, test, recover. */
final class EndpointRoutes implements HttpService {
    private static final Set<String> FIELDS = Set.of("name", "description", "url", "events", "headers", "secret", "is_active",
            "retry_attempts", "timeout_seconds", "retry_schedule", "merchant_id", "ordering", "rate_limit");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,7})(s|m|h|d)");
    private static final int MAX_PAGE = 500;

    private final Herald herald;
    private final BodyReader bodies;

    EndpointRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.post("/v1/endpoints", (req, res) -> {
            Endpoint e = herald.endpoints().create(draft(bodies.json(req)));
            Responses.json(res, 201, Views.endpoint(e).put("secret", e.secret()));
        });
        r.get("/v1/endpoints", (req, res) -> {
            int limit = Params.limit(req, 100, MAX_PAGE);
            List<EndpointRepository.Stored> page = herald.endpoints().list(Params.query(req, "merchant_id", 128),
                    Params.query(req, "cursor", 128), limit + 1);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(s -> data.add(Views.endpoint(s.endpoint())));
            String next = page.size() > limit ? page.get(limit - 1).endpoint().id() : null;
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.get("/v1/endpoints/{id}", (req, res) -> {
            Endpoint e = herald.endpoints().get(Params.path(req, "id")).endpoint();
            ObjectNode view = Views.endpoint(e);
            ObjectNode circuit = view.putObject("circuit");
            herald.dispatcher().circuit(e.id()).ifPresentOrElse(
                    c -> circuit.put("state", c.state()).put("consecutive_failures", c.consecutiveFailures())
                            .put("retry_at", c.retryAt() == null ? null : c.retryAt().toString()),
                    () -> circuit.put("state", "closed").put("consecutive_failures", 0).putNull("retry_at"));
            Responses.json(res, 200, view);
        });
        r.patch("/v1/endpoints/{id}", (req, res) -> {
            Responses.json(res, 200, Views.endpoint(herald.endpoints().update(Params.path(req, "id"), draft(bodies.json(req)))));
        });
        r.delete("/v1/endpoints/{id}", (req, res) -> {
            herald.endpoints().delete(Params.path(req, "id"));
            res.status(204).send();
        });
        r.post("/v1/endpoints/{id}/enable", (req, res) -> Responses.json(res, 200, Views.endpoint(herald.endpoints().enable(Params.path(req, "id")))));
        r.post("/v1/endpoints/{id}/disable", (req, res) -> Responses.json(res, 200, Views.endpoint(herald.endpoints().disable(Params.path(req, "id")))));
        r.post("/v1/endpoints/{id}/test", (req, res) -> {
            Dispatcher.TestResult t = herald.deliveries().test(Params.path(req, "id"));
            Responses.json(res, 200, Views.testResult(t));
        });
        r.post("/v1/endpoints/{id}/recover", (req, res) -> {
            var since = Params.instant(req, "since");
            if (since == null) {
                throw Problem.invalid("since is required (RFC 3339 timestamp)", "since");
            }
            int n = herald.deliveries().recover(Params.path(req, "id"), since);
            Responses.json(res, 202, Responses.obj().put("recovered", n));
        });
    }

    /** The endpoint fields of a create or patch body. */
    private static EndpointDraft draft(JsonNode n) {
        JsonInput.Obj o = JsonInput.object(n, "", FIELDS);
        Object schedule = retrySchedule(o, "retry_schedule");
        @SuppressWarnings("unchecked")
        List<Duration> steps = schedule instanceof List<?> l ? (List<Duration>) l : null;
        return new EndpointDraft(o.string("merchant_id"), o.string("name"), o.string("description"), o.string("url"), o.strings("events"),
                o.stringMap("headers"), o.string("secret"), o.bool("is_active"), o.integer("retry_attempts"),
                schedule instanceof String s ? s : null, steps, o.integer("timeout_seconds"), o.string("ordering"), o.integer("rate_limit"));
    }

    /** A preset name (string) or a list of waits: seconds as integers or strings like "15s", "5m", "2h", "1d". */
    private static Object retrySchedule(JsonInput.Obj o, String f) {
        JsonNode v = o.raw(f);
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return o.string(f, 50);
        }
        if (!v.isArray()) {
            throw Problem.invalid(f + " must be a preset name or a list of waits", f);
        }
        List<Duration> steps = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            steps.add(duration(v.get(i), f + "[" + i + "]"));
        }
        return steps;
    }

    private static Duration duration(JsonNode v, String field) {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Duration.ofSeconds(v.longValue());
        }
        if (v.isTextual()) {
            Matcher m = DURATION.matcher(v.textValue());
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
        }
        throw Problem.invalid("a wait must be seconds (integer) or a string like 15s, 5m, 2h, 1d", field);
    }
}
