package dev.herald.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.web.BodyReader;
import dev.herald.web.ConsoleSessions;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The console at {@code /console}: a static page (HTML shell, hand-written ES modules and CSS from the classpath's
 * {@code console/}) that is a client of {@code /v1} and nothing more, and its session: {@code POST /console/session}
 * exchanges an API key for an HttpOnly, SameSite=Strict cookie, {@code GET} tells the page who it is and its CSRF token,
 * {@code DELETE} logs out. Every answer carries a strict Content-Security-Policy and may not be framed.
 */
public final class ConsoleRoutes implements HttpService {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
            + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final Pattern ASSET = Pattern.compile("[a-z][a-z0-9-]{0,40}\\.(js|css|svg)");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml", "html", "text/html; charset=utf-8");

    private final ApiKeyStore keys;
    private final ConsoleSessions sessions;
    private final BodyReader bodies;

    public ConsoleRoutes(ApiKeyStore keys, ConsoleSessions sessions, BodyReader bodies) {
        this.keys = keys;
        this.sessions = sessions;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/console", (req, res) -> asset(res, "index.html"));
        r.get("/console/", (req, res) -> asset(res, "index.html"));
        r.post("/console/session", this::login);
        r.get("/console/session", (req, res) -> {
            guard(res);
            String id = BearerAuth.cookie(req, ConsoleSessions.COOKIE);
            Optional<ConsoleSessions.Session> s = sessions.find(id);
            Optional<ApiKeyStore.Key> key = s.flatMap(x -> keys.live(x.keyId()));
            if (key.isEmpty()) {
                throw Problem.unauthorized("not logged in");
            }
            Responses.json(res, 200, who(key.get(), ConsoleSessions.csrfToken(id), s.get().expiresAt().toString()));
        });
        r.delete("/console/session", (req, res) -> {
            guard(res);
            String id = BearerAuth.cookie(req, ConsoleSessions.COOKIE);
            if (id != null && !ConsoleSessions.csrfMatches(id, req.headers().first(HeaderNames.create(ConsoleSessions.CSRF_HEADER)).orElse(null))) {
                throw Problem.forbidden("logging out needs the session's CSRF token in " + ConsoleSessions.CSRF_HEADER, ConsoleSessions.CSRF_HEADER);
            }
            sessions.close(id);
            res.header(HeaderNames.SET_COOKIE, cookie(req, "", 0));
            res.status(204).send();
        });
        r.get("/console/{file}", (req, res) -> {
            String file = req.path().pathParameters().get("file");
            if (!ASSET.matcher(file).matches()) {
                throw Problem.notFound("no console file " + file, null);
            }
            asset(res, file);
        });
    }

    /**
     * Logs in: the key ({@code key} of a form or JSON body) must be live; a fresh session id is issued every time (a
     * session id planted before login is never taken over) and a session the browser already had is ended. Refused when
     * the request comes from another site ({@code Origin} or {@code Sec-Fetch-Site}), so no page can log a visitor in.
     */
    private void login(ServerRequest req, ServerResponse res) {
        guard(res);
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        String site = req.headers().first(HeaderNames.create("Sec-Fetch-Site")).orElse("same-origin");
        String host = req.headers().first(HeaderNames.HOST).orElse("");
        if ((origin != null && !sameOrigin(origin, host)) || !(site.equals("same-origin") || site.equals("none"))) {
            throw Problem.forbidden("log in from the console's own page", null);
        }
        String key = presentedKey(req);
        ApiKeyStore.Key k = keys.verify(key).orElseThrow(() -> Problem.invalid("this API key is not valid (or was revoked)", "key"));
        sessions.close(BearerAuth.cookie(req, ConsoleSessions.COOKIE));
        ConsoleSessions.Opened opened = sessions.open(k.id());
        res.header(HeaderNames.SET_COOKIE, cookie(req, opened.id(), sessions.absolute().toSeconds()));
        Responses.json(res, 200, who(k, opened.csrfToken(), opened.expiresAt().toString()));
    }

    private String presentedKey(ServerRequest req) {
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
        String key;
        if (type.equals("application/x-www-form-urlencoded")) {
            key = null;
            String body = new String(bodies.bytes(req), StandardCharsets.UTF_8);
            for (String pair : body.split("&")) {
                if (pair.startsWith("key=")) {
                    key = URLDecoder.decode(pair.substring(4), StandardCharsets.UTF_8);
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

    private static void guard(ServerResponse res) {
        res.header(HeaderNames.create("Content-Security-Policy"), CSP);
        res.header(HeaderNames.create("X-Frame-Options"), "DENY");
        res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
        res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
    }

    private static void asset(ServerResponse res, String file) {
        byte[] bytes;
        try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + file)) {
            if (in == null) {
                throw Problem.notFound("no console file " + file, null);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        guard(res);
        res.header(HeaderNames.CONTENT_TYPE, TYPES.get(file.substring(file.lastIndexOf('.') + 1)));
        res.send(bytes);
    }
}
