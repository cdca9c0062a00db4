package dev.herald.server.listen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Herald;
import dev.herald.endpoint.Endpoint;
import dev.herald.http.ErrorClass;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code /v1/listen/{endpoint}}: the transport of {@code herald listen}. {@code GET …/stream} is the long-lived NDJSON
 * stream of the endpoint's tries and heartbeats ({@link ListenHub}); {@code POST …/results} carries the local receiver's
 * answers back, and is the listener's heartbeat. Both need the key that may change the endpoint (admin, or merchant:write
 * of its merchant); another merchant's endpoint is not found.
 */
public final class ListenRoutes implements HttpService {
    private static final Pattern LISTENER = Pattern.compile("[A-Za-z0-9_-]{8,64}");
    private static final Set<String> FIELDS = Set.of("listener", "results");
    private static final Set<String> RESULT_FIELDS = Set.of("try", "status", "duration_ms", "body", "headers", "error", "message");
    private static final Map<String, ErrorClass> ERRORS = Map.of("connect", ErrorClass.CONNECT, "timeout", ErrorClass.TIMEOUT,
            "network", ErrorClass.NETWORK, "tls", ErrorClass.TLS, "invalid_url", ErrorClass.INVALID_URL);
    private static final int MAX_RESULTS = 1000;
    private static final int MAX_EXCERPT = 4096;
    private static final int MAX_HEADERS = 50;
    private static final int MAX_HEADER_VALUE = 1024;

    private final Herald herald;
    private final ListenHub hub;
    private final BodyReader bodies;

    public ListenRoutes(Herald herald, ListenHub hub, BodyReader bodies) {
        this.herald = herald;
        this.hub = hub;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/v1/listen/{id}/stream", this::stream);
        r.post("/v1/listen/{id}/results", this::results);
    }

    private void stream(ServerRequest req, ServerResponse res) {
        Endpoint e = listenEndpoint(req);
        String listener = listener(Params.query(req, "listener", 64), "listener");
        String hb = Params.query(req, "heartbeat_seconds", 3);
        Duration heartbeat = ListenHub.DEFAULT_HEARTBEAT;
        if (hb != null) {
            if (!hb.matches("[0-9]{1,2}") || Integer.parseInt(hb) < 1 || Integer.parseInt(hb) > 20) {
                throw Problem.invalid("heartbeat_seconds must be 1-20", "heartbeat_seconds");
            }
            heartbeat = Duration.ofSeconds(Integer.parseInt(hb));
        }
        ListenHub.Session s = hub.open(e.id(), listener, heartbeat);
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        OutputStream out;
        try {
            out = res.outputStream();
        } catch (RuntimeException ex) {
            hub.end(s, "the stream could not start");
            throw ex;
        }
        hub.stream(s, Responses.obj().put("endpoint", e.id()).put("url", e.url().toString()).put("active", e.active())
                .put("disabled_reason", e.disabledReason()), out);
        try {
            out.close();
        } catch (java.io.IOException | RuntimeException gone) {
            // the listener is gone: nothing to finish
        }
    }

    private void results(ServerRequest req, ServerResponse res) {
        Endpoint e = listenEndpoint(req);
        JsonInput.Obj o = JsonInput.object(bodies.json(req), "", FIELDS);
        String listener = listener(o.string("listener", 64), "listener");
        JsonNode list = o.raw("results");
        if (list != null && (!list.isArray() || list.size() > MAX_RESULTS)) {
            throw Problem.invalid("results must be an array of at most " + MAX_RESULTS + " results", "results");
        }
        List<Map.Entry<String, ListenHub.Answer>> answers = new ArrayList<>();
        for (int i = 0; list != null && i < list.size(); i++) {
            answers.add(answer(JsonInput.object(list.get(i), "results[" + i + "].", RESULT_FIELDS)));
        }
        boolean connected = hub.answer(e.id(), listener, answers);
        Responses.json(res, 200, Responses.obj().put("connected", connected));
    }

    /** One result: the local receiver's status (with duration, body excerpt and headers) or an {@code error} and its message. */
    private static Map.Entry<String, ListenHub.Answer> answer(JsonInput.Obj r) {
        String token = r.requiredString("try", 64);
        Integer status = r.integer("status");
        String error = r.string("error", 20);
        if ((status == null) == (error == null)) {
            throw Problem.invalid("a result has either a status or an error", r.path() + "status");
        }
        if (status != null && (status < 100 || status > 599)) {
            throw Problem.invalid("status must be an HTTP status (100-599)", r.path() + "status");
        }
        ErrorClass errorClass = null;
        if (error != null) {
            errorClass = ERRORS.get(error);
            if (errorClass == null) {
                throw Problem.invalid("error must be one of " + String.join(", ", new java.util.TreeSet<>(ERRORS.keySet())), r.path() + "error");
            }
        }
        Integer duration = r.integer("duration_ms");
        if (duration != null && duration < 0) {
            throw Problem.invalid("duration_ms must not be negative", r.path() + "duration_ms");
        }
        Map<String, String> headers = r.stringMap("headers");
        if (headers != null && headers.size() > MAX_HEADERS) {
            throw Problem.invalid("headers may hold at most " + MAX_HEADERS + " names", r.path() + "headers");
        }
        Map<String, String> kept = new LinkedHashMap<>();
        if (headers != null) {
            headers.forEach((k, v) -> kept.put(k.toLowerCase(java.util.Locale.ROOT), v.length() > MAX_HEADER_VALUE ? v.substring(0, MAX_HEADER_VALUE) : v));
        }
        return Map.entry(token, new ListenHub.Answer(status == null ? 0 : status, duration == null ? 0 : duration, r.string("body", MAX_EXCERPT),
                kept, errorClass, r.string("message", 300)));
    }

    private static String listener(String id, String field) {
        if (id == null || !LISTENER.matcher(id).matches()) {
            throw Problem.invalid(field + " must be the listener's id: 8-64 letters, digits, _ and -", field);
        }
        return id;
    }

    /** The listen endpoint of the path, if the caller's key may change it. */
    private Endpoint listenEndpoint(ServerRequest req) {
        Endpoint e = herald.endpoints().get(Params.path(req, "id"), writer(req)).endpoint();
        if (!e.listen()) {
            throw Problem.conflict("endpoint " + e.id() + " is not a listen endpoint (its url is not listen:<name>)", null);
        }
        return e;
    }

    /** The merchant whose endpoints the key may change: null for admin; 403 without admin or merchant:write. */
    private static String writer(ServerRequest req) {
        ApiKeyStore.Key key = BearerAuth.key(req).orElseThrow(() -> Problem.unauthorized("a valid API key is required"));
        if (key.has("admin")) {
            return null;
        }
        if (key.merchantId() != null && key.has("merchant:write")) {
            return key.merchantId();
        }
        throw Problem.forbidden("this key may not listen (scope merchant:write needed)", null);
    }
}
