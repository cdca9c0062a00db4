package dev.herald.endpoint;

import dev.herald.support.ValidationException;
import java.util.List;
import java.util.regex.Pattern;

/** Subscription patterns: an exact type ({@code transfer.completed}), a prefix ({@code transfer.*}) or {@code *}. */
public final class EventPatterns {
    private static final Pattern PATTERN = Pattern.compile("\\*|[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*(\\.\\*)?");
    public static final int MAX_PATTERNS = 100;

    private EventPatterns() {}

    /** Checks a subscription list: non-empty, at most 100 entries, each a valid pattern. */
    public static List<String> validate(List<String> patterns) {
        if (patterns.isEmpty()) {
            throw new ValidationException("events", "events must list at least one event type or pattern");
        }
        if (patterns.size() > MAX_PATTERNS) {
            throw new ValidationException("events", "events may list at most " + MAX_PATTERNS + " entries");
        }
        for (int i = 0; i < patterns.size(); i++) {
            String p = patterns.get(i);
            if (p == null || p.length() > 200 || !PATTERN.matcher(p).matches()) {
                throw new ValidationException("events[" + i + "]", "'" + p + "' is not an event type, a 'prefix.*' pattern or '*'");
            }
        }
        return List.copyOf(patterns);
    }

    /** True when any pattern matches {@code type}. */
    public static boolean matches(List<String> patterns, String type) {
        for (String p : patterns) {
            if (p.equals("*") || p.equals(type)
                    || (p.endsWith(".*") && type.startsWith(p.substring(0, p.length() - 1)))) {
                return true;
            }
        }
        return false;
    }
}
