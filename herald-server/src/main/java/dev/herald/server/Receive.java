package dev.herald.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.web.HttpListener;
import dev.herald.web.PortUnavailableException;
import dev.herald.web.Secrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code herald receive}: a sample merchant receiver, the one integrators copy. It verifies every webhook with the
 * SDK's {@link WebhookVerifier} before trusting it: a valid signature is answered {@code --status} (default 200), a
 * bad, missing or stale one (a timestamp more than 5 minutes off) 401, and each delivery is printed with the verdict.
 * The secret comes from HERALD_WEBHOOK_SECRET or {@code --secret-file}; {@code --secret} works but draws a warning.
 */
@Command(name = "receive", mixinStandardHelpOptions = true,
        description = {"Run a sample webhook receiver on 127.0.0.1 that verifies and prints each delivery.",
                "A bad, missing or stale signature is answered 401, a valid one --status (default 200). The endpoint's whsec_"
                        + " secret comes from HERALD_WEBHOOK_SECRET or --secret-file."})
final class Receive implements Callable<Integer> {
    @ParentCommand
    Main main; // the environment; null when parsed on its own
    @Spec
    CommandSpec spec;
    @Option(names = "--port", defaultValue = "9000", description = "Port to listen on (default ${DEFAULT-VALUE}; 0: any free port).")
    int port;
    @Option(names = "--secret-file", description = "File holding the endpoint's whsec_ secret (keep it chmod 600). Env: HERALD_WEBHOOK_SECRET_FILE;"
            + " or set HERALD_WEBHOOK_SECRET")
    Path secretFile;
    @Option(names = "--secret", description = "The endpoint's whsec_ secret (prefer HERALD_WEBHOOK_SECRET or --secret-file: arguments are visible"
            + " to every user in ps).")
    String secret;
    @Option(names = "--status", defaultValue = "200", description = "HTTP status to answer a valid delivery with (default ${DEFAULT-VALUE}),"
            + " e.g. 500 to watch Herald retry.")
    int status;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = main != null ? main.env : System.getenv();
        WebhookVerifier verifier;
        try {
            verifier = WebhookVerifier.create(secret(env, err));
        } catch (IllegalArgumentException e) {
            err.println("herald receive: " + e.getMessage());
            err.flush();
            return 2;
        }
        HttpServer server;
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            HttpListener.requireAvailable("127.0.0.1", port);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (PortUnavailableException e) {
            threads.close();
            err.println("herald receive: " + e.withHint("choose another port with --port").getMessage());
            err.flush();
            return 1;
        } catch (IOException e) {
            threads.close();
            err.println("herald receive: cannot listen on 127.0.0.1:" + port + ": " + e.getMessage() + "; choose another port with --port");
            err.flush();
            return 1;
        }
        server.setExecutor(threads);
        server.createContext("/", ex -> handle(ex, verifier, out));
        server.start();
        try {
            out.println("receiving webhooks on http://127.0.0.1:" + server.getAddress().getPort() + "/  (Ctrl-C to stop)");
            out.flush();
            new CountDownLatch(1).await();
            return 0;
        } finally {
            server.stop(0);
            threads.close();
        }
    }

    /** The secret from HERALD_WEBHOOK_SECRET, --secret-file (HERALD_WEBHOOK_SECRET_FILE) or --secret (warned about). */
    private String secret(Map<String, String> env, PrintWriter err) {
        boolean argument = secret != null;
        if (argument) {
            Secrets.warnArgument(err, "--secret", "HERALD_WEBHOOK_SECRET", "--secret-file");
        }
        String value = argument ? secret : env.get("HERALD_WEBHOOK_SECRET");
        String fileFromEnv = Main.blankToNull(env.get("HERALD_WEBHOOK_SECRET_FILE"));
        Path file = secretFile != null ? secretFile : fileFromEnv == null ? null : Path.of(fileFromEnv);
        String resolved = Secrets.resolve("HERALD_WEBHOOK_SECRET", value, "secret-file", file, err);
        if (resolved == null) {
            throw new IllegalArgumentException("the endpoint's secret is needed to verify signatures: set HERALD_WEBHOOK_SECRET=whsec_…"
                    + " or give --secret-file (the secret is shown once, when the endpoint is created)");
        }
        err.flush();
        return resolved.strip();
    }

    private void handle(HttpExchange ex, WebhookVerifier verifier, PrintWriter out) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            var h = ex.getRequestHeaders();
            String verdict;
            int answer;
            try {
                verifier.verify(h, body);
                verdict = "signature valid";
                answer = status;
            } catch (WebhookVerificationException e) {
                verdict = "signature INVALID (" + e.reason() + ": " + e.getMessage() + ")";
                answer = 401;
            } catch (IllegalArgumentException e) { // a secret that cannot check the signatures the request carries
                verdict = "signature INVALID (" + e.getMessage() + ")";
                answer = 401;
            }
            synchronized (out) {
                out.printf("%n%s %s  event=%s delivery=%s webhook-id=%s%n", ex.getRequestMethod(), ex.getRequestURI(),
                        h.getFirst("X-Webhook-Event"), h.getFirst("X-Webhook-Delivery"), h.getFirst("webhook-id"));
                out.println("  body: " + new String(body, StandardCharsets.UTF_8));
                out.println("  " + verdict + " -> " + answer);
                out.flush();
            }
            ex.sendResponseHeaders(answer, -1);
        }
    }
}
