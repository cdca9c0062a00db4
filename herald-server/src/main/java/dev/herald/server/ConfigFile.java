package dev.herald.server;

import dev.herald.server.cli.Suggestions;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * A {@code --config} properties file ({@code key=value} lines, {@code #} comments, as {@link Properties} reads them)
 * with the line each key is on, so a problem with a setting can name the file, the line and the key.
 */
record ConfigFile(Path path, Properties values, Map<String, Integer> lines) {
    /** No file: no values. */
    static final ConfigFile NONE = new ConfigFile(null, new Properties(), Map.of());

    ConfigFile {
        lines = Map.copyOf(lines);
    }

    /** Reads {@code path} as {@link Properties#load(java.io.InputStream)} would (ISO-8859-1), noting each key's line. */
    static ConfigFile load(Path path) throws IOException {
        List<String> physical = Files.readAllLines(path, StandardCharsets.ISO_8859_1);
        Properties values = new Properties();
        Map<String, Integer> lines = new HashMap<>();
        for (int i = 0; i < physical.size(); i++) {
            int first = i + 1;
            StringBuilder logical = new StringBuilder(physical.get(i));
            while (continues(logical) && i + 1 < physical.size()) { // a line ending in an odd number of backslashes goes on
                logical.append('\n').append(physical.get(++i));
            }
            Properties one = new Properties();
            one.load(new StringReader(logical.toString()));
            for (String key : one.stringPropertyNames()) {
                values.setProperty(key, one.getProperty(key));
                lines.put(key, first);
            }
        }
        return new ConfigFile(path, values, lines);
    }

    private static boolean continues(CharSequence line) {
        int slashes = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            slashes++;
        }
        return slashes % 2 == 1;
    }

    /** The value of {@code key} trimmed, or null. */
    String get(String key) {
        String v = values.getProperty(key);
        return v == null ? null : v.trim();
    }

    /** "FILE line N" for {@code key}, or empty when the file does not set it. */
    Optional<String> where(String key) {
        Integer line = lines.get(key);
        return line == null ? Optional.empty() : Optional.of(path + " line " + line);
    }

    /**
     * Refuses a key that is not in {@code known}, naming file, line and key (and the known key it is closest to).
     *
     * @throws IllegalArgumentException for the first unknown key, in file order
     */
    void requireKnownKeys(Set<String> known) {
        lines.entrySet().stream().sorted(Map.Entry.comparingByValue())
                .filter(e -> !known.contains(e.getKey()))
                .findFirst()
                .ifPresent(e -> {
                    String near = known.stream().filter(k -> Suggestions.distance(k, e.getKey()) <= 2)
                            .min(java.util.Comparator.comparingInt(k -> Suggestions.distance(k, e.getKey()))).map(k -> " (did you mean '" + k + "'?)").orElse("");
                    throw new IllegalArgumentException(path + " line " + e.getValue() + ": unknown key '" + printable(e.getKey()) + "'" + near
                            + "; keys are the long flags of 'herald serve' without the dashes, e.g. port=8080");
                });
    }

    /** {@code key} as it can be shown on a terminal: control and non-ASCII characters as '?', at most 40 characters. */
    private static String printable(String key) {
        String shown = key.codePoints().map(c -> c >= ' ' && c < 127 ? c : '?')
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return shown.length() > 40 ? shown.substring(0, 40) + "…" : shown;
    }
}
