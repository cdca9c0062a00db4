package dev.herald.web;

import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * A small API on an {@link HttpListener}, for tests in this JVM ({@link #routing}) and in a child JVM started with a
 * low open-files limit ({@link #main}): {@code GET /health/live} (200 while listening, 503 otherwise) and
 * {@code POST /echo} (the body, read by {@link BodyReader}).
 */
public final class ListenerMain {
    private ListenerMain() {}

    /** The test API; {@code listener} answers /health/live once set. */
    static void routing(HttpRouting.Builder r, long maxBodyBytes, AtomicReference<HttpListener> listener) {
        BodyReader bodies = new BodyReader(maxBodyBytes);
        r.get("/health/live", (req, res) -> {
            HttpListener l = listener.get();
            boolean live = l == null || l.listening();
            Responses.json(res, live ? 200 : 503, Responses.obj().put("status", live ? "live" : "not_live"));
        });
        r.post("/echo", (req, res) -> res.send(bodies.bytes(req)));
        Problems.register(r);
    }

    /**
     * Args: max connections ("default" for the default), idle timeout. Prints {@code port=N} once listening and runs
     * until standard input closes.
     */
    public static void main(String[] args) throws IOException {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        ConnectionLimits limits = ConnectionLimits.defaults().withIdleTimeout(Durations.parse("idle", args[1]));
        if (!args[0].equals("default")) {
            limits = limits.withMaxConnections(Integer.parseInt(args[0]));
        }
        AtomicReference<HttpListener> ref = new AtomicReference<>();
        HttpListener l = HttpListener.start("child", "127.0.0.1", 0, 64 * 1024, limits, r -> routing(r, 64 * 1024, ref));
        ref.set(l);
        System.out.println("limits=" + limits.maxConnections() + " files=" + ConnectionLimits.openFilesLimit());
        System.out.println("port=" + l.port());
        System.out.flush();
        while (System.in.read() >= 0) {
            // runs until the test closes our standard input
        }
        l.close();
        System.exit(0);
    }
}
