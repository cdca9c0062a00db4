package dev.herald.web;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer-key check in front of an API: every request under the path prefix needs {@code Authorization: Bearer
 * <key>} naming a live key of the store, else it is answered 401 (problem+json, {@code WWW-Authenticate: Bearer});
 * the key is registered in the request context for the routes ({@link #key}).
 *
 * <p>With {@link ConsoleSessions}, a request without an {@code Authorization} header may instead carry the console's
 * session cookie: it stands for the key the session was opened with (same scopes; none once the key is revoked), and a
 * change ({@code POST, PUT, PATCH, DELETE}) made with it must carry the session's CSRF token in
 * {@value ConsoleSessions#CSRF_HEADER}, else it is answered 403.
 */
public final class BearerAuth {
    private static final Set<Method> SAFE = Set.of(Method.GET, Method.HEAD, Method.OPTIONS);

    private BearerAuth() {}

    /** The filter for requests to {@code prefix} and below. */
    public static Filter filter(ApiKeyStore keys, String prefix) {
        return filter(keys, null, prefix);
    }

    /** The filter for requests to {@code prefix} and below, also taking console sessions when {@code sessions} is not null. */
    public static Filter filter(ApiKeyStore keys, ConsoleSessions sessions, String prefix) {
        return (chain, req, res) -> {
            String path = req.path().path();
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                Optional<String> auth = req.headers().first(HeaderNames.AUTHORIZATION);
                String cookie = sessions == null || auth.isPresent() ? null : cookie(req, ConsoleSessions.COOKIE);
                Optional<ApiKeyStore.Key> key;
                if (cookie != null) {
                    key = sessions.find(cookie).flatMap(s -> keys.live(s.keyId()));
                    if (key.isPresent() && !SAFE.contains(req.prologue().method())
                            && !ConsoleSessions.csrfMatches(cookie, req.headers().first(HeaderNames.create(ConsoleSessions.CSRF_HEADER)).orElse(null))) {
                        Responses.problem(res, Problem.forbidden("a change made with the console's session needs its CSRF token in "
                                + ConsoleSessions.CSRF_HEADER, ConsoleSessions.CSRF_HEADER));
                        return;
                    }
                } else {
                    String a = auth.orElse("");
                    key = keys.verify(a.regionMatches(true, 0, "Bearer ", 0, 7) ? a.substring(7).trim() : null);
                }
                if (key.isEmpty()) {
                    res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                    Responses.problem(res, Problem.unauthorized(cookie != null ? "the console session has ended: log in again"
                            : "a valid API key is required: Authorization: Bearer <key>"));
                    return;
                }
                req.context().register(key.get());
            }
            chain.proceed();
        };
    }

    /** The key the filter accepted for this request, if it passed through the filter. */
    public static Optional<ApiKeyStore.Key> key(ServerRequest req) {
        return req.context().get(ApiKeyStore.Key.class);
    }

    /** The value of cookie {@code name} of {@code req}, or null. */
    public static String cookie(ServerRequest req, String name) {
        for (String header : req.headers().all(HeaderNames.COOKIE, java.util.List::of)) {
            for (String part : header.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
                    return part.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }
}
