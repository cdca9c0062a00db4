package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.delivery.Attempt;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.DeliveryRepository;
import dev.herald.delivery.DeliveryService;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EventPatterns;
import dev.herald.event.EventInput;
import dev.herald.event.EventTypes;
import dev.herald.event.StoredEvent;
import dev.herald.ingest.IngestService;
import dev.herald.server.auth.ApiKeys;
import dev.herald.store.StoreException;
import dev.herald.support.ConflictException;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Herald's JSON API (snake_case, bearer keys, problem+json errors) on a Helidon routing. */
public final class HeraldApi {
    private static final Logger log = LoggerFactory.getLogger(HeraldApi.class);
    private static final Set<String> ENDPOINT_FIELDS = Set.of("name", "description", "url", "events", "headers", "secret", "is_active",
            "retry_attempts", "timeout_seconds", "retry_schedule", "merchant_id", "ordering", "rate_limit");
    private static final Set<String> EVENT_FIELDS = Set.of("id", "event", "timestamp", "account_uuid", "data", "priority", "trace_id",
            "merchant_id", "idempotency_key", "ordering_key");
    /** W3C trace context, version 00; an all-zero trace id or parent id makes the header invalid (it is then ignored). */
    private static final Pattern TRACEPARENT = Pattern.compile("00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");
    private static final int MAX_PAGE = 500;

    private final Herald herald;
    private final ApiKeys keys;
    private final long maxBodyBytes;
    private final BodyReader bodies;
    private final BooleanSupplier ready;

    public HeraldApi(Herald herald, ApiKeys keys, long maxBodyBytes, BooleanSupplier ready) {
        this.herald = herald;
        this.keys = keys;
        this.maxBodyBytes = maxBodyBytes;
        this.bodies = new BodyReader(maxBodyBytes);
        this.ready = ready;
    }

