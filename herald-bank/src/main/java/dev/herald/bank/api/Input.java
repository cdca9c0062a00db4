package dev.herald.bank.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.web.JsonInput;
import dev.herald.web.Problem;
import java.util.Set;
import java.util.UUID;

/** The bank's reading of a request body: the shared strict {@link JsonInput}, plus UUIDs and amounts of money. */
final class Input {
    /** Longest text the bank stores from a request (names, references, reasons, client transfer ids). */
    static final int MAX_TEXT = 500;

    private final JsonInput.Obj obj;

    private Input(JsonInput.Obj obj) {
        this.obj = obj;
    }

    /** The body as an object whose fields are all in {@code allowed}; an empty body reads as {} when {@code emptyOk}. */
    static Input object(byte[] body, Set<String> allowed, boolean emptyOk) {
        if (emptyOk && new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return new Input(JsonInput.object(JsonInput.MAPPER.createObjectNode(), "", allowed));
        }
        return new Input(JsonInput.object(JsonInput.parse(body), "", allowed));
    }

    String string(String f) {
        return obj.string(f, MAX_TEXT);
    }

    String requiredString(String f) {
        return obj.requiredString(f, MAX_TEXT);
    }

    UUID uuid(String f) {
        return uuid(requiredString(f), f, 422);
    }

    /** A positive whole number of minor units that fits in 64 bits. */
    long amount(String f) {
        JsonNode v = obj.raw(f);
        if (v == null) {
            throw Problem.invalid(f + " is required (a positive integer of minor units)", f);
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() <= 0) {
            throw Problem.invalid(f + " must be a positive integer of minor units (no decimals)", f);
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
        throw new Problem(status, status == 400 ? "Bad request" : "Invalid field", field + " must be a UUID", field);
    }
}
