package dev.herald.server.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.web.JsonInput;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How a remote command prints (a picocli mixin): tables with aligned columns for people, or with {@code --json} the
 * API's answers as they are, one JSON document per line, for scripts.
 */
public final class Output {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;
    @Option(names = "--json", description = "Print the API's JSON answers as they are, one per line (for scripts).")
    boolean json;

    public boolean json() {
        return json;
    }

    public PrintWriter out() {
        return command.commandLine().getOut();
    }

    /** Prints an answer's body as the node sent it, on one line of its own. */
    public void raw(Remote.Answer a) {
        out().println(a.text().strip());
        out().flush();
    }

    /** A table: a header row, then the rows, every column as wide as its widest cell. */
    public void table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] width = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                width[i] = Math.max(width[i], cell(row.get(i)).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                String c = cell(row.get(i));
                line.append(c);
                if (i < row.size() - 1) {
                    line.append(" ".repeat(width[i] - c.length() + 2));
                }
            }
            out().println(line.toString().stripTrailing());
        }
        out().flush();
    }

    /** Name-value lines, the names aligned. */
    public void fields(List<String[]> pairs) {
        int w = pairs.stream().mapToInt(p -> p[0].length()).max().orElse(0);
        for (String[] p : pairs) {
            out().println(p[0] + ":" + " ".repeat(w - p[0].length() + 1) + cell(p[1]));
        }
        out().flush();
    }

    /** Whether the process writes to a terminal (a progress bar may redraw itself there). */
    public static boolean terminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try { // Console.isTerminal (JDK 22+): since then System.console() is not null when the streams are redirected
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** A JSON member's text for a cell: "-" for none. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            v.forEach(i -> items.add(i.isValueNode() ? i.asText() : i.toString()));
            return String.join(",", items);
        }
        return v.isMissingNode() || v.isNull() ? "-" : v.isValueNode() ? v.asText() : v.toString();
    }

    private static String cell(String s) {
        return s == null || s.isEmpty() ? "-" : s.replaceAll("[\\r\\n\\t]", " ");
    }

    /**
     * The bytes of the top-level member {@code name} of the JSON object {@code body}, exactly as they are there (numbers,
     * escapes and key order untouched), or empty when there is none.
     */
    public static Optional<String> member(byte[] body, String name) {
        try (JsonParser p = JsonInput.MAPPER.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                if (field.equals(name)) {
                    int end = (int) p.currentLocation().getByteOffset();
                    return Optional.of(new String(body, start, end - start, StandardCharsets.UTF_8));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
