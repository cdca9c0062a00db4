package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.web.JsonInput;
import dev.herald.web.Secrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald keys create|list|revoke}: the API-key resource from the command line, through a running node's API
 * (so a revocation takes effect on every node within a second, as through the API). The caller's admin key comes from
 * {@code HERALD_API_KEY} or {@code --api-key-file}, never the command line.
 */
final class ApiKeyCommands {
    private ApiKeyCommands() {}

    /** Where the node is and how to authenticate to it. */
    static final class Target {
        @Option(names = "--url", description = "The Herald node's API (default ${DEFAULT-VALUE}). Env: HERALD_URL",
                defaultValue = "${env:HERALD_URL:-http://localhost:8080}")
        String url;
        @Option(names = "--api-key-file", description = "File holding an admin key (keep it chmod 600). Env: HERALD_API_KEY_FILE; or set HERALD_API_KEY",
                defaultValue = "${env:HERALD_API_KEY_FILE}")
        Path apiKeyFile;

        JsonNode call(String method, String path, ObjectNode body, PrintWriter err) {
            String key = Secrets.resolve("HERALD_API_KEY", System.getenv("HERALD_API_KEY"), "api-key-file", apiKeyFile, err);
            if (key == null) {
                throw new IllegalArgumentException("an admin key is needed: set HERALD_API_KEY or give --api-key-file");
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + key)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(StandardCharsets.UTF_8)));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<byte[]> r;
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new IllegalStateException("cannot reach " + url + ": " + reason(e) + " (is a Herald node running there? --url or HERALD_URL names it)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            JsonNode answer = r.body().length == 0 ? JsonInput.MAPPER.createObjectNode() : JsonInput.parse(r.body());
            if (r.statusCode() >= 400) {
                String field = answer.hasNonNull("field") ? " (" + answer.get("field").asText() + ")" : "";
                throw new IllegalStateException(r.statusCode() + " " + answer.path("title").asText() + ": " + answer.path("detail").asText() + field);
            }
            return answer;
        }
    }

    /** Why a request failed to connect, in words: the first message along the causes, or the kind of failure. */
    static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException) {
                return "unknown host";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        return e.getClass().getSimpleName();
    }

    /** Runs {@code work}, printing a failure as one line on stderr: exit 1 (2 for a usage problem). */
    private static int run(CommandSpec spec, Callable<Integer> work) {
        try {
            return work.call();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("herald keys: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            spec.commandLine().getErr().println("herald keys: " + e.getMessage());
            return 1;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make an API key; it is printed once and stored only as its hash.")
    static final class Create implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Target target;
        @Option(names = "--name", required = true, description = "What the key is for.")
        String name;
        @Option(names = "--scopes", required = true, split = ",", description = "admin, merchant:write, merchant:read, events:publish (comma-separated).")
        List<String> scopes;
        @Option(names = "--merchant-id", description = "The merchant the key is bound to (required for merchant:read and merchant:write).")
        String merchantId;

        @Override
        public Integer call() {
            return run(spec, () -> {
                ObjectNode body = JsonInput.MAPPER.createObjectNode().put("name", name).put("merchant_id", merchantId);
                scopes.forEach(body.putArray("scopes")::add);
                JsonNode made = target.call("POST", "/v1/api-keys", body, spec.commandLine().getErr());
                PrintWriter out = spec.commandLine().getOut();
                out.println("id:     " + made.get("id").asText());
                out.println("scopes: " + made.get("scopes"));
                out.println("key:    " + made.get("key").asText() + "   (shown once; store it now)");
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the live API keys (never the keys themselves).")
    static final class ListKeys implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Target target;
        @Option(names = "--merchant-id", description = "Only the keys of this merchant.")
        String merchantId;

        @Override
        public Integer call() {
            return run(spec, () -> {
                PrintWriter out = spec.commandLine().getOut();
                String cursor = null;
                boolean header = false;
                do {
                    String q = "/v1/api-keys?limit=500" + (merchantId == null ? "" : "&merchant_id=" + enc(merchantId))
                            + (cursor == null ? "" : "&cursor=" + enc(cursor));
                    JsonNode page = target.call("GET", q, null, spec.commandLine().getErr());
                    if (!header) { // only once the node answered: a failure is one line, with no table before it
                        out.printf("%-40s %-20s %-8s %-16s %-32s %s%n", "ID", "NAME", "PREFIX", "MERCHANT", "SCOPES", "LAST USED");
                        header = true;
                    }
                    for (JsonNode k : page.get("data")) {
                        out.printf("%-40s %-20s %-8s %-16s %-32s %s%n", k.get("id").asText(), k.get("name").asText(), k.get("prefix").asText(),
                                k.path("merchant_id").asText("-"), k.get("scopes").toString(), k.path("last_used_at").asText("never"));
                    }
                    cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText(null);
                } while (cursor != null);
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke an API key at once, on every node.")
    static final class Revoke implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Target target;
        @Parameters(index = "0", description = "The key's id (key_…).")
        String id;

        @Override
        public Integer call() {
            return run(spec, () -> {
                target.call("DELETE", "/v1/api-keys/" + enc(id), null, spec.commandLine().getErr());
                spec.commandLine().getOut().println("revoked " + id);
                spec.commandLine().getOut().flush();
                return 0;
            });
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