    /** Registers every route, the auth filter and the error mapping. */
    public void routing(HttpRouting.Builder r) {
        r.addFilter((chain, req, res) -> {
            String path = req.path().path();
            if (path.startsWith("/v1/") || path.equals("/v1")) {
                String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
                String key = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
                if (!keys.verify(key)) {
                    res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                    Responses.problem(res, new Problem(401, "Unauthorized", "a valid API key is required: Authorization: Bearer <key>", null));
                    return;
                }
            }
            chain.proceed();
        });
        r.get("/health/live", (req, res) -> Responses.json(res, 200, Responses.obj().put("status", "live")));
        r.get("/health/ready", (req, res) -> {
            boolean ok = ready.getAsBoolean();
            Responses.json(res, ok ? 200 : 503, Responses.obj().put("status", ok ? "ready" : "not_ready"));
        });

        r.post("/v1/endpoints", (req, res) -> {
            Endpoint e = herald.endpoints().create(endpointDraft(body(req)));
            Responses.json(res, 201, Views.endpoint(e).put("secret", e.secret()));
        });
        r.get("/v1/endpoints", (req, res) -> {
            int limit = limit(req);
            List<EndpointRepository.Stored> page = herald.endpoints().list(query(req, "merchant_id"), query(req, "cursor"), limit + 1);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(s -> data.add(Views.endpoint(s.endpoint())));
            String next = page.size() > limit ? page.get(limit - 1).endpoint().id() : null;
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.get("/v1/endpoints/{id}", (req, res) -> {
            Endpoint e = herald.endpoints().get(param(req, "id")).endpoint();
            ObjectNode view = Views.endpoint(e);
            ObjectNode circuit = view.putObject("circuit");
            herald.dispatcher().circuit(e.id()).ifPresentOrElse(
                    c -> circuit.put("state", c.state()).put("consecutive_failures", c.consecutiveFailures())
                            .put("retry_at", c.retryAt() == null ? null : c.retryAt().toString()),
                    () -> circuit.put("state", "closed").put("consecutive_failures", 0).putNull("retry_at"));
            Responses.json(res, 200, view);
        });
        r.patch("/v1/endpoints/{id}", (req, res) -> {
            EndpointDraft d = endpointDraft(body(req));
            Responses.json(res, 200, Views.endpoint(herald.endpoints().update(param(req, "id"), d)));
        });
        r.delete("/v1/endpoints/{id}", (req, res) -> {
            String id = param(req, "id");
            herald.endpoints().delete(id);
            res.status(204).send();
        });
        r.post("/v1/endpoints/{id}/enable", (req, res) -> Responses.json(res, 200, Views.endpoint(herald.endpoints().enable(param(req, "id")))));
        r.post("/v1/endpoints/{id}/disable", (req, res) -> Responses.json(res, 200, Views.endpoint(herald.endpoints().disable(param(req, "id")))));
        r.post("/v1/endpoints/{id}/test", (req, res) -> {
            Dispatcher.TestResult t = herald.deliveries().test(param(req, "id"));
            Responses.json(res, 200, Views.testResult(t));
        });
        r.post("/v1/endpoints/{id}/recover", (req, res) -> {
            String since = query(req, "since");
            if (since == null) {
                throw Problem.invalid("since is required (RFC 3339 timestamp)", "since");
            }
            int n = herald.deliveries().recover(param(req, "id"), instant(since, "since"));
            Responses.json(res, 202, Responses.obj().put("recovered", n));
        });

        r.post("/v1/events", this::postEvents);
        r.get("/v1/events", (req, res) -> {
            int limit = limit(req);
            String type = query(req, "type");
            String after = query(req, "after");
            List<StoredEvent> page = herald.jdbc().read(c -> herald.events().pull(c, after, type, limit + 1));
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(e -> data.add(Views.event(e)));
            boolean more = page.size() > limit;
            String next = page.isEmpty() ? (after == null ? "0-0" : after) : page.get(Math.min(limit, page.size()) - 1).cursor();
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", more));
        });
        r.get("/v1/events/{id}", (req, res) -> {
            String id = param(req, "id");
            StoredEvent e = herald.jdbc().read(c -> herald.events().find(c, id)).orElseThrow(() -> new NotFoundException("no event " + id));
            Responses.json(res, 200, Views.event(e));
        });
        r.get("/v1/event-types", (req, res) -> {
            ArrayNode data = Responses.arr();
            EventTypes.ALL.forEach(t -> data.add(Responses.obj().put("name", t.name()).put("description", t.description()).put("operational", t.operational())));
            Responses.json(res, 200, Responses.obj().set("data", data));
        });

        r.get("/v1/deliveries", (req, res) -> {
            int limit = limit(req);
            String event = query(req, "event");
            boolean byId = event != null && isEventId(event);
            DeliveryRepository.Filter f = new DeliveryRepository.Filter(status(query(req, "status")), query(req, "endpoint_id"),
                    byId ? event : null, byId ? null : event, since(req), cursor(query(req, "cursor")), limit + 1);
            List<Delivery> page = herald.deliveries().list(f);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(d -> data.add(Views.delivery(d)));
            String next = page.size() > limit ? Long.toString(page.get(limit - 1).seq()) : null;
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.get("/v1/deliveries/{id}", (req, res) -> {
            DeliveryService.Detail d = herald.deliveries().get(param(req, "id"));
            ArrayNode attempts = Responses.arr();
            for (Attempt a : d.attempts()) {
                attempts.add(Views.attempt(a));
            }
            Responses.json(res, 200, Views.delivery(d.delivery()).set("attempts", attempts));
        });
        r.post("/v1/deliveries/{id}/resend", (req, res) -> Responses.json(res, 202, Views.delivery(herald.deliveries().resend(param(req, "id")))));

        r.any((req, res) -> Responses.problem(res, new Problem(404, "Not found", "no route " + req.prologue().method().text() + " " + req.path().path(), null)));

        r.error(Problem.class, (req, res, e) -> Responses.problem(res, e));
        r.error(ValidationException.class, (req, res, e) -> Responses.problem(res, Problem.invalid(e.getMessage(), e.field())));
        r.error(NotFoundException.class, (req, res, e) -> Responses.problem(res, new Problem(404, "Not found", e.getMessage(), null)));
        r.error(ConflictException.class, (req, res, e) -> Responses.problem(res, new Problem(409, "Conflict", e.getMessage(), null)));
        r.error(StoreException.class, (req, res, e) -> {
            if (e.sqlState() != null && e.sqlState().startsWith("22")) { // data exception: this input can never be stored, retrying won't help
                log.warn("database refused a value on {} {}: {}", req.prologue().method().text(), req.path().path(), e.getMessage());
                Responses.problem(res, Problem.invalid("a value in the request cannot be stored", null));
                return;
            }
            log.warn("database error on {} {}: {}", req.prologue().method().text(), req.path().path(), e.getMessage());
            res.header(HeaderNames.RETRY_AFTER, "1");
            Responses.problem(res, new Problem(503, "Service unavailable", "the database is not answering; nothing was changed, retry", null));
        });
        r.error(Exception.class, (req, res, e) -> {
            log.error("unexpected error on {} {}", req.prologue().method().text(), req.path().path(), e);
            Responses.problem(res, new Problem(500, "Internal error", "an unexpected error occurred; it was logged", null));
        });
    }

    /**
     * Problem+json for the errors the web server answers itself, before routing: a body beyond the transport limit,
     * an unparseable request. The detail is fixed text, so nothing about the failure leaks.
     */
    public DirectHandler directHandler() {
        return (req, type, status, headers, message) -> {
            boolean tooLarge = status.code() == 413; // Helidon reports its payload limit as BAD_REQUEST with status 413
            String detail = tooLarge ? "request body exceeds the limit of " + maxBodyBytes + " bytes" : switch (type) {
                case BAD_REQUEST -> "the HTTP request is malformed";
                case HTTP_VERSION_NOT_SUPPORTED -> "only HTTP/1.1 is supported";
                case INTERNAL_ERROR -> "an unexpected error occurred; it was logged";
                default -> status.reasonPhrase();
            };
            String title = tooLarge ? "Content too large" : status.reasonPhrase();
            return DirectHandler.TransportResponse.builder()
                    .status(status)
                    .headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/problem+json")
                    .entity(Responses.problemBytes(new Problem(status.code(), title, detail, null)))
                    .keepAlive(type.keepAlive())
                    .build();
        };
    }

    private void postEvents(ServerRequest req, ServerResponse res) {
        JsonNode root = body(req);
        String key = req.headers().first(HeaderNames.create("Idempotency-Key")).orElse(null);
        if (key != null && (key.isBlank() || key.length() > 200)) {
            throw Problem.badRequest("Idempotency-Key must be 1-200 characters", "Idempotency-Key");
        }
        String trace = req.headers().first(HeaderNames.create("traceparent")).map(TRACEPARENT::matcher).filter(Matcher::matches)
                .map(m -> m.group(1)).orElse(null);
        List<EventInput> batch = new ArrayList<>();
        if (root.isArray()) {
            if (root.isEmpty() || root.size() > IngestService.MAX_BATCH) {
                throw Problem.invalid("an array must hold 1-" + IngestService.MAX_BATCH + " events", null);
            }
            for (int i = 0; i < root.size(); i++) {
                batch.add(eventInput(root.get(i), "[" + i + "].", key == null ? null : key + "#" + i, trace));
            }
        } else {
            batch.add(eventInput(root, "", key, trace));
        }
        List<IngestService.Accepted> accepted = herald.ingest().ingest(batch);
        if (root.isArray()) {
            ArrayNode data = Responses.arr();
            accepted.forEach(a -> data.add(Views.accepted(a)));
            Responses.json(res, 202, Responses.obj().<ObjectNode>set("data", data)
                    .put("deliveries", accepted.stream().mapToInt(IngestService.Accepted::deliveries).sum()));
        } else {
            Responses.json(res, 202, Views.accepted(accepted.getFirst()));
        }
    }

    static EventInput eventInput(JsonNode n, String path, String headerKey, String trace) {
        JsonInput.Obj o = JsonInput.object(n, path, EVENT_FIELDS);
        String bodyKey = o.string("idempotency_key");
        Integer priority = o.integer("priority");
        String traceId = o.string("trace_id");
        return new EventInput(o.string("id"), o.string("event"), o.instant("timestamp"), o.string("account_uuid"), o.object("data"),
                bodyKey != null ? bodyKey : headerKey, priority == null ? 0 : priority, traceId != null ? traceId : trace, o.string("merchant_id"),
                o.string("ordering_key"));
    }

    private static EndpointDraft endpointDraft(JsonNode n) {
        JsonInput.Obj o = JsonInput.object(n, "", ENDPOINT_FIELDS);
        Object schedule = o.retrySchedule("retry_schedule");
        @SuppressWarnings("unchecked")
        List<Duration> steps = schedule instanceof List<?> l ? (List<Duration>) l : null;
        return new EndpointDraft(o.string("merchant_id"), o.string("name"), o.string("description"), o.string("url"), o.strings("events"),
                o.stringMap("headers"), o.string("secret"), o.bool("is_active"), o.integer("retry_attempts"),
                schedule instanceof String s ? s : null, steps, o.integer("timeout_seconds"), o.string("ordering"), o.integer("rate_limit"));
    }

    private JsonNode body(ServerRequest req) {
        return bodies.read(req);
    }


    /** A path parameter; a NUL (which no id holds and PostgreSQL cannot compare) is a 400, not a database error. */
    private static String param(ServerRequest req, String name) {
        String v = req.path().pathParameters().get(name);
        if (v.indexOf('\0') >= 0) {
            throw Problem.badRequest("the path must not contain the NUL character (%00)", null);
        }
        return v;
    }

    /** A query parameter; a NUL is refused as for {@link #param}. */
    private static String query(ServerRequest req, String name) {
        String v = req.query().first(name).orElse(null);
        if (v != null && v.indexOf('\0') >= 0) {
            throw Problem.invalid(name + " must not contain the NUL character (%00)", name);
        }
        return v;
    }

    /**
     * Whether {@code ?event=} names an event rather than an event type: generated ids ({@code evt_…}), anything that
     * cannot be a type (client ids such as {@code order-123:paid}), or a type-shaped string that is an existing event's id.
     */
    private boolean isEventId(String event) {
        return event.startsWith("evt_") || !EventPatterns.EVENT_TYPE.matcher(event).matches()
                || herald.jdbc().read(c -> herald.events().find(c, event)).isPresent();
    }

    private static int limit(ServerRequest req) {
        String s = query(req, "limit");
        if (s == null) {
            return 100;
        }
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= MAX_PAGE) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Problem.invalid("limit must be an integer between 1 and " + MAX_PAGE, "limit");
    }

    private static Delivery.Status status(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Delivery.Status.parse(s);
        } catch (IllegalArgumentException e) {
            throw Problem.invalid("status must be one of pending, delivered, failed, cancelled", "status");
        }
    }

    private static Long cursor(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw Problem.invalid("cursor must be a next_cursor value returned by a previous call", "cursor");
        }
    }

    private static Instant since(ServerRequest req) {
        String s = query(req, "since");
        return s == null ? null : instant(s, "since");
    }

    private static Instant instant(String s, String field) {
        return JsonInput.timestamp(s, field, field);
    }

}
