package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.cli.Remote;
import dev.herald.web.JsonInput;
import java.io.PrintWriter;
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
 * (so a revocation takes effect on every node within a second, as through the API), as every remote command does
 * ({@link Remote}: the admin key from {@code HERALD_API_KEY} or {@code --api-key-file}, never the command line).
 */
final class ApiKeyCommands {
    private ApiKeyCommands() {}

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make an API key; it is printed once and stored only as its hash.")
    static final class Create implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Remote remote;
        @Option(names = "--name", required = true, description = "What the key is for.")
        String name;
        @Option(names = "--scopes", required = true, split = ",", description = "admin, merchant:write, merchant:read, events:publish (comma-separated).")
        List<String> scopes;
        @Option(names = "--merchant-id", description = "The merchant the key is bound to (required for merchant:read and merchant:write).")
        String merchantId;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                ObjectNode body = JsonInput.MAPPER.createObjectNode().put("name", name).put("merchant_id", merchantId);
                scopes.forEach(body.putArray("scopes")::add);
                JsonNode made = remote.post("/v1/api-keys", body);
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
        @Mixin Remote remote;
        @Option(names = "--merchant-id", description = "Only the keys of this merchant.")
        String merchantId;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                PrintWriter out = spec.commandLine().getOut();
                String cursor = null;
                boolean header = false;
                do {
                    String q = "/v1/api-keys?limit=500" + (merchantId == null ? "" : "&merchant_id=" + Remote.enc(merchantId))
                            + (cursor == null ? "" : "&cursor=" + Remote.enc(cursor));
                    JsonNode page = remote.get(q);
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
        @Mixin Remote remote;
        @Parameters(index = "0", description = "The key's id (key_…).")
        String id;

        @Override
        public Integer call() {
            return Remote.run(spec, () -> {
                remote.send("DELETE", "/v1/api-keys/" + Remote.enc(id), null);
                spec.commandLine().getOut().println("revoked " + id);
                spec.commandLine().getOut().flush();
                return 0;
            });
        }
    }
}
