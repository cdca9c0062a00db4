package dev.herald.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles catalog schemas (JSON Schema draft 2020-12) and checks data against them. A catalog schema must itself be
 * valid against the 2020-12 meta-schema, be an object, and refer only inside itself ({@code $ref} starting with
 * {@code #}): ingest never fetches anything.
 */
public final class SchemaRules {
    static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Schema META = REGISTRY.getSchema(SchemaLocation.of(DIALECT));
    /** Rules counted by name in the metrics; any other keyword counts as {@code other}. */
    private static final Set<String> COUNTED = Set.of("type", "required", "additionalProperties", "enum", "const", "format", "pattern",
            "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "items",
            "properties", "oneOf", "anyOf", "allOf", "not", "multipleOf", Finding.UNKNOWN_TYPE);

    private SchemaRules() {}

    /** Why {@code schema} cannot be a catalog schema, or an empty list. */
    public static List<String> problems(JsonNode schema) {
        List<String> out = new ArrayList<>();
        if (schema == null || !schema.isObject()) {
            out.add("schema must be a JSON Schema object");
            return out;
        }
        if (schema.has("$schema") && !DIALECT.equals(schema.get("$schema").asText())) {
            out.add("schema must be JSON Schema draft 2020-12 ($schema " + DIALECT + ")");
        }
        for (Error e : META.validate(schema)) {
            out.add(e.getMessage());
        }
        externalRefs(schema, "", out);
        return out;
    }

    private static void externalRefs(JsonNode n, String at, List<String> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String key = f.getKey();
                if ((key.equals("$ref") || key.equals("$dynamicRef")) && f.getValue().isTextual() && !f.getValue().asText().startsWith("#")) {
                    out.add(at + "/" + key + ": only references inside the schema (starting with #) are allowed");
                } else if (key.equals("$id") && f.getValue().isTextual()) {
                    out.add(at + "/$id: a catalog schema has no $id (it is named by its type)");
                }
                externalRefs(f.getValue(), at + "/" + key, out);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                externalRefs(n.get(i), at + "/" + i, out);
            }
        }
    }

    /** {@code schema} compiled; call {@link #problems} first. */
    public static Schema compile(JsonNode schema) {
        Schema s = REGISTRY.getSchema(schema);
        s.initializeValidators();
        return s;
    }

    /** What {@code data} (null: {@code {}}) breaks of {@code schema}, each naming {@code data} and the JSON pointer, and the rule. */
    public static List<Finding> check(Schema schema, JsonNode data) {
        // an event without data is stored and sent with data {}: checked as such
        List<Error> errors = schema.validate(data == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode() : data);
        if (errors.isEmpty()) {
            return List.of();
        }
        List<Finding> out = new ArrayList<>(errors.size());
        for (Error e : errors) {
            String field = "data" + pointer(e.getInstanceLocation());
            if ("required".equals(e.getKeyword()) && e.getProperty() != null) {
                field += "/" + escape(e.getProperty());
            }
            out.add(new Finding(field, e.getKeyword(), field + ": " + message(e)));
        }
        return out;
    }

    /** The metric label of {@code rule}: its name when it is one of a fixed set, else {@code other}. */
    public static String label(String rule) {
        return COUNTED.contains(rule) ? rule : "other";
    }

    private static String message(Error e) {
        String m = e.getMessage();
        // the validator starts its message with its own location (e.g. "$.amount: "); the field already says where
        int colon = m.indexOf(": ");
        return m.startsWith("$") && colon > 0 ? m.substring(colon + 2) : m;
    }

    private static String pointer(NodePath p) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.getNameCount(); i++) {
            sb.append('/').append(escape(String.valueOf(p.getElement(i))));
        }
        return sb.toString();
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
