package dev.herald.web;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import java.util.Optional;

/**
 * The bearer-key check in front of an API: every request under the path prefix needs {@code Authorization: Bearer
 * <key>} naming a live key of the store, else it is answered 401 (problem+json, {@code WWW-Authenticate: Bearer});
 * the key is registered in the request context for the routes ({@link #key}).
 */
public final class BearerAuth {
    private BearerAuth() {}

    /** The filter for requests to {@code prefix} and below. */
    public static Filter filter(ApiKeyStore keys, String prefix) {
        return (chain, req, res) -> {
            String path = req.path().path();
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
                String presented = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
                Optional<ApiKeyStore.Key> key = keys.verify(presented);
                if (key.isEmpty()) {
                    res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                    Responses.problem(res, Problem.unauthorized("a valid API key is required: Authorization: Bearer <key>"));
                    return;
                }
                req.context().register(key.get());
            }
            chain.proceed();
        };
    }

    /** The key the filter accepted for this request, if it passed through the filter. */
    public static Optional<ApiKeyStore.Key> key(io.helidon.webserver.http.ServerRequest req) {
        return req.context().get(ApiKeyStore.Key.class);
    }
}
