package dev.herald.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A conservative check that a new schema accepts every value the old one did, so a change under the same version
 * never refuses an event accepted before. It allows only loosening, keyword by keyword: dropping an assertion or a
 * required property, widening {@code type} or {@code enum}, lowering a minimum or raising a maximum, and a new or
 * changed property when the old schema's rule for that name (its property, else its {@code additionalProperties}) is
 * itself accepted by the new one (so a new property is a loosening only where the old schema refused unknown
 * properties). Annotations ({@code description}, {@code title}, {@code examples}, …) may change freely. Any other
 * difference (a changed {@code pattern}, {@code $ref}, {@code oneOf} …) counts as incompatible: it needs a new version.
 */
public final class SchemaCompat {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "examples", "default", "$comment", "deprecated",
            "readOnly", "writeOnly", "$schema");
    private static final Set<String> LOWER_BOUNDS = Set.of("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains");
    private static final Set<String> UPPER_BOUNDS = Set.of("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains");

    private SchemaCompat() {}

    /** Why {@code now} may refuse what {@code before} accepted (each naming where in the schema), or an empty list. */
    public static List<String> breaks(JsonNode before, JsonNode now) {
        List<String> out = new ArrayList<>();
        compare(before, now, "", out);
        return out;
    }

    private static boolean acceptsAll(JsonNode s) {
        if (s == null || s.isMissingNode() || (s.isBoolean() && s.asBoolean())) {
            return true;
        }
        if (!s.isObject()) {
            return false;
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            if (!ANNOTATIONS.contains(it.next())) {
                return false;
            }
        }
        return true;
    }

    private static void compare(JsonNode before, JsonNode now, String at, List<String> out) {
        String where = at.isEmpty() ? "/" : at;
        if (acceptsAll(now) || (before != null && before.isBoolean() && !before.asBoolean())) {
            return;
        }
        if (acceptsAll(before) || !before.isObject() || !now.isObject()) {
            out.add(where + ": the new schema constrains what the old one accepted");
            return;
        }
        Set<String> handled = new HashSet<>(ANNOTATIONS);
        handled.addAll(Set.of("type", "required", "enum", "const", "properties", "additionalProperties", "items", "format"));
        handled.addAll(LOWER_BOUNDS);
        handled.addAll(UPPER_BOUNDS);
        types(before.get("type"), now.get("type"), where, out);
        JsonNode req = now.get("required");
        if (req != null) {
            Set<String> old = new HashSet<>();
            if (before.has("required")) {
                before.get("required").forEach(r -> old.add(r.asText()));
            }
            req.forEach(r -> {
                if (!old.contains(r.asText())) {
                    out.add(where + ": property " + r.asText() + " became required");
                }
            });
        }
        values(before, now, where, out);
        for (String k : LOWER_BOUNDS) {
            if (now.has(k) && (!before.has(k) || now.get(k).decimalValue().compareTo(before.get(k).decimalValue()) > 0)) {
                out.add(where + ": " + k + " was raised or added");
            }
        }
        for (String k : UPPER_BOUNDS) {
            if (now.has(k) && (!before.has(k) || now.get(k).decimalValue().compareTo(before.get(k).decimalValue()) < 0)) {
                out.add(where + ": " + k + " was lowered or added");
            }
        }
        if (now.has("format") && !now.get("format").equals(before.get("format"))) {
            out.add(where + ": format changed");
        }
        properties(before, now, at, out);
        if (now.has("items")) {
            compare(before.get("items"), now.get("items"), at + "/items", out);
        }
        for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!handled.contains(k) && !now.get(k).equals(before.get(k))) {
                out.add(where + ": " + k + " changed (only loosening keeps the version; this needs version + 1)");
            }
        }
    }

    private static void types(JsonNode before, JsonNode now, String where, List<String> out) {
        if (now == null) {
            return;
        }
        Set<String> allowed = names(now);
        if (allowed.contains("number")) {
            allowed.add("integer");
        }
        if (before == null) {
            out.add(where + ": type " + allowed + " was added");
            return;
        }
        for (String t : names(before)) {
            if (!allowed.contains(t)) {
                out.add(where + ": type " + t + " is no longer accepted");
            }
        }
    }

    private static Set<String> names(JsonNode n) {
        Set<String> s = new HashSet<>();
        if (n.isArray()) {
            n.forEach(t -> s.add(t.asText()));
        } else {
            s.add(n.asText());
        }
        return s;
    }

    /** {@code enum} and {@code const}: every value the old schema allowed must still be allowed. */
    private static void values(JsonNode before, JsonNode now, String where, List<String> out) {
        List<JsonNode> old = new ArrayList<>();
        if (before.has("const")) {
            old.add(before.get("const"));
        } else if (before.has("enum")) {
            before.get("enum").forEach(old::add);
        }
        for (String k : List.of("enum", "const")) {
            if (!now.has(k)) {
                continue;
            }
            List<JsonNode> allowed = new ArrayList<>();
            if (k.equals("const")) {
                allowed.add(now.get(k));
            } else {
                now.get(k).forEach(allowed::add);
            }
            if (old.isEmpty()) {
                out.add(where + ": " + k + " was added");
            }
            for (JsonNode v : old) {
                if (!allowed.contains(v)) {
                    out.add(where + ": " + k + " no longer allows " + v);
                }
            }
        }
    }

    /**
     * Each name's rule under the new schema (its property, else {@code additionalProperties}) must accept what the old
     * rule for that name (its property, else the old {@code additionalProperties}) accepted.
     */
    private static void properties(JsonNode before, JsonNode now, String at, List<String> out) {
        JsonNode oldProps = before.path("properties");
        JsonNode newProps = now.path("properties");
        JsonNode oldRest = before.get("additionalProperties");
        JsonNode newRest = now.get("additionalProperties");
        if (!before.path("patternProperties").equals(now.path("patternProperties"))) {
            out.add((at.isEmpty() ? "/" : at) + ": patternProperties changed");
            return;
        }
        Set<String> names = new HashSet<>();
        oldProps.fieldNames().forEachRemaining(names::add);
        newProps.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            JsonNode old = oldProps.has(name) ? oldProps.get(name) : oldRest;
            JsonNode neu = newProps.has(name) ? newProps.get(name) : newRest;
            compare(old, neu, at + "/properties/" + name, out);
        }
        compare(oldRest, newRest, at + "/additionalProperties", out);
    }
}
