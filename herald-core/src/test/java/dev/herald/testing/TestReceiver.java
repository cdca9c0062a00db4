package dev.herald.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A merchant's webhook receiver on 127.0.0.1 for tests: records every request and answers each path with a
 * programmable reply (default 200 "ok"). A path set to hang blocks until the receiver closes.
 */
public final class TestReceiver implements AutoCloseable {
    /** A request as received; header names lower-cased. */
    public record Received(String path, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** How a path answers. */
    public record Reply(int status, String body, Map<String, String> headers, boolean hangs) {
        public static Reply status(int status) {
            return new Reply(status, "", Map.of(), false);
        }

        public static Reply hang() {
            return new Reply(0, "", Map.of(), true);
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> h = new TreeMap<>(headers);
            h.put(name, value);
            return new Reply(status, body, h, hangs);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, Reply> replies = new ConcurrentHashMap<>();
    private final CountDownLatch closing = new CountDownLatch(1);

    private TestReceiver(HttpServer server) {
        this.server = server;
    }

    public static TestReceiver start() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            TestReceiver r = new TestReceiver(s);
            s.createContext("/", r::handle);
            s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            s.start();
            return r;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sets the reply of {@code path} for every following request. */
    public TestReceiver reply(String path, Reply reply) {
        replies.put(path, reply);
        return this;
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<Received> received(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            Map<String, String> headers = new TreeMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(", ", v)));
            String path = ex.getRequestURI().getPath();
            received.add(new Received(path, Map.copyOf(headers), body));
            Reply reply = replies.getOrDefault(path, new Reply(200, "ok", Map.of(), false));
            if (reply.hangs()) {
                closing.await();
                return;
            }
            reply.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
