package dev.herald.server.api;

import static dev.herald.server.api.ProblemAssertions.assertProblem;
import static dev.herald.server.api.ProblemAssertions.assertWellFormedProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.ContractCheck;
import dev.herald.server.RawHttp;
import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.store.Jdbc;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every route that takes input refuses bad input with a 4xx problem+json naming the field at fault, never a 5xx or a
 * stack trace, and stores nothing. The barrage runs first; the last test checks that the stored data did not change.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputTest {
    /** Expected problem without a field member. */
    private static final String NO_FIELD = "(no field)";
    /** Expected problem whose field is not checked. */
    private static final String ANY_FIELD = "(any field)";
    private static final int MAX_BODY = 256 * 1024;
    private static final String MERCHANT = "m-bad-input";

    private static TestServer server;
    /** Started without allowPrivateAddresses, as in production. */
    private static TestServer strict;
    private static String endpointId;
    private static String strictEndpointId;
    private static String eventId;
    private static String cancelledDeliveryId;
    private static Snapshot before;

    /** One bad request and the problem it must produce. */
    record Case(String method, String path, byte[] body, Map<String, String> headers, int status, String field) {}

    @BeforeAll
    static void start() {
        server = TestServer.start(true);
        strict = TestServer.start(false);
        endpointId = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/hook", "events", List.of("account.created"), "is_active", false,
                "headers", Map.of("X-Tenant", "acme"))).get("id").asText();
        assertThat(server.put("/v1/merchants/" + MERCHANT, "{\"name\": \"Bad Input Co\"}").status()).isEqualTo(201);
        assertThat(strict.put("/v1/merchants/" + MERCHANT, "{\"name\": \"Bad Input Co\"}").status()).isEqualTo(201);
        strictEndpointId = strict.createEndpoint(Map.of("url", "https://hooks.example.com/herald", "events", List.of("*"), "is_active", false))
                .get("id").asText();
        eventId = server.postJson("/v1/events", Map.of("event", "account.created", "data", Map.of("n", 1))).json().get("id").asText();

        String doomed = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/doomed", "events", List.of("order.paid"), "is_active", false))
                .get("id").asText();
        String paid = server.postJson("/v1/events", Map.of("event", "order.paid")).json().get("id").asText();
        cancelledDeliveryId = server.get("/v1/deliveries?event=" + paid).json().get("data").get(0).get("id").asText();
        assertThat(server.delete("/v1/endpoints/" + doomed).status()).isEqualTo(204);
        assertThat(server.get("/v1/deliveries/" + cancelledDeliveryId).json().get("status").asText()).isEqualTo("cancelled");

        before = Snapshot.take(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (strict != null) {
            strict.close();
        }
    }

    // ---------------------------------------------------------------- bodies that are not a usable JSON object

    static Stream<Named<Case>> unusableBodies() {
        List<Named<Case>> out = new ArrayList<>();
        for (String[] route : new String[][] {{"POST", "/v1/endpoints"}, {"PATCH", "/v1/endpoints/{ep}"}, {"POST", "/v1/events"},
                {"PUT", "/v1/merchants/" + MERCHANT}, {"POST", "/v1/notifications"}}) {
            String m = route[0];
            String p = route[1];
            out.add(named("malformed JSON", m, p, "{\"url\": ", 400, NO_FIELD));
            out.add(named("malformed JSON (bare word)", m, p, "hello", 400, NO_FIELD));
            out.add(named("malformed JSON (single quotes)", m, p, "{'event': 'account.created'}", 400, NO_FIELD));
            out.add(named("empty body", m, p, "", 400, NO_FIELD));
            out.add(named("whitespace body", m, p, "  \r\n\t ", 400, NO_FIELD));
            out.add(named("number", m, p, "42", 400, NO_FIELD));
            out.add(named("string", m, p, "\"account.created\"", 400, NO_FIELD));
            out.add(named("null", m, p, "null", 400, NO_FIELD));
            out.add(named("boolean", m, p, "true", 400, NO_FIELD));
            out.add(named("duplicate key", m, p, "{\"name\": \"a\", \"name\": \"b\"}", 400, NO_FIELD));
            out.add(named("trailing tokens", m, p, "{} {}", 400, NO_FIELD));
            out.add(named("trailing garbage", m, p, "{}x", 400, NO_FIELD));
            out.add(named("deep nesting", m, p, "{\"data\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400, NO_FIELD));
            out.add(named("huge number", m, p, "{\"priority\": 1" + "0".repeat(2000) + "}", 400, ANY_FIELD));
            out.add(namedBytes("invalid UTF-8", m, p, new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, 400, NO_FIELD));
            out.add(named("unknown field", m, p, "{\"nope\": 1}", 400, "nope"));
            out.add(named("unknown field differing in case", m, p, "{\"Name\": \"x\"}", 400, "Name"));
        }
        out.add(named("array instead of object", "POST", "/v1/endpoints", "[{\"url\": \"http://127.0.0.1:9/\", \"events\": [\"*\"]}]", 400, NO_FIELD));
        out.add(named("array instead of object", "PATCH", "/v1/endpoints/{ep}", "[]", 400, NO_FIELD));
        out.add(named("read-only field", "POST", "/v1/endpoints", "{\"id\": \"ep_mine\", \"url\": \"http://127.0.0.1:9/\", \"events\": [\"*\"]}", 400, "id"));
        out.add(named("read-only field", "PATCH", "/v1/endpoints/{ep}", "{\"created_at\": \"2020-01-01T00:00:00Z\"}", 400, "created_at"));
        out.add(named("response field", "PATCH", "/v1/endpoints/{ep}", "{\"retry_preset\": \"default\"}", 400, "retry_preset"));
        out.add(named("empty array of events", "POST", "/v1/events", "[]", 422, ANY_FIELD));
        out.add(named("array of numbers", "POST", "/v1/events", "[42]", 400, "[0]"));
        out.add(named("array holding a non-object", "POST", "/v1/events", "[{\"event\": \"account.created\"}, \"x\"]", 400, "[1]"));
        out.add(named("nested arrays", "POST", "/v1/events", "[[{\"event\": \"account.created\"}]]", 400, "[0]"));
        out.add(named("unknown field in a batch", "POST", "/v1/events", "[{\"event\": \"account.created\"}, {\"event\": \"account.created\", \"nope\": 1}]", 400, "[1].nope"));
        String batch = IntStream.range(0, 1001).mapToObj(i -> "{\"event\": \"account.created\"}").collect(Collectors.joining(",", "[", "]"));
        out.add(named("array of 1001 events", "POST", "/v1/events", batch, 422, ANY_FIELD));
        return out.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableBodies")
    void refusesBodiesThatAreNotAUsableObject(Case c) {
        check(server, c);
    }

    // ---------------------------------------------------------------- endpoint fields (create and update)

    /** {field, raw JSON value, status, field expected in the problem}. */
    static final List<String[]> ENDPOINT_FIELDS = List.of(
            new String[] {"url", "5", "422", "url"},
            new String[] {"url", "\"\"", "422", "url"},
            new String[] {"url", "\"ftp://example.com/hook\"", "422", "url"},
            new String[] {"url", "\"file:///etc/passwd\"", "422", "url"},
            new String[] {"url", "\"javascript:alert(1)\"", "422", "url"},
            new String[] {"url", "\"/relative/hook\"", "422", "url"},
            new String[] {"url", "\"example.com/hook\"", "422", "url"},
            new String[] {"url", "\"http:///no-host\"", "422", "url"},
            new String[] {"url", "\"http://user:pass@example.com/hook\"", "422", "url"},
            new String[] {"url", "\"http://user@example.com/hook\"", "422", "url"},
            new String[] {"url", "\"http://exa mple.com/hook\"", "422", "url"},
            new String[] {"url", "\"http://example.com/hook#frag\"", "422", "url"},
            new String[] {"url", "\"http://ex\u00e4mple.com/hook\"", "422", "url"},
            new String[] {"url", "\"http://[::1/hook\"", "422", "url"},
            new String[] {"url", "\"http://example.com\\u0000.evil/\"", "422", "url"},
            new String[] {"url", "\"http://example.com/" + "a".repeat(2100) + "\"", "422", "url"},
            new String[] {"events", "\"x\"", "422", "events"},
            new String[] {"events", "\"account.created\"", "422", "events"},
            new String[] {"events", "{}", "422", "events"},
            new String[] {"events", "[]", "422", "events"},
            new String[] {"events", "[1]", "422", "events[0]"},
            new String[] {"events", "[null]", "422", "events[0]"},
            new String[] {"events", "[\"account.created\", \"Account Created\"]", "422", "events[1]"},
            new String[] {"events", "[\"ACCOUNT.CREATED\"]", "422", "events[0]"},
            new String[] {"events", "[\"account.*.x\"]", "422", "events[0]"},
            new String[] {"events", "[\"**\"]", "422", "events[0]"},
            new String[] {"events", "[\"\"]", "422", "events[0]"},
            new String[] {"events", IntStream.range(0, 101).mapToObj(i -> "\"t" + i + ".x\"").collect(Collectors.joining(",", "[", "]")), "422", "events"},
            new String[] {"timeout_seconds", "\"30\"", "422", "timeout_seconds"},
            new String[] {"timeout_seconds", "0", "422", "timeout_seconds"},
            new String[] {"timeout_seconds", "301", "422", "timeout_seconds"},
            new String[] {"timeout_seconds", "-1", "422", "timeout_seconds"},
            new String[] {"timeout_seconds", "30.5", "422", "timeout_seconds"},
            new String[] {"timeout_seconds", "99999999999", "422", "timeout_seconds"},
            new String[] {"is_active", "\"yes\"", "422", "is_active"},
            new String[] {"is_active", "1", "422", "is_active"},
            new String[] {"retry_schedule", "\"bogus\"", "422", "retry_schedule"},
            new String[] {"retry_schedule", "\"\"", "422", "retry_schedule"},
            new String[] {"retry_schedule", "60", "422", "retry_schedule"},
            new String[] {"retry_schedule", "[]", "422", "retry_schedule"},
            new String[] {"retry_schedule", "[60, -5]", "422", "retry_schedule[1]"},
            new String[] {"retry_schedule", "[0]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[\"5x\"]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[\"-5s\"]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[\"8d\"]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[1.5]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[9223372036854775807]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[99999999999999999999]", "422", "retry_schedule[0]"},
            new String[] {"retry_schedule", "[\"9999999d\"]", "422", "retry_schedule[0]"},
            new String[] {"retry_attempts", "51", "422", "retry_attempts"},
            new String[] {"retry_attempts", "-1", "422", "retry_attempts"},
            new String[] {"retry_attempts", "\"3\"", "422", "retry_attempts"},
            new String[] {"headers", "[\"X-A\"]", "422", "headers"},
            new String[] {"headers", "{\"X-A\": 5}", "422", "headers.X-A"},
            new String[] {"headers", "{\"X-Webhook-Signature\": \"sha256=forged\"}", "422", "headers.X-Webhook-Signature"},
            new String[] {"headers", "{\"webhook-id\": \"evt_forged\"}", "422", "headers.webhook-id"},
            new String[] {"headers", "{\"Webhook-Signature\": \"v1,forged\"}", "422", "headers.Webhook-Signature"},
            new String[] {"headers", "{\"Content-Type\": \"text/plain\"}", "422", "headers.Content-Type"},
            new String[] {"headers", "{\"content-length\": \"1\"}", "422", "headers.content-length"},
            new String[] {"headers", "{\"Host\": \"evil.example\"}", "422", "headers.Host"},
            new String[] {"headers", "{\"Transfer-Encoding\": \"chunked\"}", "422", "headers.Transfer-Encoding"},
            new String[] {"headers", "{\"X-A\": \"a\\r\\nX-Injected: b\"}", "422", "headers.X-A"},
            new String[] {"headers", "{\"X-A\": \"a\\nb\"}", "422", "headers.X-A"},
            new String[] {"headers", "{\"X-A\": \"a\\u0000b\"}", "422", "headers.X-A"},
            new String[] {"headers", "{\"X-A\": \"" + "v".repeat(1001) + "\"}", "422", "headers.X-A"},
            new String[] {"headers", "{\"Bad Header\": \"x\"}", "422", "headers.Bad Header"},
            new String[] {"headers", "{\"X-A:\": \"x\"}", "422", "headers.X-A:"},
            new String[] {"headers", "{\"\": \"x\"}", "422", "headers."},
            new String[] {"headers", "{\"X-A\": \"1\", \"x-a\": \"2\"}", "422", "headers.x-a"},
            new String[] {"headers", IntStream.range(0, 21).mapToObj(i -> "\"X-H" + i + "\": \"v\"").collect(Collectors.joining(",", "{", "}")), "422", "headers"},
            new String[] {"secret", "123", "422", "secret"},
            new String[] {"secret", "\"not-a-secret\"", "422", "secret"},
            new String[] {"secret", "\"whsec_\"", "422", "secret"},
            new String[] {"secret", "\"whsec_!!!not base64!!!\"", "422", "secret"},
            new String[] {"secret", "\"whsec_" + Base64.getEncoder().encodeToString(new byte[10]) + "\"", "422", "secret"},
            new String[] {"secret", "\"whsec_" + Base64.getEncoder().encodeToString(new byte[65]) + "\"", "422", "secret"},
            new String[] {"secret", "\"" + Base64.getEncoder().encodeToString(new byte[32]) + "\"", "422", "secret"},
            new String[] {"name", "\"\"", "422", "name"},
            new String[] {"name", "\"   \"", "422", "name"},
            new String[] {"name", "\"" + "n".repeat(201) + "\"", "422", "name"},
            new String[] {"name", "[\"x\"]", "422", "name"},
            new String[] {"name", "\"a\\u0000b\"", "422", "name"},
            new String[] {"description", "\"" + "d".repeat(2001) + "\"", "422", "description"},
            new String[] {"description", "\"\\u0000\"", "422", "description"},
            new String[] {"description", "\"lone surrogate \\ud800\"", "422", "description"},
            new String[] {"merchant_id", "\"bad merchant!\"", "422", "merchant_id"},
            new String[] {"merchant_id", "\"\"", "422", "merchant_id"},
            new String[] {"merchant_id", "7", "422", "merchant_id"});

    static Stream<Named<Case>> badEndpointFields() {
        List<Named<Case>> out = new ArrayList<>();
        for (String[] f : ENDPOINT_FIELDS) {
            int status = Integer.parseInt(f[2]);
            Map<String, String> create = new LinkedHashMap<>();
            create.put("url", "\"http://127.0.0.1:9/hook\"");
            create.put("events", "[\"account.created\"]");
            create.put(f[0], f[1]);
            out.add(named("create with " + f[0] + "=" + shorten(f[1]), "POST", "/v1/endpoints", object(create), status, f[3]));
            out.add(named("update with " + f[0] + "=" + shorten(f[1]), "PATCH", "/v1/endpoints/{ep}", object(Map.of(f[0], f[1])), status, f[3]));
        }
        out.add(named("create without url", "POST", "/v1/endpoints", "{\"events\": [\"*\"]}", 422, "url"));
        out.add(named("create without events", "POST", "/v1/endpoints", "{\"url\": \"http://127.0.0.1:9/\"}", 422, "events"));
        out.add(named("create with url null", "POST", "/v1/endpoints", "{\"url\": null, \"events\": [\"*\"]}", 422, "url"));
        out.add(named("create with preset and too many attempts", "POST", "/v1/endpoints",
                "{\"url\": \"http://127.0.0.1:9/\", \"events\": [\"*\"], \"retry_schedule\": \"alipay\", \"retry_attempts\": 51}", 422, "retry_attempts"));
        return out.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("badEndpointFields")
    void refusesBadEndpointFields(Case c) {
        check(server, c);
    }

    // ---------------------------------------------------------------- secret rotation (its body is optional)

    static Stream<Named<Case>> badSecretRotations() {
        String p = "/v1/endpoints/{ep}/rotate-secret";
        List<Named<Case>> out = new ArrayList<>();
        out.add(named("malformed JSON", "POST", p, "{\"grace_seconds\": ", 400, NO_FIELD));
        out.add(named("malformed JSON (bare word)", "POST", p, "hello", 400, NO_FIELD));
        out.add(named("whitespace body", "POST", p, "  \r\n\t ", 400, NO_FIELD));
        out.add(named("number", "POST", p, "3600", 400, NO_FIELD));
        out.add(named("null", "POST", p, "null", 400, NO_FIELD));
        out.add(named("array", "POST", p, "[{\"grace_seconds\": 60}]", 400, NO_FIELD));
        out.add(named("duplicate key", "POST", p, "{\"grace_seconds\": 1, \"grace_seconds\": 2}", 400, NO_FIELD));
        out.add(named("trailing tokens", "POST", p, "{} {}", 400, NO_FIELD));
        out.add(named("unknown field", "POST", p, "{\"nope\": 1}", 400, "nope"));
        out.add(named("a secret of the caller's", "POST", p, "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}", 400, "secret"));
        for (String grace : List.of("-1", "604801", "2147483648", "1.5", "\"3600\"", "\"1h\"", "true", "[60]", "{}")) {
            out.add(named("grace_seconds " + grace, "POST", p, "{\"grace_seconds\": " + grace + "}", 422, "grace_seconds"));
        }
        return out.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("badSecretRotations")
    void refusesBadSecretRotations(Case c) {
        check(server, c);
    }

    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"http://example.com:99999/hook", "http://example.com:0/hook", "https://example.com:65536/"})
    void refusesUrlsWithAnImpossiblePort(String url) {
        Map<String, String> create = new LinkedHashMap<>();
        create.put("url", TestServer.toJson(url));
        create.put("events", "[\"*\"]");
        check(server, new Case("POST", "/v1/endpoints", bytes(object(create)), Map.of(), 422, "url"));
        check(server, new Case("PATCH", "/v1/endpoints/{ep}", bytes(object(Map.of("url", TestServer.toJson(url)))), Map.of(), 422, "url"));
    }

    /** URLs that point at the node itself, its network or cloud metadata, refused when private addresses are not allowed. */
    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::1]:8080/hook", "http://127.0.0.1/",
            "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://0/", "http://0.0.0.0:8080/",
            "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/",
            "http://[fe80::1]/", "http://[fd00::1]/", "https://100.64.0.1/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/"})
    void refusesPrivateAndMetadataAddressesWhenNotAllowed(String url) {
        Map<String, String> create = new LinkedHashMap<>();
        create.put("url", TestServer.toJson(url));
        create.put("events", "[\"*\"]");
        check(strict, new Case("POST", "/v1/endpoints", bytes(object(create)), Map.of(), 422, "url"));
        check(strict, new Case("PATCH", "/v1/endpoints/" + strictEndpointId, bytes(object(Map.of("url", TestServer.toJson(url)))), Map.of(), 422, "url"));
    }

    // ---------------------------------------------------------------- event fields

    static Stream<Named<Case>> badEvents() {
        List<Named<Case>> out = new ArrayList<>();
        out.add(named("event missing", "POST", "/v1/events", "{}", 422, "event"));
        out.add(named("event missing, data given", "POST", "/v1/events", "{\"data\": {\"a\": 1}}", 422, "event"));
        out.add(named("event null", "POST", "/v1/events", "{\"event\": null}", 422, "event"));
        out.add(named("event with spaces", "POST", "/v1/events", "{\"event\": \"Account Created\"}", 422, "event"));
        out.add(named("event upper case", "POST", "/v1/events", "{\"event\": \"Account.Created\"}", 422, "event"));
        out.add(named("event without dot", "POST", "/v1/events", "{\"event\": \"account\"}", 422, "event"));
        out.add(named("event pattern", "POST", "/v1/events", "{\"event\": \"account.*\"}", 422, "event"));
        out.add(named("event empty", "POST", "/v1/events", "{\"event\": \"\"}", 422, "event"));
        out.add(named("event number", "POST", "/v1/events", "{\"event\": 5}", 422, "event"));
        out.add(named("event too long", "POST", "/v1/events", "{\"event\": \"a." + "b".repeat(250) + "\"}", 422, "event"));
        out.add(named("event with NUL", "POST", "/v1/events", "{\"event\": \"account.created\\u0000\"}", 422, "event"));
        out.add(named("priority 10", "POST", "/v1/events", ev("\"priority\": 10"), 422, "priority"));
        out.add(named("priority -1", "POST", "/v1/events", ev("\"priority\": -1"), 422, "priority"));
        out.add(named("priority string", "POST", "/v1/events", ev("\"priority\": \"high\""), 422, "priority"));
        out.add(named("priority fraction", "POST", "/v1/events", ev("\"priority\": 1.5"), 422, "priority"));
        out.add(named("priority huge", "POST", "/v1/events", ev("\"priority\": 99999999999999999999"), 422, "priority"));
        out.add(named("timestamp not RFC 3339", "POST", "/v1/events", ev("\"timestamp\": \"yesterday\""), 422, "timestamp"));
        out.add(named("timestamp without offset", "POST", "/v1/events", ev("\"timestamp\": \"2025-01-14T10:30:00\""), 422, "timestamp"));
        out.add(named("timestamp number", "POST", "/v1/events", ev("\"timestamp\": 1736850600"), 422, "timestamp"));
        out.add(named("timestamp beyond what can be stored", "POST", "/v1/events", ev("\"timestamp\": \"+999999999-12-31T23:59:59Z\""), 422, "timestamp"));
        out.add(named("timestamp far in the past", "POST", "/v1/events", ev("\"timestamp\": \"-999999999-01-01T00:00:00Z\""), 422, "timestamp"));
        out.add(named("timestamp in year 300000", "POST", "/v1/events", ev("\"timestamp\": \"+300000-01-01T00:00:00Z\""), 422, "timestamp"));
        out.add(named("data string", "POST", "/v1/events", ev("\"data\": \"x\""), 422, "data"));
        out.add(named("data array", "POST", "/v1/events", ev("\"data\": [1, 2]"), 422, "data"));
        out.add(named("id with spaces", "POST", "/v1/events", ev("\"id\": \"has space\""), 422, "id"));
        out.add(named("id empty", "POST", "/v1/events", ev("\"id\": \"\""), 422, "id"));
        out.add(named("id too long", "POST", "/v1/events", ev("\"id\": \"" + "i".repeat(129) + "\""), 422, "id"));
        out.add(named("id number", "POST", "/v1/events", ev("\"id\": 12"), 422, "id"));
        out.add(named("trace_id not hex", "POST", "/v1/events", ev("\"trace_id\": \"XYZ\""), 422, "trace_id"));
        out.add(named("trace_id upper-case hex", "POST", "/v1/events", ev("\"trace_id\": \"" + "AB".repeat(16) + "\""), 422, "trace_id"));
        out.add(named("account_uuid too long", "POST", "/v1/events", ev("\"account_uuid\": \"" + "u".repeat(129) + "\""), 422, "account_uuid"));
        out.add(named("account_uuid number", "POST", "/v1/events", ev("\"account_uuid\": 5"), 422, "account_uuid"));
        out.add(named("account_uuid with NUL", "POST", "/v1/events", ev("\"account_uuid\": \"a\\u0000b\""), 422, "account_uuid"));
        out.add(named("account_uuid with a lone surrogate", "POST", "/v1/events", ev("\"account_uuid\": \"\\udc00\""), 422, "account_uuid"));
        out.add(named("merchant_id empty", "POST", "/v1/events", ev("\"merchant_id\": \"\""), 422, "merchant_id"));
        out.add(named("merchant_id with NUL", "POST", "/v1/events", ev("\"merchant_id\": \"m\\u0000\""), 422, "merchant_id"));
        out.add(named("idempotency_key empty", "POST", "/v1/events", ev("\"idempotency_key\": \"\""), 422, "idempotency_key"));
        out.add(named("idempotency_key too long", "POST", "/v1/events", ev("\"idempotency_key\": \"" + "k".repeat(256) + "\""), 422, "idempotency_key"));
        out.add(named("idempotency_key with NUL", "POST", "/v1/events", ev("\"idempotency_key\": \"k\\u0000\""), 422, "idempotency_key"));
        out.add(named("ordering_key of 10,000 characters", "POST", "/v1/events", ev("\"ordering_key\": \"" + "o".repeat(10_000) + "\""), 422, "ordering_key"));
        out.add(named("ordering_key of 256 characters", "POST", "/v1/events", ev("\"ordering_key\": \"" + "o".repeat(256) + "\""), 422, "ordering_key"));
        out.add(named("ordering_key empty", "POST", "/v1/events", ev("\"ordering_key\": \"\""), 422, "ordering_key"));
        out.add(named("account_uuid of 10,000 characters", "POST", "/v1/events", ev("\"account_uuid\": \"" + "u".repeat(10_000) + "\""), 422, "account_uuid"));
        out.add(named("idempotency_key of 10,000 characters", "POST", "/v1/events", ev("\"idempotency_key\": \"" + "k".repeat(10_000) + "\""), 422, "idempotency_key"));
        out.add(named("event type of 10,000 characters", "POST", "/v1/events", "{\"event\": \"a." + "b".repeat(10_000) + "\"}", 422, "event"));
        out.add(named("merchant_id with spaces", "POST", "/v1/events", ev("\"merchant_id\": \"bad merchant\""), 422, "merchant_id"));
        out.add(named("merchant_id of 10,000 characters", "POST", "/v1/events", ev("\"merchant_id\": \"" + "m".repeat(10_000) + "\""), 422, "merchant_id"));
        out.add(named("second event of a batch invalid", "POST", "/v1/events",
                "[{\"event\": \"account.created\"}, {\"event\": \"Account Created\"}]", 422, "[1].event"));
        out.add(named("third event of a batch has bad priority", "POST", "/v1/events",
                "[{\"event\": \"account.created\"}, {\"event\": \"account.created\"}, {\"event\": \"account.created\", \"priority\": 10}]", 422, "[2].priority"));
        out.add(named("batch event with wrong type", "POST", "/v1/events", "[{\"event\": \"account.created\", \"timestamp\": 5}]", 422, "[0].timestamp"));
        Case longKey = new Case("POST", "/v1/events", bytes(ev("\"data\": {}")), Map.of("Idempotency-Key", "k".repeat(201)), 422, "Idempotency-Key");
        out.add(Named.of("Idempotency-Key header too long", longKey));
        return out.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("badEvents")
    void refusesBadEvents(Case c) {
        check(server, c);
    }

    // ---------------------------------------------------------------- merchants and notifications

    static Stream<Named<Case>> badMerchantsAndNotifications() {
        String m = "/v1/merchants/" + MERCHANT;
        String n = "/v1/notifications";
        String ok = "\"merchant_id\": \"" + MERCHANT + "\", \"notify_url\": \"http://127.0.0.1:9/notify\", \"event\": \"payment.succeeded\"";
        List<Named<Case>> out = new ArrayList<>();
        out.add(named("name not a string", "PUT", m, "{\"name\": 5}", 422, "name"));
        out.add(named("name too long", "PUT", m, "{\"name\": \"" + "n".repeat(201) + "\"}", 422, "name"));
        out.add(named("name with NUL", "PUT", m, "{\"name\": \"a\\u0000\"}", 422, "name"));
        out.add(named("ack unknown", "PUT", m, "{\"ack\": \"bogus\"}", 422, "ack"));
        out.add(named("rotate_secret not a boolean", "PUT", m, "{\"rotate_secret\": \"yes\"}", 422, "rotate_secret"));
        out.add(named("max_in_flight not an integer", "PUT", m, "{\"max_in_flight\": \"many\"}", 422, "max_in_flight"));
        out.add(named("max_in_flight negative", "PUT", m, "{\"max_in_flight\": -1}", 422, "max_in_flight"));
        out.add(named("max_in_flight too large", "PUT", m, "{\"max_in_flight\": 10001}", 422, "max_in_flight"));
        out.add(named("max_in_flight fractional", "PUT", m, "{\"max_in_flight\": 2.5}", 422, "max_in_flight"));
        out.add(named("merchant id with spaces", "PUT", "/v1/merchants/bad%20id", "{\"name\": \"x\"}", 422, "id"));
        out.add(named("status unknown", "PUT", m, "{\"status\": \"paused\"}", 422, "status"));
        out.add(named("listed not a boolean", "PUT", m, "{\"listed\": \"yes\"}", 422, "listed"));
        out.add(named("url_rules not an object", "PUT", m, "{\"url_rules\": []}", 422, "url_rules"));
        out.add(named("url_rules unknown field", "PUT", m, "{\"url_rules\": {\"ports\": [443]}}", 400, "url_rules.ports"));
        out.add(named("url_rules bad host pattern", "PUT", m, "{\"url_rules\": {\"hosts\": [\"shop..example\"]}}", 422, "url_rules.hosts[0]"));
        out.add(named("url_rules host wildcard in the middle", "PUT", m, "{\"url_rules\": {\"hosts\": [\"a.*.example\"]}}", 422, "url_rules.hosts[0]"));
        out.add(named("url_rules port out of range", "PUT", m, "{\"url_rules\": {\"hosts\": [\"a.example:70000\"]}}", 422, "url_rules.hosts[0]"));
        out.add(named("url_rules invalid CIDR", "PUT", m, "{\"url_rules\": {\"private_networks\": [\"10.0.0.0/33\"]}}", 422, "url_rules.private_networks[0]"));
        out.add(named("url_rules CIDR that is a host name", "PUT", m, "{\"url_rules\": {\"private_networks\": [\"intranet/8\"]}}", 422, "url_rules.private_networks[0]"));
        out.add(named("url_rules CIDR covering cloud metadata", "PUT", m, "{\"url_rules\": {\"private_networks\": [\"169.254.0.0/16\"]}}", 422, "url_rules.private_networks[0]"));
        out.add(named("url_rules https_only not a boolean", "PUT", m, "{\"url_rules\": {\"https_only\": 1}}", 422, "url_rules.https_only"));
        out.add(named("sync_types not event types", "PUT", m, "{\"sync_types\": [\"Payment Succeeded\"]}", 422, "sync_types[0]"));
        out.add(named("default_priority 10", "PUT", m, "{\"default_priority\": 10}", 422, "default_priority"));
        out.add(named("merchant id too long", "PUT", "/v1/merchants/" + "m".repeat(129), "{\"name\": \"x\"}", 422, "id"));
        out.add(named("unknown merchant", "GET", "/v1/merchants/m-unknown", null, 404, NO_FIELD));
        out.add(named("merchant_id missing", "POST", n, "{\"notify_url\": \"http://127.0.0.1:9/\", \"event\": \"payment.succeeded\"}", 422, "merchant_id"));
        out.add(named("notify_url missing", "POST", n, "{\"merchant_id\": \"" + MERCHANT + "\", \"event\": \"payment.succeeded\"}", 422, "notify_url"));
        out.add(named("unknown merchant", "POST", n, "{" + ok.replace(MERCHANT, "m-unknown") + "}", 422, "merchant_id"));
        out.add(named("notify_url not http", "POST", n, "{" + ok.replace("http://127.0.0.1:9/notify", "ftp://example.com/notify") + "}", 422, "notify_url"));
        out.add(named("notify_url with user info", "POST", n, "{" + ok.replace("http://127.0.0.1:9/notify", "http://u:p@example.com/") + "}", 422, "notify_url"));
        out.add(named("notify_url relative", "POST", n, "{" + ok.replace("http://127.0.0.1:9/notify", "/notify") + "}", 422, "notify_url"));
        out.add(named("event invalid", "POST", n, "{" + ok.replace("payment.succeeded", "Payment Succeeded") + "}", 422, "event"));
        out.add(named("mode unknown", "POST", n, "{" + ok + ", \"mode\": \"bogus\"}", 422, "mode"));
        out.add(named("priority 10", "POST", n, "{" + ok + ", \"priority\": 10}", 422, "priority"));
        out.add(named("priority string", "POST", n, "{" + ok + ", \"priority\": \"9\"}", 422, "priority"));
        out.add(named("payload not an object", "POST", n, "{" + ok + ", \"payload\": \"x\"}", 422, "payload"));
        out.add(named("account_uuid with NUL", "POST", n, "{" + ok + ", \"account_uuid\": \"a\\u0000\"}", 422, "account_uuid"));
        out.add(named("account_uuid of 10,000 characters", "POST", n, "{" + ok + ", \"account_uuid\": \"" + "u".repeat(10_000) + "\"}", 422, "account_uuid"));
        out.add(named("event type of 10,000 characters", "POST", n, "{" + ok.replace("payment.succeeded", "payment." + "s".repeat(10_000)) + "}", 422, "event"));
        out.add(Named.of("Idempotency-Key of 10,000 characters", new Case("POST", n, bytes("{" + ok + "}"), Map.of("Idempotency-Key", "k".repeat(10_000)), 422,
                "Idempotency-Key")));
        out.add(named("notify_url of 2,100 characters", "POST", n, "{" + ok.replace("http://127.0.0.1:9/notify", "http://127.0.0.1:9/" + "p".repeat(2100)) + "}", 422, "notify_url"));
        out.add(named("notify_url whose host has 2,000 characters", "POST", n, "{" + ok.replace("http://127.0.0.1:9/notify", "http://" + "h".repeat(2000) + ".example/") + "}", 422, "notify_url"));
        out.add(named("notify_url of 1,500 non-ASCII characters", "POST", n, "{" + ok.replace("http://127.0.0.1:9/notify", "http://127.0.0.1:9/" + "é".repeat(1500)) + "}", 422, "notify_url"));
        return out.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("badMerchantsAndNotifications")
    void refusesBadMerchantsAndNotifications(Case c) {
        check(server, c);
    }

    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://127.0.0.1:8080/", "http://10.1.2.3/notify"})
    void refusesPrivateNotifyUrlsWhenNotAllowed(String url) {
        String body = "{\"merchant_id\": \"" + MERCHANT + "\", \"notify_url\": " + TestServer.toJson(url) + ", \"event\": \"payment.succeeded\"}";
        check(strict, new Case("POST", "/v1/notifications", bytes(body), Map.of(), 422, "notify_url"));
        check(strict, new Case("POST", "/v1/notifications", bytes(body.replace("}", ", \"mode\": \"sync\"}")), Map.of(), 422, "notify_url"));
    }

    // ---------------------------------------------------------------- query parameters

    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {
            "/v1/deliveries?limit=0", "/v1/deliveries?limit=abc", "/v1/deliveries?limit=501", "/v1/deliveries?limit=-1",
            "/v1/deliveries?limit=1.5", "/v1/deliveries?limit=", "/v1/deliveries?limit=99999999999",
            "/v1/deliveries?status=bogus", "/v1/deliveries?status=", "/v1/deliveries?since=yesterday", "/v1/deliveries?since=2025-01-14",
            "/v1/deliveries?cursor=x", "/v1/deliveries?cursor=", "/v1/deliveries?cursor=1.5",
            "/v1/deliveries?since=%2B999999999-12-31T23:59:59Z", "/v1/deliveries?since=-999999999-01-01T00:00:00Z",
            "/v1/deliveries?since=%2B300000-01-01T00:00:00Z",
            "/v1/events?after=garbage", "/v1/events?after=12", "/v1/events?after=-1-1", "/v1/events?after=1--1",
            "/v1/events?after=99999999999999999999-1", "/v1/events?after=1-x", "/v1/events?limit=0", "/v1/events?limit=abc",
            "/v1/endpoints?limit=0", "/v1/endpoints?limit=abc", "/v1/endpoints?limit=501", "/v1/endpoints?q=", "/v1/endpoints?status=paused",
            "/v1/endpoints?status=", "/v1/endpoints?failing=yes", "/v1/endpoints?failing=", "/v1/deliveries?until=yesterday",
            "/v1/deliveries?until=", "/v1/deliveries?until=2025-01-14T10:00:00Z&since=2025-01-14T10:00:01Z",
            "/v1/audit?limit=0", "/v1/audit?limit=abc", "/v1/audit?limit=501", "/v1/audit?since=yesterday", "/v1/audit?since=",
            "/v1/audit?cursor=x", "/v1/audit?cursor=0", "/v1/audit?cursor=-3", "/v1/audit?cursor=", "/v1/audit?target=a%00b",
            "/v1/audit?actor=%00", "/v1/audit?action=x%00"})
    void refusesBadQueryParameters(String path) {
        String param = path.substring(path.indexOf('?') + 1, path.indexOf('='));
        check(server, new Case("GET", path, null, Map.of(), 422, param));
    }

    @Order(1)
    @Test
    void recoverNeedsAValidSince() {
        check(server, new Case("POST", "/v1/endpoints/" + endpointId + "/recover", null, Map.of(), 422, "since"));
        check(server, new Case("POST", "/v1/endpoints/" + endpointId + "/recover?since=yesterday", null, Map.of(), 422, "since"));
        check(server, new Case("POST", "/v1/endpoints/" + endpointId + "/recover?since=", null, Map.of(), 422, "since"));
        check(server, new Case("POST", "/v1/endpoints/" + endpointId + "/recover?since=%2B999999999-12-31T23:59:59Z", null, Map.of(), 422, "since"));
    }

    /** Text PostgreSQL cannot store (NUL) in query parameters must not become a database error. */
    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"/v1/endpoints?merchant_id=%00", "/v1/endpoints?cursor=%00", "/v1/endpoints?q=%00", "/v1/events?type=a%00", "/v1/deliveries?event=evt_%00",
            "/v1/deliveries?event=a.b%00", "/v1/deliveries?endpoint_id=%00", "/v1/endpoints/%00", "/v1/endpoints/ep_%00/disable",
            "/v1/events/evt_%00", "/v1/deliveries/dlv_%00"})
    void nulInParametersIsAClientError(String path) {
        Response r = path.endsWith("/disable") ? server.post(path) : server.get(path);
        assertWellFormedProblem(r);
    }

    // ---------------------------------------------------------------- unknown resources and state conflicts

    static Stream<Named<Case>> unknownResources() {
        String ep = "ep_unknown000000000000";
        List<Named<Case>> out = new ArrayList<>();
        out.add(named("GET endpoint", "GET", "/v1/endpoints/" + ep, null, 404, NO_FIELD));
        out.add(named("PATCH endpoint", "PATCH", "/v1/endpoints/" + ep, "{\"name\": \"x\"}", 404, NO_FIELD));
        out.add(named("PATCH endpoint with empty object", "PATCH", "/v1/endpoints/" + ep, "{}", 404, NO_FIELD));
        out.add(named("DELETE endpoint", "DELETE", "/v1/endpoints/" + ep, null, 404, NO_FIELD));
        out.add(named("enable endpoint", "POST", "/v1/endpoints/" + ep + "/enable", null, 404, NO_FIELD));
        out.add(named("disable endpoint", "POST", "/v1/endpoints/" + ep + "/disable", null, 404, NO_FIELD));
        out.add(named("test endpoint", "POST", "/v1/endpoints/" + ep + "/test", null, 404, NO_FIELD));
        out.add(named("recover endpoint", "POST", "/v1/endpoints/" + ep + "/recover?since=2025-01-14T10:30:00Z", null, 404, NO_FIELD));
        out.add(named("rotate the secret of an endpoint", "POST", "/v1/endpoints/" + ep + "/rotate-secret", null, 404, NO_FIELD));
        out.add(named("GET event", "GET", "/v1/events/evt_unknown0000000000", null, 404, NO_FIELD));
        out.add(named("GET delivery", "GET", "/v1/deliveries/dlv_unknown0000000000", null, 404, NO_FIELD));
        out.add(named("resend delivery", "POST", "/v1/deliveries/dlv_unknown0000000000/resend", null, 404, NO_FIELD));
        out.add(named("GET endpoint with a very long id", "GET", "/v1/endpoints/" + "x".repeat(3000), null, 404, NO_FIELD));
        out.add(named("GET endpoint with a non-ASCII id", "GET", "/v1/endpoints/%E2%98%83", null, 404, NO_FIELD));
        out.add(named("unknown route", "GET", "/v1/nope", null, 404, NO_FIELD));
        out.add(named("unknown sub-route", "POST", "/v1/endpoints/{ep}/explode", null, 404, NO_FIELD));
        return out.stream();
    }

    /**
     * Every path Herald serves answers a method it does not take with 405 and an {@code Allow} header naming the ones it
     * takes (as the document lists them), as problem+json; an unknown path stays 404.
     */
    @Order(1)
    @Test
    void aKnownPathAnswersAMethodItDoesNotTakeWith405NamingTheOnesItTakes() {
        Map<String, Set<String>> taken = new TreeMap<>();
        ContractCheck.all().forEach(o -> taken.computeIfAbsent(o.template(), k -> new TreeSet<>()).add(o.method()));
        for (String page : List.of("/openapi.json", "/docs/", "/console")) {
            taken.put(page, Set.of("GET"));
        }
        int checked = 0;
        for (Map.Entry<String, Set<String>> e : taken.entrySet()) {
            String path = e.getKey().replaceAll("\\{[^}/]+}", "x-1");
            for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE")) {
                if (e.getValue().contains(method)) {
                    continue;
                }
                Response r = server.send(server.request(path).header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString("{}")).build());
                assertProblem(r, 405);
                Set<String> allow = new TreeSet<>(List.of(r.header("Allow").split(", ")));
                allow.removeAll(Set.of("HEAD", "OPTIONS"));
                assertThat(allow).as("Allow of %s %s", method, path).isEqualTo(e.getValue());
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(100);
        JsonNode p = assertProblem(server.send(server.request("/v1/events").PUT(HttpRequest.BodyPublishers.ofString("{}")).build()), 405);
        assertThat(p.get("detail").asText()).isEqualTo("/v1/events does not take PUT; it takes GET, POST");
        assertProblem(server.send(server.request("/v1/nowhere").PUT(HttpRequest.BodyPublishers.ofString("{}")).build()), 404);
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownResources")
    void answersUnknownResourcesWith404(Case c) {
        check(server, c);
    }

    @Order(1)
    @Test
    void resendOfACancelledDeliveryConflicts() {
        for (int i = 0; i < 2; i++) {
            JsonNode p = assertProblem(server.post("/v1/deliveries/" + cancelledDeliveryId + "/resend"), 409);
            assertThat(p.get("detail").asText()).contains("cancelled");
        }
        assertThat(server.get("/v1/deliveries/" + cancelledDeliveryId).json().get("status").asText()).isEqualTo("cancelled");
    }

    @Order(1)
    @Test
    void operationsOnADeletedEndpointAnswer404() {
        String doomedId = before.deletedEndpointId(server);
        for (String[] r : new String[][] {{"GET", ""}, {"DELETE", ""}, {"POST", "/enable"}, {"POST", "/disable"}, {"POST", "/test"},
                {"POST", "/rotate-secret"}}) {
            check(server, new Case(r[0], "/v1/endpoints/" + doomedId + r[1], null, Map.of(), 404, NO_FIELD));
        }
        check(server, new Case("PATCH", "/v1/endpoints/" + doomedId, bytes("{\"name\": \"back\"}"), Map.of(), 404, NO_FIELD));
    }

    // ---------------------------------------------------------------- oversize bodies

    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"POST /v1/events", "POST /v1/endpoints", "PATCH /v1/endpoints/{ep}"})
    void refusesOversizeBodiesWithAContentLength(String route) {
        for (int size : new int[] {MAX_BODY + 1, 4 * MAX_BODY + 1, 3 * 1024 * 1024}) {
            byte[] body = paddedEvent(size);
            RawHttp.Answer a = RawHttp.exchange(server.port(), head(route) + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length, body);
            JsonNode p = assertProblem(Response.of(a), 413);
            assertThat(p.get("detail").asText()).as("size %d", size).contains(Integer.toString(MAX_BODY));
        }
    }

    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"POST /v1/events", "POST /v1/endpoints", "PATCH /v1/endpoints/{ep}"})
    void refusesOversizeChunkedBodies(String route) {
        for (int size : new int[] {MAX_BODY + 1, 4 * MAX_BODY + 1, 3 * 1024 * 1024}) {
            byte[] body = RawHttp.chunked(paddedEvent(size), 8192);
            RawHttp.Answer a = RawHttp.exchange(server.port(), head(route) + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked", body);
            assertProblem(Response.of(a), 413);
        }
    }

    @Order(1)
    @Test
    void refusesOversizeBodiesStreamedWithoutALength() {
        byte[] body = paddedEvent(MAX_BODY + 1);
        Response r = server.send(server.request("/v1/events").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build());
        assertProblem(r, 413);
    }

    /** A body of exactly the limit is accepted (on the second server, so this test's event does not disturb the data check). */
    @Order(1)
    @Test
    void acceptsABodyOfExactlyTheLimit() {
        byte[] body = paddedEvent(MAX_BODY);
        assertThat(body).hasSize(MAX_BODY);
        RawHttp.Answer a = RawHttp.exchange(strict.port(), "POST /v1/events HTTP/1.1\r\nAuthorization: Bearer " + TestServer.ADMIN_KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length, body);
        assertThat(a.status()).as(a.bodyText()).isEqualTo(202);
        RawHttp.Answer chunked = RawHttp.exchange(strict.port(), "POST /v1/events HTTP/1.1\r\nAuthorization: Bearer " + TestServer.ADMIN_KEY
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked", RawHttp.chunked(body, 1000));
        assertThat(chunked.status()).as(chunked.bodyText()).isEqualTo(202);
        assertThat(chunked.bodyText()).contains("\"duplicate\":false");
    }

    // ---------------------------------------------------------------- nothing changed

    @Order(Integer.MAX_VALUE)
    @Test
    void theBarrageChangedNothing() {
        Snapshot after = Snapshot.take(server);
        assertThat(after.endpoints()).isEqualTo(before.endpoints());
        assertThat(after.endpoint()).isEqualTo(before.endpoint());
        assertThat(after.counts()).isEqualTo(before.counts());
        assertThat(after.deliveries()).isEqualTo(before.deliveries());
        assertThat(server.get("/health/ready").status()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- helpers

    /** What the API and the tables hold. */
    record Snapshot(String endpoints, String endpoint, Map<String, Long> counts, String deliveries) {
        static Snapshot take(TestServer s) {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (String table : List.of("endpoints", "events", "deliveries", "attempts", "merchants", "audit_log")) {
                counts.put(table, s.jdbc().read(c -> Jdbc.query(c, "select count(*) from " + table, ps -> {}, rs -> rs.getLong(1)).getFirst()));
            }
            return new Snapshot(s.get("/v1/endpoints").body(), s.get("/v1/endpoints/" + endpointId).body(), counts, s.get("/v1/deliveries").body());
        }

        String deletedEndpointId(TestServer s) {
            return s.jdbc().read(c -> Jdbc.query(c, "select id from endpoints where deleted_at is not null", ps -> {}, rs -> rs.getString(1)).getFirst());
        }
    }

    private static void check(TestServer target, Case c) {
        String path = c.path().replace("{ep}", target == strict ? strictEndpointId : endpointId).replace("{evt}", eventId);
        HttpRequest.Builder b = target.request(path);
        c.headers().forEach(b::header);
        if (c.body() != null) {
            b.header("Content-Type", "application/json").method(c.method(), HttpRequest.BodyPublishers.ofByteArray(c.body()));
        } else {
            b.method(c.method(), HttpRequest.BodyPublishers.noBody());
        }
        Response r = target.send(b.build());
        if (c.field().equals(ANY_FIELD)) {
            assertProblem(r, c.status());
        } else if (c.field().equals(NO_FIELD)) {
            JsonNode p = assertProblem(r, c.status());
            assertThat(p.has("field")).as("no field expected in %s", r).isFalse();
        } else {
            assertProblem(r, c.status(), c.field());
        }
    }

    private static Named<Case> named(String name, String method, String path, String body, int status, String field) {
        return Named.of(method + " " + path + ": " + name, new Case(method, path, body == null ? null : bytes(body), Map.of(), status, field));
    }

    private static Named<Case> namedBytes(String name, String method, String path, byte[] body, int status, String field) {
        return Named.of(method + " " + path + ": " + name, new Case(method, path, body, Map.of(), status, field));
    }

    private static String ev(String extra) {
        return "{\"event\": \"account.created\", " + extra + "}";
    }

    private static String object(Map<String, String> rawFields) {
        return rawFields.entrySet().stream().map(e -> TestServer.toJson(e.getKey()) + ": " + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String head(String route) {
        String[] mp = route.split(" ");
        return mp[0] + " " + mp[1].replace("{ep}", endpointId) + " HTTP/1.1\r\nAuthorization: Bearer " + TestServer.ADMIN_KEY;
    }

    /** A valid event JSON document of exactly {@code size} bytes. */
    private static byte[] paddedEvent(int size) {
        String prefix = "{\"event\": \"account.created\", \"data\": {\"pad\": \"";
        String suffix = "\"}}";
        return bytes(prefix + "p".repeat(size - prefix.length() - suffix.length()) + suffix);
    }
}
