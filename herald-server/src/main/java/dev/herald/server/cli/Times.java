package dev.herald.server.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The times the remote commands take: an instant ({@code 2026-12-07T10:00:00Z}), a UTC day ({@code 2026-12-07}) or an age ({@code 90s}, {@code 30m}, {@code 2h}, {@code 7d}: that long ago). */
final class Times {
    private static final Pattern AGO = Pattern.compile("(\\d{1,9})([smhd])");

    private Times() {}

    static Instant parse(String option, String text, Clock clock) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        Matcher m = AGO.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return clock.instant().minus(d);
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notInstant) {
            try {
                return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notDay) {
                throw new IllegalArgumentException(option + " must be a time such as 2026-12-07T10:00:00Z, a day such as 2026-12-07,"
                        + " or an age such as 30m, 2h or 7d; got '" + text + "'");
            }
        }
    }
}
