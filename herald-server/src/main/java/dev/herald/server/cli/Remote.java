package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.web.JsonInput;
import dev.herald.web.Secrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A Herald node's API as the remote commands reach it (a picocli mixin): the node from {@code --url} / HERALD_URL, the
 * key from HERALD_API_KEY or {@code --api-key-file} / HERALD_API_KEY_FILE, never an argument. Every failure, the node's
 * problem answers and a node that cannot be reached alike, is a {@link Failure} whose message is one line;
 * {@link #run} prints it as {@code herald: <message>} and exits 1.
 */
public final class Remote {
    /** The options whose defaults come from the environment (HERALD_URL, HERALD_API_KEY_FILE); a command's own do not. */
    public static final java.util.Set<String> ENVIRONMENT_OPTIONS = java.util.Set.of("--url", "--api-key-file");
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;
    @Option(names = "--url", description = "The Herald node's API (default ${DEFAULT-VALUE}). Env: HERALD_URL", defaultValue = "http://localhost:8080")
    String url;
    @Option(names = "--api-key-file", description = "File holding the API key (keep it chmod 600). Env: HERALD_API_KEY_FILE; or set HERALD_API_KEY")
    Path apiKeyFile;

    private HttpClient http;
    private String key;

    /** A root command that supplies the environment (HERALD_API_KEY) in place of the process's (tests give their own). */
    public interface Environment {
        Map<String, String> env();
    }

    /** A failure of a remote command, as the one line it prints. */
    public static final class Failure extends RuntimeException {
        private final int status;

        public Failure(String line) {
            this(line, 0);
        }

        Failure(String line, int status) {
            super(line, null, false, false);
            this.status = status;
        }

        /** The HTTP status of the node's answer, or 0 when there was none (the node not reached, a local mistake). */
        public int status() {
            return status;
        }
    }

    /** An answer of the node: its status and body. */
    public record Answer(int status, byte[] body) {
        public JsonNode json() {
            return body.length == 0 ? JsonInput.MAPPER.createObjectNode() : JsonInput.parse(body);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Runs a command's {@code work}: a {@link Failure} (or any other exception) is one line on stderr and exit 1. */
    public static int run(CommandSpec spec, Callable<Integer> work) {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return work.call();
        } catch (Failure | IllegalArgumentException | IllegalStateException e) {
            err.println("herald: " + e.getMessage());
        } catch (Exception e) {
            err.println("herald: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } finally {
            spec.commandLine().getOut().flush();
            err.flush();
        }
        return 1;
    }

    /**
     * A remote command's usage mistake in one line, naming the command's help: an unknown option is named, never its value
     * (a key given as an argument, which no option takes, is not echoed back).
     */
    public static String usageProblem(CommandLine.ParameterException e) {
        String command = e.getCommandLine().getCommandSpec().qualifiedName();
        String help = " (" + command + " --help shows the usage)";
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().getFirst();
            if (first.startsWith("-")) {
                String name = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
                boolean key = name.contains("key");
                return "unknown option " + name + " for " + command + (key ? " (the API key comes from HERALD_API_KEY, or a file named by"
                        + " HERALD_API_KEY_FILE or --api-key-file; never from an argument)" : help);
            }
            return "unexpected argument for " + command + help;
        }
        return e.getMessage().lines().findFirst().orElse("invalid arguments") + help;
    }

    /** The node's base URL, without a trailing slash. */
    public String url() {
        return url.replaceAll("/+$", "");
    }

    public JsonNode get(String pathAndQuery) {
        return send("GET", pathAndQuery, null).json();
    }

    public JsonNode post(String path, JsonNode body) {
        return send("POST", path, body).json();
    }

    public JsonNode put(String path, JsonNode body) {
        return send("PUT", path, body).json();
    }

    /**
     * Sends one request ({@code body} as JSON when not null; {@code headers} as name, value pairs) and returns a 2xx answer.
     *
     * @throws Failure for any other answer ({@code <status> <title>: <detail> (field)}) and when the node cannot be reached
     */
    public Answer send(String method, String pathAndQuery, JsonNode body, String... headers) {
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create(url() + pathAndQuery));
        } catch (IllegalArgumentException e) {
            throw new Failure("--url " + url + " is not a URL: " + e.getMessage());
        }
        b.timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + key()).header("Accept", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(StandardCharsets.UTF_8)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> r;
        try {
            r = client().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new Failure("no answer from " + url() + " within " + REQUEST_TIMEOUT.toSeconds() + " s (" + method + " " + path(pathAndQuery) + ")");
        } catch (IOException e) {
            throw new Failure("cannot reach " + url() + ": " + reason(e) + " (is a Herald node running there? --url or HERALD_URL names it)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
        Answer answer = new Answer(r.statusCode(), r.body());
        if (r.statusCode() >= 300) {
            throw new Failure(problem(answer), r.statusCode());
        }
        return answer;
    }

    /** An error answer as one line: {@code <status> <title>: <detail> (field)}, or its first line of text when it is no problem. */
    static String problem(Answer a) {
        JsonNode p;
        try {
            p = a.json();
        } catch (RuntimeException notJson) {
            String text = a.text().strip().lines().findFirst().orElse("");
            return a.status() + (text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "…" : text));
        }
        String field = p.hasNonNull("field") ? " (" + p.get("field").asText() + ")" : "";
        String detail = p.path("detail").asText("");
        return a.status() + " " + p.path("title").asText("") + (detail.isEmpty() ? "" : ": " + detail) + field;
    }

    /** Why a request failed to connect, in words: the first message along the causes, or the kind of failure. */
    public static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return "unknown host";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    /** {@code s} as a query parameter value or path segment. */
    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String path(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }

    /** The API key, from HERALD_API_KEY or the file named by --api-key-file (HERALD_API_KEY_FILE); never an argument. */
    public String key() {
        if (key == null) {
            Map<String, String> env = command.root().userObject() instanceof Environment e ? e.env() : System.getenv();
            String k = Secrets.resolve("HERALD_API_KEY", blankToNull(env.get("HERALD_API_KEY")), "api-key-file", apiKeyFile, command.commandLine().getErr());
            if (k == null || k.isBlank()) {
                throw new Failure("an API key is needed: set HERALD_API_KEY, or HERALD_API_KEY_FILE or --api-key-file to a file holding it");
            }
            key = k.strip();
        }
        return key;
    }

    private HttpClient client() {
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
        }
        return http;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
