package dev.herald.web;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict reading of request JSON: malformed bodies, duplicate keys, trailing tokens and unknown fields become 400s, and
 * values of the wrong type, over-long or not storable by PostgreSQL (NUL, unpaired surrogates) become 422s, each naming
 * the field.
 */
public final class JsonInput {
    /** The one mapper: strict on input, floats read as BigDecimal (no precision lost). */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    private JsonInput() {}

    /** The JSON document in {@code body}; an empty or malformed body is a 400. */
    public static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw Problem.badRequest("request body is empty; a JSON document is required", null);
        }
        try (JsonParser p = MAPPER.createParser(body)) {
            JsonNode n = MAPPER.readTree(p);
            if (n == null) {
                throw Problem.badRequest("request body is empty; a JSON document is required", null);
            }
            return n;
        } catch (JsonProcessingException e) {
            throw Problem.badRequest("malformed JSON: " + e.getOriginalMessage(), null);
        } catch (java.io.IOException e) {
            throw Problem.badRequest("unreadable body: " + e.getMessage(), null);
        }
    }

    /**
     * The exact bytes of {@code member} in a UTF-8 JSON document that {@link #parse} accepted: for a root object, a list
     * of one; for a root array, one per element, in order. An entry is null where the member is absent or not an object,
     * and the whole list is empty when the document is not UTF-8 (its offsets are not byte offsets) or not an object or
     * array. What it returns is the producer's own spelling of a value {@link #parse} read, so storing it instead of
     * re-serialising the parsed tree changes no value, only keeps the producer's formatting of it.
     */
    public static List<byte[]> objectMemberBytes(byte[] body, String member) {
        try (JsonParser p = MAPPER.createParser(body)) {
            if (!(p instanceof com.fasterxml.jackson.core.json.UTF8StreamJsonParser)) {
                return List.of();
            }
            JsonToken root = p.nextToken();
            List<byte[]> out = new ArrayList<>();
            if (root == JsonToken.START_OBJECT) {
                out.add(member(p, body, member));
            } else if (root == JsonToken.START_ARRAY) {
                for (JsonToken t = p.nextToken(); t != null && t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t == JsonToken.START_OBJECT) {
                        out.add(member(p, body, member));
                    } else {
                        p.skipChildren();
                        out.add(null);
                    }
                }
            }
            return out;
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    /** With {@code p} on an object's START_OBJECT: the bytes of its {@code member} if that is an object; leaves p on END_OBJECT. */
    private static byte[] member(JsonParser p, byte[] body, String member) throws java.io.IOException {
        byte[] found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            boolean wanted = member.equals(p.currentName());
            JsonToken v = p.nextToken();
            long start = p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            long end = p.currentLocation().getByteOffset();
            if (wanted && v == JsonToken.START_OBJECT && start >= 0 && end > start && end <= body.length && body[(int) end - 1] == '}') {
                found = Arrays.copyOfRange(body, (int) start, (int) end);
            }
        }
        return found;
    }

    /** A JSON object whose fields are all in {@code allowed}; {@code path} prefixes field names ("[3]." for array items). */
    public static Obj object(JsonNode n, String path, Set<String> allowed) {
        if (n == null || !n.isObject()) {
            String at = path.endsWith(".") ? path.substring(0, path.length() - 1) : path; // "[3]." names element "[3]"
            throw Problem.badRequest((at.isEmpty() ? "body" : at) + " must be a JSON object", at.isEmpty() ? null : at);
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                String shown = printable(f);
                throw Problem.badRequest("unknown field '" + shown + "'", path + shown);
            }
        }
        return new Obj((ObjectNode) n, path);
    }

    /** Typed access to the fields of one object; absent or JSON null reads as Java null. */
    public record Obj(ObjectNode node, String path) {
        /** The value of {@code f}, or null when absent or JSON null. */
        public JsonNode raw(String f) {
            JsonNode v = node.get(f);
            return v == null || v.isNull() ? null : v;
        }

        private JsonNode get(String f) {
            return raw(f);
        }

        /** True when {@code f} is present (even as JSON null). */
        public boolean has(String f) {
            return node.has(f);
        }

        /** A string of at most {@code maxLength} characters, or null. */
        public String string(String f, int maxLength) {
            String s = string(f);
            if (s != null && s.length() > maxLength) {
                throw Problem.invalid(f + " must be at most " + maxLength + " characters", path + f);
            }
            return s;
        }

        /** A present string of at most {@code maxLength} characters. */
        public String requiredString(String f, int maxLength) {
            String s = string(f, maxLength);
            if (s == null) {
                throw Problem.invalid(f + " is required", path + f);
            }
            return s;
        }

        public String string(String f) {
            JsonNode v = get(f);
            if (v == null) {
                return null;
            }
            if (!v.isTextual()) {
                throw Problem.invalid(f + " must be a string", path + f);
            }
            return storable(v.textValue(), f, path + f);
        }

        public Boolean bool(String f) {
            JsonNode v = get(f);
            if (v == null) {
                return null;
            }
            if (!v.isBoolean()) {
                throw Problem.invalid(f + " must be true or false", path + f);
            }
            return v.booleanValue();
        }

        public Integer integer(String f) {
            JsonNode v = get(f);
            if (v == null) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw Problem.invalid(f + " must be an integer", path + f);
            }
            return v.intValue();
        }

        public List<String> strings(String f) {
            JsonNode v = get(f);
            if (v == null) {
                return null;
            }
            if (!v.isArray()) {
                throw Problem.invalid(f + " must be an array of strings", path + f);
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    throw Problem.invalid(f + "[" + i + "] must be a string", path + f + "[" + i + "]");
                }
                out.add(storable(v.get(i).textValue(), f + "[" + i + "]", path + f + "[" + i + "]"));
            }
            return out;
        }

        public Map<String, String> stringMap(String f) {
            JsonNode v = get(f);
            if (v == null) {
                return null;
            }
            if (!v.isObject()) {
                throw Problem.invalid(f + " must be an object of string values", path + f);
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw Problem.invalid(f + "." + e.getKey() + " must be a string", path + f + "." + e.getKey());
                }
                String name = storable(e.getKey(), f + " keys", path + f + "." + e.getKey());
                out.put(name, storable(e.getValue().textValue(), f + "." + e.getKey(), path + f + "." + e.getKey()));
            }
            return out;
        }

        public ObjectNode object(String f) {
            JsonNode v = get(f);
            if (v == null) {
                return null;
            }
            if (!v.isObject()) {
                throw Problem.invalid(f + " must be a JSON object", path + f);
            }
            return (ObjectNode) v;
        }

        public Instant instant(String f) {
            String s = string(f);
            if (s == null) {
                return null;
            }
            return timestamp(s, f, path + f);
        }
    }

    /**
     * {@code s} unless it holds text PostgreSQL cannot store in a text column (U+0000) or that is not Unicode (an unpaired
     * surrogate escape such as {@code "\\ud800"}, which would be stored as '?'): those are 422s naming the field.
     */
    public static String storable(String s, String name, String field) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                throw Problem.invalid(name + " must not contain the NUL character (\\u0000)", field);
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw Problem.invalid(name + " must be valid Unicode text (it holds an unpaired surrogate)", field);
            }
        }
        return s;
    }

    /**
     * An RFC 3339 timestamp. Its year must have four digits, as RFC 3339 says: java.time also reads years such as
     * +999999999, which no timestamp column (nor java.sql.Timestamp) can hold.
     */
    public static Instant timestamp(String s, String name, String field) {
        try {
            OffsetDateTime t = OffsetDateTime.parse(s);
            if (t.getYear() >= 1 && t.getYear() <= 9999) {
                return t.toInstant();
            }
        } catch (DateTimeParseException e) {
            // answered below
        }
        throw Problem.invalid(name + " must be an RFC 3339 timestamp such as 2025-01-14T10:30:00Z", field);
    }

    /** {@code s} with control characters shown as '?', for echoing a client's text (a field name) in an answer. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
        s.codePoints().limit(100).forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) || (cp >= 0xD800 && cp <= 0xDFFF) ? '?' : cp));
        return s.length() > 100 ? b + "…" : b.toString();
    }
}
