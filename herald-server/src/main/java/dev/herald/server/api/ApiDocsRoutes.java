package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.catalog.EventType;

import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The API contract: {@code GET /openapi.json} (OpenAPI 3.1, kept true by {@code OpenApiContractTest}) and
 * {@code /docs}, the document rendered by swagger-ui; the event catalog's schemas and examples are added at each request
 * ({@link #withCatalog}), (a WebJar; no key needed to read the contract, "Try it out"
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

    private final JsonNode document = parse(resource("openapi.json"));
    private final Herald herald;

    ApiDocsRoutes(Herald herald) {
        this.herald = herald;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/openapi.json", (req, res) -> send(res, "openapi.json", Responses.bytes(withCatalog(document, herald.catalog().list()))));
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

    /**
     * {@code base} with the event catalog as it is now: each type's data schema under {@code components.schemas} (named
     * by the type, titled "&lt;type&gt; data"), and each type's example as a named example of {@code POST /v1/events}'s
     * request body (replacing the document's single example).
     */
    static ObjectNode withCatalog(JsonNode base, List<EventType> types) {
        ObjectNode doc = base.deepCopy();
        ObjectNode schemas = (ObjectNode) doc.path("components").path("schemas");
        ObjectNode media = (ObjectNode) doc.path("paths").path("/v1/events").path("post").path("requestBody").path("content").path("application/json");
        media.remove("example");
        ObjectNode examples = media.putObject("examples");
        for (EventType t : types) {
            ObjectNode schema = t.schema().deepCopy();
            schema.remove("$schema"); // the document's dialect is OpenAPI 3.1's, which is draft 2020-12
            if (!schema.has("description")) {
                schema.put("description", t.description() + " (version " + t.version() + ")");
            }
            schema.set("examples", Responses.arr().add(t.example()));
            schemas.set(t.type(), schema);
            ObjectNode event = Responses.obj().put("event", t.type()).put("account_uuid", "11111111-2222-4333-8444-555555555555");
            event.set("data", t.example());
            examples.putObject(t.type()).put("summary", t.type() + " (version " + t.version() + "): " + t.description()).set("value", event);
        }
        return doc;
    }

    private static JsonNode parse(byte[] json) {
        try {
            return dev.herald.web.JsonInput.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
