package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.ContractCheck;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code /openapi.json} and the router agree in both directions (every route of the API and of the console's session is
 * documented, every documented operation is routed); the document is well formed (every reference resolves, ids are unique, every operation documents its
 * problems); it and {@code /docs} are served. That the API's answers keep the document is checked on every answer the
 * API tests receive ({@link ContractCheck} in {@link TestServer}).
 */
class OpenApiContractTest {
    private static final Set<String> VERBS = Set.of("get", "post", "put", "patch", "delete", "head", "options");

    /** METHOD template of every route the API's services register. */
    private static Set<String> routes() {
        List<String> seen = new ArrayList<>();
        HttpRules[] rules = new HttpRules[1];
        rules[0] = (HttpRules) Proxy.newProxyInstance(HttpRules.class.getClassLoader(), new Class<?>[] {HttpRules.class}, (proxy, method, args) -> {
            if (VERBS.contains(method.getName()) && args != null && args.length > 0 && args[0] instanceof String path) {
                seen.add(method.getName().toUpperCase() + " " + path);
            }
            return method.getReturnType().isInstance(proxy) ? proxy : null;
        });
        for (HttpService s : new HeraldApi(null, null, null, null, null, 1024, () -> true, () -> true, MetricsRoutes.open(() -> ""), null).services()) {
            s.routing(rules[0]);
        }
        assertThat(seen).as("no route registered twice").doesNotHaveDuplicates();
        return new TreeSet<>(seen);
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
        Set<String> documented = new TreeSet<>();
        ContractCheck.all().forEach(o -> documented.add(o.method() + " " + o.template()));
        assertThat(routes()).as("routes the document lacks, or documents without a route").containsExactlyInAnyOrderElementsOf(documented);
        assertThat(documented).hasSizeGreaterThan(25);
    }

    @Test
    void theCheckRefusesAnswersThatBreakTheDocument() {
        java.net.URI one = java.net.URI.create("http://h/v1/endpoints/ep_1");
        byte[] wrongType = "{\"id\": 5, \"merchant_id\": null}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ContractCheck.check("GET", one, 200, "application/json", wrongType))
                .isInstanceOf(AssertionError.class).hasMessageContaining("GET /v1/endpoints/{id} 200");
        byte[] problem = "{\"type\": \"about:blank\", \"title\": \"Not found\", \"status\": 404}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ContractCheck.check("GET", one, 404, "application/problem+json", problem);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ContractCheck.check("GET", one, 404, "application/problem+json",
                        java.util.Arrays.copyOf(problem, problem.length - 1)))
                .as("JSON ends with a newline").isInstanceOf(AssertionError.class).hasMessageContaining("newline");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ContractCheck.check("GET", one, 404, "application/json", problem))
                .as("a problem must be problem+json").isInstanceOf(AssertionError.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ContractCheck.check("GET", java.net.URI.create("http://h/v1/secret-route"), 200,
                "application/json", "{}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("no such operation");
    }

    @Test
    void theDocumentHoldsNoKeyTwiceAndTheCheckRefusesOneThatDoes() throws Exception {
        byte[] served;
        try (var in = OpenApiContractTest.class.getClassLoader().getResourceAsStream("openapi.json")) {
            served = in.readAllBytes();
        }
        assertThat(ContractCheck.parseStrict(served)).isEqualTo(ContractCheck.DOCUMENT);
        byte[] twice = "{\"paths\": {\"/v1/x\": {\"get\": {\"description\": \"a\", \"description\": \"b\"}}}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ContractCheck.parseStrict(twice))
                .isInstanceOf(com.fasterxml.jackson.core.JsonProcessingException.class).hasMessageContaining("Duplicate field 'description'");
        assertThat(served[served.length - 1]).as("the document ends with a newline").isEqualTo((byte) '\n');
    }

    @Test
    void theDocumentIsWellFormed() {
        JsonNode doc = ContractCheck.DOCUMENT;
        assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
        Set<String> ids = new HashSet<>();
        for (ContractCheck.Operation o : ContractCheck.all()) {
            String name = o.method() + " " + o.template();
            assertThat(ids.add(o.spec().path("operationId").asText())).as("%s has a unique operationId", name).isTrue();
            assertThat(o.spec().path("summary").asText()).as(name).isNotBlank();
            // a bearer key's operations (the document's default security) answer 401 without one and 422 to a bad field;
            // the console's session operations name their own security and answers
            boolean bearer = !o.spec().has("security") || o.spec().get("security").toString().contains("\"bearer\"");
            if (bearer) {
                assertThat(o.spec().path("responses").has("401")).as("%s documents 401", name).isTrue();
                assertThat(o.spec().path("responses").has("422")).as("%s documents 422", name).isTrue();
            }
            o.spec().path("parameters").forEach(p -> {
                if (p.path("in").asText().equals("path")) {
                    assertThat(o.template()).as(name).contains("{" + p.path("name").asText() + "}");
                }
            });
        }
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty().allSatisfy(r -> assertThat(doc.at(r.substring(1)).isMissingNode()).as("%s resolves", r).isFalse());
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                if (e.getKey().equals("$ref")) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            });
        } else if (n.isArray()) {
            n.forEach(c -> collectRefs(c, out));
        }
    }

    @Test
    void theDocumentAndItsRenderingAreServedWithoutAKey() throws Exception {
        try (TestServer server = TestServer.start(false)) {
            var noKey = java.net.http.HttpRequest.newBuilder(server.uri("/openapi.json")).GET().build();
            Response doc = server.send(noKey);
            assertThat(doc.status()).isEqualTo(200);
            assertThat(doc.contentType()).startsWith("application/json");
            JsonNode served = TestServer.JSON.readTree(doc.bytes());
            // the file, with the event catalog's schemas and examples added at request time
            assertThat(served).isEqualTo(ApiDocsRoutes.withCatalog(ContractCheck.DOCUMENT, server.server().herald().catalog().list()));
            assertThat(served.at("/components/schemas/transfer.completed/properties/amount/type").asText()).isEqualTo("integer");
            assertThat(served.at("/components/schemas/transfer.completed/examples/0/amount").asLong()).isPositive();
            assertThat(served.at("/paths/~1v1~1events/post/requestBody/content/application~1json/examples/transfer.completed/value/event").asText())
                    .isEqualTo("transfer.completed");
            assertThat(server.put("/v1/event-types/docs.added", "{\"description\": \"Added for the docs.\", \"version\": 1,"
                    + " \"schema\": {\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}, \"example\": {\"n\": 1}}").status()).isEqualTo(201);
            JsonNode after = TestServer.JSON.readTree(server.send(noKey).bytes());
            assertThat(after.at("/components/schemas/docs.added/properties/n/type").asText()).as("a new type shows at once").isEqualTo("integer");
            Response page = server.send(java.net.http.HttpRequest.newBuilder(server.uri("/docs/")).GET().build());
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).contains("swagger-ui-bundle.js", "/docs/init.js");
            assertThat(page.header("content-security-policy")).contains("default-src 'self'");
            for (String file : List.of("/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js")) {
                Response r = server.send(java.net.http.HttpRequest.newBuilder(server.uri(file)).GET().build());
                assertThat(r.status()).as(file).isEqualTo(200);
                assertThat(r.bytes().length).as(file).isGreaterThan(10);
            }
            assertThat(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/docs/..%2Fopenapi.json")).GET().build()).status())
                    .as("only the listed files").isEqualTo(404);
        }
    }
}
