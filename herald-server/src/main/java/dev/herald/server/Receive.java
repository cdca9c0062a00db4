package dev.herald.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herald.sdk.WebhookVerificationException;
import dev.herald.sdk.WebhookVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herald receive}: a sample merchant receiver that checks both signatures of every webhook and prints it. */
@Command(name = "receive", mixinStandardHelpOptions = true,
        description = "Run a sample webhook receiver on 127.0.0.1 that verifies signatures and prints each delivery.")
final class Receive implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9000", description = "Port to listen on (default ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--secret", description = "The endpoint's whsec_ secret; without it signatures are shown but not checked.")
    String secret;
    @Option(names = "--status", defaultValue = "200", description = "HTTP status to answer with (default ${DEFAULT-VALUE}).")
    int status;

    @Override
    public Integer call() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        System.out.println("receiving webhooks on http://127.0.0.1:" + server.getAddress().getPort() + "/  (Ctrl-C to stop)");
        new CountDownLatch(1).await();
        return 0;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            var h = ex.getRequestHeaders();
            PrintStream out = System.out;
            synchronized (out) {
                out.printf("%n%s %s  event=%s delivery=%s webhook-id=%s%n", ex.getRequestMethod(), ex.getRequestURI(),
                        h.getFirst("X-Webhook-Event"), h.getFirst("X-Webhook-Delivery"), h.getFirst("webhook-id"));
                out.println("  body: " + new String(body, StandardCharsets.UTF_8));
                if (secret != null) {
                    WebhookVerifier v = WebhookVerifier.create(secret);
                    out.println("  standard webhooks v1: " + check(() -> v.verifyStandard(h.getFirst("webhook-id"),
                            h.getFirst("webhook-timestamp"), h.getFirst("webhook-signature"), body)));
                    out.println("  classic sha256=:      " + check(() -> v.verifyClassic(h.getFirst("X-Webhook-Signature"), body)));
                }
            }
            ex.sendResponseHeaders(status, -1);
        }
    }

    private static String check(Runnable verification) {
        try {
            verification.run();
            return "valid";
        } catch (WebhookVerificationException e) {
            return "INVALID (" + e.reason() + ")";
        }
    }
}
