package dev.herald.server.api;

import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRoute;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The routes Herald's services register, remembered to answer a request that none of them took: a path some route
 * serves with other methods is 405 with {@code Allow} naming them, any other path 404; both as problem+json.
 */
final class KnownRoutes {
    private static final List<Method> METHODS = List.of(Method.GET, Method.HEAD, Method.POST, Method.PUT, Method.PATCH, Method.DELETE, Method.OPTIONS);

    private final List<HttpRoute> routes = new CopyOnWriteArrayList<>();

    /** {@code service}, registering its routes as it would, and remembering them here. */
    HttpService recording(HttpService service) {
        return rules -> service.routing(new Recorder(rules));
    }

    /** The answer to a request no route took (register it after every route, for any method and path). */
    void unrouted(ServerRequest req, ServerResponse res) {
        HttpPrologue p = req.prologue();
        List<String> allowed = METHODS.stream()
                .filter(m -> routes.stream().anyMatch(r -> r.accepts(HttpPrologue.create(p.rawProtocol(), p.protocol(), p.protocolVersion(), m,
                        p.uriPath(), p.query(), p.fragment())).accepted()))
                .map(Method::text).toList();
        String path = req.path().path();
        if (allowed.isEmpty()) {
            Responses.problem(res, Problem.notFound("no route " + p.method().text() + " " + path, null));
            return;
        }
        String allow = String.join(", ", allowed);
        res.header(HeaderNames.ALLOW, allow);
        Responses.problem(res, new Problem(405, "Method not allowed", path + " does not take " + p.method().text() + "; it takes " + allow, null));
    }

    /** Passes every route on to Helidon's rules and remembers it. */
    private final class Recorder implements HttpRules {
        private final HttpRules rules;

        Recorder(HttpRules rules) {
            this.rules = rules;
        }

        @Override
        public HttpRules register(HttpService... services) {
            for (HttpService s : services) {
                rules.register(recording(s));
            }
            return this;
        }

        @Override
        public HttpRules register(String pathPattern, HttpService... services) {
            throw new UnsupportedOperationException("services under a path prefix are not recorded; register their routes with full paths");
        }

        @Override
        public HttpRules route(HttpRoute route) {
            routes.add(route);
            rules.route(route);
            return this;
        }
    }
}
