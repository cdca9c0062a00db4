package dev.herald.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.audit.Actor;
import dev.herald.audit.AuditContext;
import dev.herald.audit.Target;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.web.BodyReader;
import dev.herald.web.ConsoleSessions;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import dev.herald.web.Traceparent;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The console's session, a JSON API beside {@code /v1} (documented in {@code /openapi.json}): {@code POST /console/session}
 * exchanges an API key for an HttpOnly, SameSite=Strict cookie, {@code GET} tells the page who it is and its CSRF token,
 * {@code DELETE} logs out.
 *
 * <p>Every login, failed login and logout is an operator audit entry ({@code console.login}, {@code console.login_failed},
 * {@code console.logout}) with the client's address; a failed one names at most the presented key's prefix, never the key.
 * Failed logins are limited per client address and presented key prefix ({@link LoginThrottle}): past the limit the
 * answer is 429 with {@code Retry-After} and the key is not looked at; failures with other keys never hold back a key.
 */
public final class ConsoleSessionRoutes implements HttpService {
    /** The shape of keys Herald makes ({@code hk_} and 32 letters or digits): only of those is a prefix recorded. */
    private static final Pattern MADE_KEY = Pattern.compile("hk_[0-9A-Za-z]{3,}");

    private final Herald herald;
    private final ApiKeyStore keys;
    private final ConsoleSessions sessions;
    private final BodyReader bodies;
    private final LoginThrottle throttle;

    /** {@code herald} keeps the audit log; {@code clock} times the limit on failed logins. */
    public ConsoleSessionRoutes(Herald herald, ApiKeyStore keys, ConsoleSessions sessions, BodyReader bodies, Clock clock) {
        this.herald = herald;
        this.keys = keys;
        this.sessions = sessions;
        this.bodies = bodies;
        this.throttle = new LoginThrottle(clock);
    }

    @Override
    public void routing(HttpRules r) {
        r.post("/console/session", this::login);
        r.get("/console/session", (req, res) -> {
            ConsoleRoutes.guard(res);
            String id = BearerAuth.cookie(req, ConsoleSessions.COOKIE);
            Optional<ConsoleSessions.Session> s = sessions.find(id);
            Optional<ApiKeyStore.Key> key = s.flatMap(x -> keys.live(x.keyId()));
            if (key.isEmpty()) {
                throw Problem.unauthorized("not logged in");
            }
            Responses.json(res, 200, who(key.get(), ConsoleSessions.csrfToken(id), s.get().expiresAt().toString()));
        });
        r.delete("/console/session", this::logout);
    }

