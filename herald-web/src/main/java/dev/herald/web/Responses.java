package dev.herald.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Writes JSON and RFC 9457 problem+json answers. */
public final class Responses {
    private Responses() {}

    public static ObjectNode obj() {
        return JsonNodeFactory.instance.objectNode();
    }

    public static ArrayNode arr() {
        return JsonNodeFactory.instance.arrayNode();
    }

    public static void json(ServerResponse res, int status, JsonNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(bytes(body));
    }

    public static void problem(ServerResponse res, Problem p) {
        res.status(p.status());
        res.header(HeaderNames.CONTENT_TYPE, "application/problem+json");
        res.send(problemBytes(p));
    }

    /** The RFC 9457 body of {@code p}. */
    public static ObjectNode problemBody(Problem p) {
        ObjectNode body = obj()
                .put("type", "about:blank")
                .put("title", p.title())
                .put("status", p.status())
                .put("detail", p.getMessage());
        if (p.field() != null) {
            body.put("field", p.field());
        }
        return body;
    }

    /** The RFC 9457 body of {@code p}, serialised. */
    public static byte[] problemBytes(Problem p) {
        return bytes(problemBody(p));
    }

    /** {@code n} as UTF-8 JSON, ending with a newline (as every JSON answer does, problems included). */
    public static byte[] bytes(JsonNode n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try {
            JsonInput.MAPPER.writeValue(out, n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }
}
