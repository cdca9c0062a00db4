package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.endpoint.SigningKeys;
import dev.herald.sdk.KeyAlgorithm;
import dev.herald.sdk.VerificationKey;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /v1/endpoints}: create, list (filtered by search, status, failure streak and merchant, paged), read, change,
 * delete, enable, disable, test, recover, rotate the secret (made by Herald, shown once); the public keys that sign an
 * endpoint's requests ({@code signing-keys}, also as a JWKS) and their rotation.
 */
final class EndpointRoutes implements HttpService {
    private static final Set<String> FIELDS = Set.of("name", "description", "url", "events", "headers", "secret", "is_active",
            "retry_attempts", "timeout_seconds", "retry_schedule", "merchant_id", "ordering", "rate_limit",
            "signature_schemes", "encryption", "tls");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,7})(s|m|h|d)");
    private static final int MAX_PAGE = 500;
    /** Longest {@code ?q=} of a list. */
    private static final int MAX_SEARCH = 200;
    private static final Set<String> ROTATE_FIELDS = Set.of("grace_seconds");

    private final Herald herald;
    private final BodyReader bodies;

    EndpointRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.post("/v1/endpoints", (req, res) -> {
            String merchant = Access.of(req).writer();
            Endpoint e = herald.endpoints().create(Caller.of(req), forMerchant(draft(bodies.json(req)), merchant));
            Responses.json(res, 201, Views.endpoint(e).put("secret", e.secret()));
        });
        r.get("/v1/endpoints", (req, res) -> {
            String merchant = Access.of(req).reader();
            int limit = Params.limit(req, 100, MAX_PAGE);
            String filter = Params.query(req, "merchant_id", 128);
            EndpointRepository.Filter f = new EndpointRepository.Filter(merchant != null ? merchant : filter, search(req), status(req),
                    Params.flag(req, "failing"), Params.query(req, "cursor", 128), limit + 1);
            if (merchant != null && filter != null && !filter.equals(merchant)) {
                Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", Responses.arr()).putNull("next_cursor").put("has_more", false));
                return; // another merchant's endpoints, to this key, are as if there were none
            }
            List<EndpointRepository.Stored> page = herald.endpoints().list(f);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(s -> data.add(Views.endpoint(s.endpoint())));
            String next = page.size() > limit ? page.get(limit - 1).endpoint().id() : null;
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.get("/v1/endpoints/{id}", (req, res) -> {
            Endpoint e = herald.endpoints().get(Params.path(req, "id"), Access.of(req).reader()).endpoint();
            ObjectNode view = Views.endpoint(e);
            ObjectNode circuit = view.putObject("circuit");
            herald.dispatcher().circuit(e.id()).ifPresentOrElse(
                    c -> circuit.put("state", c.state()).put("consecutive_failures", c.consecutiveFailures())
                            .put("retry_at", c.retryAt() == null ? null : c.retryAt().toString()),
                    () -> circuit.put("state", "closed").put("consecutive_failures", 0).putNull("retry_at"));
            Responses.json(res, 200, view);
        });
        r.patch("/v1/endpoints/{id}", (req, res) -> {
            String id = writable(req);
            EndpointDraft d = forMerchant(draft(bodies.json(req)), Access.of(req).writer());
            Responses.json(res, 200, Views.endpoint(herald.endpoints().update(Caller.of(req), id, d)));
        });
        r.delete("/v1/endpoints/{id}", (req, res) -> {
            herald.endpoints().delete(Caller.of(req), writable(req));
            res.status(204).send();
        });
        r.post("/v1/endpoints/{id}/enable", (req, res) -> Responses.json(res, 200, Views.endpoint(herald.endpoints().enable(Caller.of(req), writable(req)))));
        r.post("/v1/endpoints/{id}/disable", (req, res) -> Responses.json(res, 200, Views.endpoint(herald.endpoints().disable(Caller.of(req), writable(req)))));
        r.post("/v1/endpoints/{id}/test", (req, res) -> {
            Dispatcher.TestResult t = herald.deliveries().test(Caller.of(req), writable(req));
            Responses.json(res, 200, Views.testResult(t));
        });
        r.get("/v1/endpoints/{id}/signing-keys", (req, res) ->
                signingKeys(req, res, () -> herald.endpoints().signingKeys(Params.path(req, "id"), Access.of(req).reader())));
        r.post("/v1/endpoints/{id}/signing-keys/rotate", (req, res) ->
                Responses.json(res, 200, Responses.obj().put("rotated", herald.endpoints().rotateSigningKeys(Caller.of(req), writable(req)))));
        r.post("/v1/endpoints/{id}/rotate-secret", (req, res) -> {
            String id = writable(req);
            byte[] body = bodies.bytes(req);
            Integer grace = body.length == 0 ? null : JsonInput.object(JsonInput.parse(body), "", ROTATE_FIELDS).integer("grace_seconds");
            EndpointService.SecretRotation rotation = herald.endpoints().rotateSecret(Caller.of(req), id, grace == null ? null : Duration.ofSeconds(grace));
            Responses.json(res, 200, Responses.obj().put("id", rotation.endpointId()).put("secret", rotation.secret())
                    .put("previous_secret_until", rotation.previousSecretUntil().toString()));
        });
        r.post("/v1/endpoints/{id}/recover", (req, res) -> {
            String id = writable(req);
            var since = Params.instant(req, "since");
            if (since == null) {
                throw Problem.invalid("since is required (RFC 3339 timestamp)", "since");
            }
            int n = herald.deliveries().recover(Caller.of(req), id, since);
            Responses.json(res, 202, Responses.obj().put("recovered", n));
        });
    }

    /**
     * Answers with the public halves of {@code keys} (checking {@code ?format=} first): a list with their schemes and
     * lifetimes, or a JWKS with {@code ?format=jwks}.
     */
    static void signingKeys(ServerRequest req, ServerResponse res, Supplier<List<SigningKeys.Held>> keysOf) {
        String format = Params.query(req, "format", 10);
        if (format != null && !format.equals("jwks")) {
            throw Problem.invalid("format must be 'jwks' or absent", "format");
        }
        List<SigningKeys.Held> keys = keysOf.get();
        if (format != null) {
            Responses.json(res, 200, JsonInput.MAPPER.valueToTree(VerificationKey.jwks(keys.stream().map(h -> h.key().verificationKey()).toList())));
            return;
        }
        ArrayNode data = Responses.arr();
        for (SigningKeys.Held h : keys) {
            VerificationKey v = h.key().verificationKey();
            data.addObject().put("kid", v.kid()).put("algorithm", v.algorithm() == KeyAlgorithm.ED25519 ? "ed25519" : "rsa")
                    .put("scheme", v.algorithm() == KeyAlgorithm.ED25519 ? "v1a" : "rsa-sha256")
                    .put("public_key", v.encoded()).put("created_at", h.createdAt().toString())
                    .put("retires_at", h.retiresAt() == null ? null : h.retiresAt().toString());
        }
        Responses.json(res, 200, Responses.obj().set("data", data));
    }

    /** {@code ?q=}: 1-{@value #MAX_SEARCH} characters, or null. */
    private static String search(ServerRequest req) {
        String q = Params.query(req, "q", MAX_SEARCH);
        if (q != null && q.isEmpty()) {
            throw Problem.invalid("q must be 1-" + MAX_SEARCH + " characters (leave it out to match every endpoint)", "q");
        }
        return q;
    }

    /** {@code ?status=}: true for {@code active}, false for {@code disabled}, null when absent. */
    private static Boolean status(ServerRequest req) {
        String s = Params.query(req, "status", 20);
        if (s == null) {
            return null;
        }
        return switch (s) {
            case "active" -> true;
            case "disabled" -> false;
            default -> throw Problem.invalid("status must be 'active' or 'disabled'", "status");
        };
    }

    /** The endpoint id of the path, if the key may change it (another merchant's endpoint is not found). */
    private String writable(ServerRequest req) {
        String id = Params.path(req, "id");
        return herald.endpoints().get(id, Access.of(req).writer()).endpoint().id();
    }

    /**
     * A merchant's key creates and changes endpoints of its own merchant only, and not the controls the operator sets:
     * {@code merchant_id} is its merchant, {@code rate_limit} and {@code tls} are refused.
     */
    private static EndpointDraft forMerchant(EndpointDraft d, String merchant) {
        if (merchant == null) {
            return d;
        }
        if (d.merchantId() != null && !d.merchantId().equals(merchant)) {
            throw Problem.invalid("this key manages the endpoints of merchant " + merchant + " only", "merchant_id");
        }
        if (d.rateLimit() != null) {
            throw Problem.forbidden("rate_limit is set by the operator", "rate_limit");
        }
        if (d.tls() != null) {
            throw Problem.forbidden("tls is set by the operator", "tls");
        }
        return new EndpointDraft(merchant, d.name(), d.description(), d.url(), d.events(), d.headers(), d.secret(), d.active(), d.retryAttempts(),
                d.retryPreset(), d.retrySteps(), d.timeoutSeconds(), d.ordering(), null, d.signatureSchemes(), d.encryption(), null);
    }

    /** The endpoint fields of a create or patch body. */
    private static EndpointDraft draft(JsonNode n) {
        JsonInput.Obj o = JsonInput.object(n, "", FIELDS);
        Object schedule = retrySchedule(o, "retry_schedule");
        @SuppressWarnings("unchecked")
        List<Duration> steps = schedule instanceof List<?> l ? (List<Duration>) l : null;
        return new EndpointDraft(o.string("merchant_id"), o.string("name"), o.string("description"), o.string("url"), o.strings("events"),
                o.stringMap("headers"), o.string("secret"), o.bool("is_active"), o.integer("retry_attempts"),
                schedule instanceof String s ? s : null, steps, o.integer("timeout_seconds"), o.string("ordering"), o.integer("rate_limit"),
                o.strings("signature_schemes"), o.string("encryption", 50), TlsFields.tls(o));
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
