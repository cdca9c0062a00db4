package dev.herald.event;

import java.util.regex.Pattern;

/**
 * A filter of event types as the list APIs take it: an exact type ({@code transfer.completed}), a prefix pattern
 * ({@code transfer.*}: every type starting with {@code transfer.}) or {@code *} (every type). Exactly one of
 * {@code exact} and {@code prefix} is set, or neither for {@code *}.
 */
public record TypeFilter(String exact, String prefix) {
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*\\.\\*");

    /** True when {@code s} is a pattern ({@code prefix.*} or {@code *}) rather than a type or an id. */
    public static boolean isPattern(String s) {
        return s != null && (s.equals("*") || PREFIX.matcher(s).matches());
    }

    /** The filter {@code typeOrPattern} stands for (null: none). */
    public static TypeFilter of(String typeOrPattern) {
        if (typeOrPattern == null || typeOrPattern.equals("*")) {
            return new TypeFilter(null, null);
        }
        return isPattern(typeOrPattern) ? new TypeFilter(null, typeOrPattern.substring(0, typeOrPattern.length() - 1))
                : new TypeFilter(typeOrPattern, null);
    }
}