    /**
     * Logs in: the key ({@code key} of a form or JSON body) must be live; a fresh session id is issued every time (a
     * session id planted before login is never taken over) and a session the browser already had is ended. Refused when
     * the request comes from another site ({@code Origin} or {@code Sec-Fetch-Site}), so no page can log a visitor in,
     * and, unread, when its address has failed too often with keys of its prefix.
     */
    private void login(ServerRequest req, ServerResponse res) {
        ConsoleRoutes.guard(res);
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        String site = req.headers().first(HeaderNames.create("Sec-Fetch-Site")).orElse("same-origin");
        String host = req.headers().first(HeaderNames.HOST).orElse("");
        if ((origin != null && !sameOrigin(origin, host)) || !(site.equals("same-origin") || site.equals("none"))) {
            throw Problem.forbidden("log in from the console's own page", null);
        }
        String key = presentedKey(req); // no key given: no failed login
        String address = req.remotePeer().host();
        String prefix = ApiKeyStore.prefixOf(key);
        String label = keys.livePrefix(prefix) ? prefix : LoginThrottle.UNKNOWN;
        Optional<Duration> wait = throttle.acquire(address, label);
        if (wait.isPresent()) {
            long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
            res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds));
            Responses.problem(res, new Problem(429, "Too many requests", "too many failed logins with this key from this address; try again in "
                    + seconds + " s", null));
            return;
        }
        Optional<ApiKeyStore.Key> k;
        try {
            k = keys.verify(key);
        } catch (RuntimeException unchecked) {
            throttle.release(address, label); // none could be checked: no failed login
            throw unchecked;
        }
        if (k.isEmpty()) {
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("key_prefix", MADE_KEY.matcher(key).matches() ? prefix : null);
            after.put("reason", "no live key matches");
            herald.audit().record(context(req, new Actor("anonymous", "anonymous", null)), "console.login_failed",
                    new Target("api_key", "unknown", null), null, after);
            throw Problem.invalid("this API key is not valid (or was revoked)", "key");
        }
        throttle.release(address, label);
        ApiKeyStore.Key live = k.get();
        String previous = BearerAuth.cookie(req, ConsoleSessions.COOKIE);
        sessions.close(previous, loggedOut(req, previous));
        ConsoleSessions.Opened opened = sessions.open(live.id(), (c, s) -> herald.audit().append(c, context(req, actor(live)), "console.login",
                Target.apiKey(live.id(), live.merchantId()), null, Map.of("expires_at", s.expiresAt().toString())));
        res.header(HeaderNames.SET_COOKIE, cookie(req, opened.id(), sessions.absolute().toSeconds()));
        Responses.json(res, 200, who(live, opened.csrfToken(), opened.expiresAt().toString()));
    }

    /** Logs out with the session's CSRF token; the session's key is recorded as the actor. */
    private void logout(ServerRequest req, ServerResponse res) {
        ConsoleRoutes.guard(res);
        String id = BearerAuth.cookie(req, ConsoleSessions.COOKIE);
        if (id != null && !ConsoleSessions.csrfMatches(id, req.headers().first(HeaderNames.create(ConsoleSessions.CSRF_HEADER)).orElse(null))) {
            throw Problem.forbidden("logging out needs the session's CSRF token in " + ConsoleSessions.CSRF_HEADER, ConsoleSessions.CSRF_HEADER);
        }
        sessions.close(id, loggedOut(req, id));
        res.header(HeaderNames.SET_COOKIE, cookie(req, "", 0));
        res.status(204).send();
    }

    /**
     * A hook recording the end of session {@code id}, its key as the actor (looked up before the session's transaction;
     * an expired session's or a revoked key by its id alone).
     */
    private ConsoleSessions.ChangeHook loggedOut(ServerRequest req, String id) {
        Optional<ApiKeyStore.Key> known = id == null ? Optional.empty() : sessions.find(id).flatMap(s -> keys.live(s.keyId()));
        return (c, s) -> {
            ApiKeyStore.Key key = known.filter(k -> k.id().equals(s.keyId())).orElse(new ApiKeyStore.Key(s.keyId(), s.keyId(), null, Set.of()));
            herald.audit().append(c, context(req, actor(key)), "console.logout", Target.apiKey(key.id(), key.merchantId()),
                    Map.of("expires_at", s.expiresAt().toString()), null);
        };
    }

    private static Actor actor(ApiKeyStore.Key k) {
        return new Actor(k.id(), k.name(), k.merchantId());
    }

    /** Who asks and from where: the peer's address (forwarding headers are not trusted) and the request's trace id. */
    private static AuditContext context(ServerRequest req, Actor actor) {
        String trace = Traceparent.traceId(req.headers().first(HeaderNames.create("traceparent")).orElse(null)).orElseGet(Traceparent::newTraceId);
        return new AuditContext(actor, req.remotePeer().host(), trace);
    }

    private String presentedKey(ServerRequest req) {
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
        String key;
        if (type.equals("application/x-www-form-urlencoded")) {
            key = null;
            String body = new String(bodies.bytes(req), StandardCharsets.UTF_8);
            for (String pair : body.split("&")) {
                if (pair.startsWith("key=")) {
                    try {
                        key = URLDecoder.decode(pair.substring(4), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException malformed) { // a bad %-escape
                        throw Problem.badRequest("the form's key is not valid form encoding", "key");
                    }
                }
            }
        } else {
            JsonNode n = bodies.json(req).get("key");
            key = n != null && n.isTextual() ? n.textValue() : null;
        }
        if (key == null || key.isBlank()) {
            throw Problem.invalid("enter an API key", "key");
        }
        return key.trim();
    }

    private static boolean sameOrigin(String origin, String host) {
        return origin.equals("http://" + host) || origin.equals("https://" + host);
    }

    private static ObjectNode who(ApiKeyStore.Key k, String csrf, String expires) {
        ObjectNode n = Responses.obj().put("csrf_token", csrf).put("expires_at", expires);
        ObjectNode key = n.putObject("key").put("id", k.id()).put("name", k.name()).put("merchant_id", k.merchantId());
        k.scopes().stream().sorted().forEach(key.putArray("scopes")::add);
        return n;
    }

    private static String cookie(ServerRequest req, String value, long maxAge) {
        return ConsoleSessions.COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAge + "; HttpOnly; SameSite=Strict" + (req.isSecure() ? "; Secure" : "");
    }
}
