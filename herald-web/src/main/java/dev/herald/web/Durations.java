package dev.herald.web;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the command lines take them: {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}, or ISO-8601 {@code PT30S}. */
public final class Durations {
    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)");

    private Durations() {}

    /** Parses {@code text}; an unreadable value is an IllegalArgumentException naming {@code setting}. */
    public static Duration parse(String setting, String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        if (t.startsWith("pt")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException(setting + " must be a duration such as 30s, 500ms or 2m, got '" + text + "'");
    }

    /** {@code d} as the shortest of {@code 1h}, {@code 2m}, {@code 30s}, {@code 500ms} that is exact. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
