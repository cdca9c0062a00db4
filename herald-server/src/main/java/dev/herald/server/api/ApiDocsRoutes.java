package dev.herald.server.api;

import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The API contract: {@code GET /openapi.json} (OpenAPI 3.1, kept true by {@code OpenApiContractTest}) and
 * {@code /docs}, the document rendered by swagger-ui (a WebJar; no key needed to read the contract, "Try it out"
 * sends the key typed into "Authorize").
 */
final class ApiDocsRoutes implements HttpService {
    private static final String SWAGGER = "META-INF/resources/webjars/swagger-ui/5.34.1/";
    /** Every file /docs serves, and where it comes from: nothing else is reachable. */
    private static final Map<String, String> FILES = Map.of(
            "", "docs/index.html",
            "init.js", "docs/init.js",
            "swagger-ui.css", SWAGGER + "swagger-ui.css",
            "swagger-ui-bundle.js", SWAGGER + "swagger-ui-bundle.js");
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "json", "application/json");

    private final byte[] document = resource("openapi.json");

    @Override
    public void routing(HttpRules r) {
        r.get("/openapi.json", (req, res) -> send(res, "openapi.json", document));
        r.get("/docs", (req, res) -> res.status(302).header(HeaderNames.LOCATION, "/docs/").send());
        r.get("/docs/", (req, res) -> send(res, FILES.get(""), resource(FILES.get(""))));
        r.get("/docs/{file}", (req, res) -> {
            String file = req.path().pathParameters().first("file").orElse("");
            String path = FILES.get(file);
            if (path == null) {
                Responses.problem(res, Problem.notFound("no such file under /docs", null));
                return;
            }
            send(res, path, resource(path));
        });
    }

    private static void send(ServerResponse res, String path, byte[] bytes) {
        res.header(HeaderNames.CONTENT_TYPE, TYPES.get(path.substring(path.lastIndexOf('.') + 1)));
        res.header(HeaderNames.create("Content-Security-Policy"), "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
        res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
        res.header(HeaderNames.create("X-Frame-Options"), "DENY");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.send(bytes);
    }

    private static byte[] resource(String path) {
        try (InputStream in = ApiDocsRoutes.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
