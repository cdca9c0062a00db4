package dev.herald.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the before and after of a change into JSON that holds no secret, by rules rather than a list of today's fields,
 * so fields added later are covered without touching this class:
 * <ul>
 *   <li>any value is built generically: records by their components (names in snake_case), maps as objects, collections as
 *       arrays, times, URIs and ids as text; {@code byte[]}, {@code char[]}, {@link java.security.Key}s and key pairs are
 *       never written;</li>
 *   <li>a field whose name holds a secret word ({@code secret}, {@code password}, {@code passphrase}, {@code token},
 *       {@code credential}, {@code private}, {@code auth…}, {@code key}/{@code keys}, {@code pass}, {@code sig}/{@code signature},
 *       {@code hmac}, {@code jwt}, {@code session}; {@code code} and {@code sv} as a whole name; snake, kebab or camel case,
 *       any letter case) has its
 *       whole value replaced — unless its last word says it is about the secret ({@code _id}, {@code _name}, {@code _at},
 *       {@code _until}, {@code _count}, {@code prefix}, {@code _networks} …) or its first word is {@code public}; booleans
 *       and nulls carry no secret and stay;</li>
 *   <li>every value of a {@code headers} object is replaced;</li>
 *   <li>in any text, URLs lose their user-info and the values of secret-named query parameters, and values shaped like
 *       secrets ({@code whsec_…}, {@code whsk_…}, {@code hk_…} API keys, {@code sealed:v1:…}, PEM blocks) are replaced.</li>
 * </ul>
 * A replaced value reads {@value #REDACTED}; in the after of a change it reads {@value #CHANGED} when the value differs
 * from the before, so a rotation shows without either secret.
 */
public final class Redaction {
    public static final String REDACTED = "[redacted]";
    public static final String CHANGED = "[redacted, changed]";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_DEPTH = 32;
    private static final Set<String> SECRET_WORDS = Set.of("key", "keys", "apikey", "apikeys", "auth", "authorization", "authentication",
            "pin", "pwd", "pass", "cookie", "cookies", "sig", "sigs", "signature", "signatures", "hmac", "jwt", "jwts", "session", "sessions");
    /** Names secret only when they are the whole name (as in {@code ?code=} of OAuth or {@code sv} of a signed URL): as a part they are ordinary. */
    private static final Set<String> SECRET_NAMES = Set.of("code", "sv");
    private static final List<String> SECRET_PARTS = List.of("secret", "password", "passwd", "passphrase", "token", "credential", "private");
    private static final Set<String> METADATA_WORDS = Set.of("id", "ids", "name", "names", "at", "until", "count", "prefix", "prefixes",
            "type", "types", "algorithm", "algorithms", "alg", "scheme", "schemes", "version", "fingerprint", "fingerprints", "length",
            "size", "hint", "network", "networks", "range", "ranges", "cidr", "cidrs", "ip", "ips", "status", "state", "policy");
    private static final Pattern WORD_BREAK = Pattern.compile("[_\\-.\\s]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])");
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]{1,64})-----.*?(?:-----END \\1-----|\\z)", Pattern.DOTALL);
    private static final Pattern SHAPED = Pattern.compile(
            "\\b(?:whsec|whsk)_[A-Za-z0-9+/=_\\-]+|\\bhk_[0-9A-Za-z]{32}\\b|\\bsealed:v1:[^\\s\"',;]+");
    private static final Pattern URL_TEXT = Pattern.compile("\\b[a-zA-Z][a-zA-Z0-9+.\\-]*://[^\\s\"'<>]+");
    private static final Pattern USER_INFO = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.\\-]*://)[^/?#@]*@");
    private static final Pattern PARAM = Pattern.compile("([?&;#])([^=&;#]+)=([^&;#]*)");

    private Redaction() {}

    /** The redacted JSON of a change's before and after (either null when absent). */
    public record Pair(String before, String after) {}

    /** The redacted JSON of {@code before} and {@code after}; a null stays null. */
    public static Pair of(Object before, Object after) {
        JsonNode b = before == null ? null : tree(before, 0);
        JsonNode a = after == null ? null : tree(after, 0);
        return new Pair(b == null ? null : write(redact(b, a, false)), a == null ? null : write(redact(a, b, b != null)));
    }

    /** True when a field called {@code name} holds a secret (see the class's rules). */
    public static boolean secretName(String name) {
        List<String> words = words(name);
        if (words.isEmpty() || METADATA_WORDS.contains(words.getLast()) || words.getFirst().equals("public")) {
            return false;
        }
        String joined = String.join("", words);
        return words.size() == 1 && SECRET_NAMES.contains(joined) || words.stream().anyMatch(SECRET_WORDS::contains) || SECRET_PARTS.stream().anyMatch(joined::contains);
    }

    /** {@code text} with secret-shaped values and URL credentials replaced. */
    public static String redactText(String text) {
        String s = PEM.matcher(text).replaceAll(REDACTED);
        s = SHAPED.matcher(s).replaceAll(REDACTED);
        Matcher m = URL_TEXT.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(url(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String url(String url) {
        String s = USER_INFO.matcher(url).replaceFirst("$1" + Matcher.quoteReplacement(REDACTED) + "@");
        Matcher m = PARAM.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = secretName(m.group(2)) ? m.group(1) + m.group(2) + "=" + REDACTED : m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static List<String> words(String name) {
        List<String> out = new ArrayList<>();
        for (String w : WORD_BREAK.split(name)) {
            if (!w.isEmpty()) {
                out.add(w.toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    private static boolean headersName(String name) {
        List<String> words = words(name);
        return !words.isEmpty() && words.getLast().equals("headers");
    }

    /** {@code node} redacted; {@code other} is the same place in the other side of the change, for marking changes. */
    private static JsonNode redact(JsonNode node, JsonNode other, boolean markChanges) {
        if (node.isObject()) {
            ObjectNode out = NODES.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String name = f.getKey();
                JsonNode v = f.getValue();
                JsonNode o = other != null && other.isObject() ? other.get(name) : null;
                if (secretName(name) && !v.isNull() && !v.isBoolean()) {
                    out.put(name, marker(v, o, markChanges));
                } else if (headersName(name) && v.isObject()) {
                    ObjectNode headers = out.putObject(name);
                    v.fields().forEachRemaining(h -> headers.put(h.getKey(),
                            marker(h.getValue(), o != null && o.isObject() ? o.get(h.getKey()) : null, markChanges)));
                } else {
                    out.set(name, redact(v, o, markChanges));
                }
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = NODES.arrayNode();
            for (int i = 0; i < node.size(); i++) {
                out.add(redact(node.get(i), other != null && other.isArray() ? other.get(i) : null, markChanges));
            }
            return out;
        }
        if (node.isTextual()) {
            String s = node.textValue();
            String r = redactText(s);
            if (!r.equals(s) && markChanges && other != null && other.isTextual() && !other.textValue().equals(s)
                    && redactText(other.textValue()).equals(r)) {
                r = r.replace(REDACTED, CHANGED); // only the hidden part changed
            }
            return TextNode.valueOf(r);
        }
        return node;
    }

    private static String marker(JsonNode value, JsonNode other, boolean markChanges) {
        return markChanges && !Objects.equals(value, other) ? CHANGED : REDACTED;
    }

    /** Any value as a JSON tree, before redaction (it never leaves this class unredacted). */
    private static JsonNode tree(Object o, int depth) {
        if (depth > MAX_DEPTH) {
            return TextNode.valueOf("[too deep]");
        }
        return switch (o) {
            case null -> NODES.nullNode();
            case JsonNode n -> n.deepCopy();
            case String s -> TextNode.valueOf(s);
            case Boolean b -> NODES.booleanNode(b);
            case Integer i -> NODES.numberNode(i);
            case Long l -> NODES.numberNode(l);
            case Short s -> NODES.numberNode(s);
            case Byte b -> NODES.numberNode(b);
            case Double d -> NODES.numberNode(d);
            case Float f -> NODES.numberNode(f);
            case BigDecimal d -> NODES.numberNode(d);
            case BigInteger i -> NODES.numberNode(i);
            case byte[] ignored -> TextNode.valueOf(REDACTED);
            case char[] ignored -> TextNode.valueOf(REDACTED);
            case java.security.Key ignored -> TextNode.valueOf(REDACTED);
            case java.security.KeyPair ignored -> TextNode.valueOf(REDACTED);
            case javax.security.auth.Destroyable ignored -> TextNode.valueOf(REDACTED);
            case Enum<?> e -> TextNode.valueOf(e.name().toLowerCase(Locale.ROOT));
            case Duration d -> NODES.numberNode(d.toMillis() / 1000.0);
            case TemporalAccessor t -> TextNode.valueOf(t.toString());
            case URI u -> TextNode.valueOf(u.toString());
            case URL u -> TextNode.valueOf(u.toString());
            case UUID u -> TextNode.valueOf(u.toString());
            case Optional<?> opt -> opt.isPresent() ? tree(opt.get(), depth + 1) : NODES.nullNode();
            case Map<?, ?> m -> {
                ObjectNode out = NODES.objectNode();
                Map<String, Object> sorted = new TreeMap<>();
                m.forEach((k, v) -> sorted.put(String.valueOf(k), v));
                sorted.forEach((k, v) -> out.set(k, tree(v, depth + 1)));
                yield out;
            }
            case Collection<?> c -> {
                ArrayNode out = NODES.arrayNode();
                c.forEach(v -> out.add(tree(v, depth + 1)));
                yield out;
            }
            case Record r -> record(r, depth);
            default -> o.getClass().isArray() ? array(o, depth) : TextNode.valueOf(o.toString());
        };
    }

    private static JsonNode array(Object array, int depth) {
        if (array.getClass().getComponentType() == char.class || array.getClass().getComponentType() == byte.class) {
            return TextNode.valueOf(REDACTED);
        }
        ArrayNode out = NODES.arrayNode();
        for (int i = 0; i < Array.getLength(array); i++) {
            out.add(tree(Array.get(array, i), depth + 1));
        }
        return out;
    }

    private static JsonNode record(Record r, int depth) {
        ObjectNode out = NODES.objectNode();
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object value;
            try {
                Method accessor = c.getAccessor();
                accessor.setAccessible(true);
                value = accessor.invoke(r);
            } catch (ReflectiveOperationException | RuntimeException e) {
                value = REDACTED; // unreadable: written as hidden rather than guessed at
            }
            out.set(snake(c.getName()), tree(value, depth + 1));
        }
        return out;
    }

    private static String snake(String camel) {
        return String.join("_", words(camel));
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
