package dev.herald.bank.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.BankException;
import dev.herald.bank.support.Json;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;
import java.util.UUID;

/**
 * Strict request input: a JSON object with only the allowed fields, typed reads that answer 400/422 naming the field,
 * and text PostgreSQL can store (no NUL, no unpaired surrogate).
 */
final class Input {
    private final ObjectNode node;

    private Input(ObjectNode node) {
        this.node = node;
    }

    /** The body as an object whose fields are all in {@code allowed}; an empty body reads as {} when {@code emptyOk}. */
    static Input object(byte[] body, Set<String> allowed, boolean emptyOk) {
        if (body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            if (emptyOk) {
                return new Input(Json.obj());
            }
            throw BankException.badRequest("request body is empty; a JSON object is required", null);
        }
        JsonNode n;
        try (JsonParser p = Json.MAPPER.createParser(body)) {
            n = Json.MAPPER.readTree(p);
        } catch (JsonProcessingException e) {
            throw BankException.badRequest("malformed JSON: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw BankException.badRequest("unreadable body", null);
        }
        if (n == null || !n.isObject()) {
            throw BankException.badRequest("the body must be a JSON object", null);
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw BankException.badRequest("unknown field '" + storable(f, "field name", null) + "'", storable(f, "field name", null));
            }
        }
        return new Input((ObjectNode) n);
    }

    private JsonNode get(String f) {
        JsonNode v = node.get(f);
        return v == null || v.isNull() ? null : v;
    }

    String string(String f) {
        JsonNode v = get(f);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw BankException.invalid(f + " must be a string", f);
        }
        return storable(v.textValue(), f, f);
    }

    String requiredString(String f) {
        String s = string(f);
        if (s == null) {
            throw BankException.invalid(f + " is required", f);
        }
        return s;
    }

    UUID uuid(String f) {
        String s = requiredString(f);
        return uuid(s, f, 422);
    }

    /** A positive whole number of minor units that fits in 64 bits. */
    Long amount(String f) {
        JsonNode v = get(f);
        if (v == null) {
            throw BankException.invalid(f + " is required (a positive integer of minor units)", f);
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() <= 0) {
            throw BankException.invalid(f + " must be a positive integer of minor units (no decimals)", f);
        }
        return v.longValue();
    }

    static UUID uuid(String s, String field, int status) {
        try {
            if (s.length() == 36) {
                return UUID.fromString(s);
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw new BankException(status, status == 400 ? "Bad request" : "Invalid field", field + " must be a UUID", field);
    }

    /** {@code s} unless it holds U+0000 or an unpaired surrogate, which PostgreSQL cannot store as given. */
    static String storable(String s, String name, String field) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (c == 0 || Character.isSurrogate(c)) {
                throw BankException.invalid(name + " must be valid Unicode text without NUL", field);
            }
        }
        return s;
    }
}
