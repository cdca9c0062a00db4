package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Holds every answer the API tests receive to {@code /openapi.json}: the operation must be documented (a 404 for a
 * route that does not exist must be a problem), and a JSON body must validate against the schema the document gives
 * for its status and content type, and end with a newline. {@link TestServer} checks each answer it gets.
 */
public final class ContractCheck {
    /** The document the server serves. */
    public static final JsonNode DOCUMENT = load();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> CACHE = new ConcurrentHashMap<>();
    private static final List<Operation> OPERATIONS = operations();

    /** A documented operation: its method, path template and the regex of the paths it serves. */
    public record Operation(String method, String template, Pattern pattern, JsonNode spec) {}

    private ContractCheck() {}

    /** Every operation of the document. */
    public static List<Operation> all() {
        return OPERATIONS;
    }

    /** The operation that serves {@code method} on {@code path}, if the document has one. */
    public static Optional<Operation> find(String method, String path) {
        return OPERATIONS.stream().filter(o -> o.method().equalsIgnoreCase(method) && o.pattern().matcher(path).matches()).findFirst();
    }

    /**
     * Throws {@link AssertionError} naming the operation, status and schema error when the answer breaks the document.
     * Paths outside the API ({@code /v1}, {@code /health} and the console's session, {@code /console/session}) are not
     * checked.
     */
    public static void check(String method, URI uri, int status, String contentType, byte[] body) {
        String path = uri.getRawPath();
        String type = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (type.endsWith("json") && (body.length == 0 || body[body.length - 1] != '\n')) {
            throw new AssertionError(method + " " + path + " answered " + status + " with JSON that does not end with a newline");
        }
        if (!path.startsWith("/v1") && !path.startsWith("/health") && !path.equals("/console/session")) {
            return;
        }
        Optional<Operation> op = find(method, path);
        if (op.isEmpty()) {
            if (status < 400 || !type.equals("application/problem+json")) {
                throw new AssertionError(method + " " + path + " answered " + status + " but /openapi.json has no such operation");
            }
            validate("Problem", DOCUMENT.at("/components/schemas/Problem"), body, method + " " + path + " " + status);
            return;
        }
        JsonNode responses = op.get().spec().path("responses");
        JsonNode response = responses.has(Integer.toString(status)) ? responses.get(Integer.toString(status)) : responses.get("default");
        String where = method + " " + op.get().template() + " " + status;
        if (response == null) {
            throw new AssertionError(where + ": the document lists no such status and no default");
        }
        if (body.length == 0) {
            if (response.has("content")) {
                throw new AssertionError(where + ": the document promises a body, the answer has none");
            }
            return;
        }
        JsonNode media = response.path("content").path(type);
        if (media.isMissingNode()) {
            throw new AssertionError(where + ": the document has no " + type + " body for it");
        }
        validate(where + " " + type, media.path("schema"), body, where);
    }

    private static void validate(String key, JsonNode schema, byte[] body, String where) {
        Schema s = CACHE.computeIfAbsent(key, k -> {
            ObjectNode wrapper = TestServer.JSON.createObjectNode();
            wrapper.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            wrapper.set("components", DOCUMENT.get("components"));
            wrapper.putArray("allOf").add(schema);
            return SCHEMAS.getSchema(wrapper.toString());
        });
        JsonNode instance;
        try {
            instance = TestServer.JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(where + ": the body is not JSON: " + new String(body, StandardCharsets.UTF_8), e);
        }
        List<Error> errors = s.validate(instance);
        if (!errors.isEmpty()) {
            String text = new String(body, StandardCharsets.UTF_8);
            throw new AssertionError(where + " breaks /openapi.json: " + errors + " in " + (text.length() > 600 ? text.substring(0, 600) + "…" : text));
        }
    }

    private static List<Operation> operations() {
        List<Operation> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = DOCUMENT.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            Pattern pattern = Pattern.compile("^" + p.getKey().replaceAll("\\{[^}/]+}", "[^/]+") + "$");
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> o = ops.next();
                out.add(new Operation(o.getKey().toUpperCase(Locale.ROOT), p.getKey(), pattern, o.getValue()));
            }
        }
        return List.copyOf(out);
    }

    private static JsonNode load() {
        try (InputStream in = ContractCheck.class.getClassLoader().getResourceAsStream("openapi.json")) {
            return parseStrict(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code json} read as a document must be: an object holding a key twice is refused (JSON parsers disagree on which
     * one wins; Swagger UI refuses the whole document), as is anything after the document.
     */
    public static JsonNode parseStrict(byte[] json) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper strict = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
        return strict.readTree(json);
    }
}
