package dev.herald.server.listen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.web.JsonInput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import dev.herald.server.cli.Remote;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code herald listen --forward-to URL}: brings a node's real, signed deliveries to a local receiver. It makes (or, with
 * {@code --name}, reuses) a listen endpoint, holds one stream from the node ({@code /v1/listen/{id}/stream}) and posts
 * each try to {@code --forward-to} with the headers and signatures a receiver on the internet gets, sending the local
 * answer back as the try's outcome. Heartbeats go both ways: a stream silent for three heartbeats is dead, said so, and
 * connected again with a growing pause; what happened meanwhile arrives after, same delivery ids. Stopped (Ctrl-C), it
 * finishes the posts under way, reports them, and deletes the endpoint it made (one named with {@code --name} is kept).
 */
@Command(name = "listen", mixinStandardHelpOptions = true,
        description = {"Forward a node's deliveries to a local URL, signed as a real receiver gets them, over one outbound connection.",
                "Each delivery prints one line: time, type, delivery id, local status, latency. Ctrl-C stops it and deletes the"
                        + " endpoint it made, unless --name keeps it for the next run."})
public final class ListenCommand implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** Headers the JDK client sets itself (and refuses to take). */
    private static final Set<String> FRAMING = Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");
    private static final int MAX_EXCERPT = 4096;
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(10);
    /** Longest wait for the local posts under way when stopping. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;
    @Mixin
    Remote remote;
    @Option(names = "--forward-to", required = true, description = "Local URL each delivery is posted to, e.g. http://localhost:3000/webhooks.")
    String forwardTo;
    @Option(names = "--events", split = ",", description = "Event types or patterns to receive (comma-separated, default every one: *).")
    List<String> events;
    @Option(names = "--merchant", description = "Receive the deliveries of this merchant (an admin key; a merchant key receives its own).")
    String merchant;
    @Option(names = "--name", description = "Keep the endpoint under this name when stopped, and resume it on the next run with the same name.")
    String name;
    @Option(names = "--heartbeat", defaultValue = "5", description = "Seconds between heartbeats each way (1-20, default ${DEFAULT-VALUE});"
            + " a stream silent for three is dead.")
    int heartbeat;
    @Option(names = "--json", description = "Print each delivery as a JSON line (status lines go to stderr).")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return listen(spec.commandLine().getOut(), err);
        } catch (Failure f) {
            err.println("herald listen: " + f.getMessage());
            err.flush();
            return f.code;
        }
    }

    private int listen(PrintWriter out, PrintWriter err) {
        URI target = localTarget();
        if (name != null && !NAME.matcher(name).matches()) {
            throw new Failure(2, "--name must be 1-100 letters, digits and ._- starting with a letter or digit");
        }
        if (heartbeat < 1 || heartbeat > 20) {
            throw new Failure(2, "--heartbeat must be 1-20 seconds");
        }
        Api api;
        try {
            api = new Api(remote.url(), remote.key());
        } catch (Remote.Failure f) {
            throw new Failure(2, f.getMessage());
        }
        PrintWriter human = json ? err : out;
        JsonNode endpoint = name == null ? null : api.findListenEndpoint(name, merchant);
        boolean made = endpoint == null;
        if (made) {
            String chosen = name != null ? name : "cli-" + random(4);
            ObjectNode body = JsonInput.MAPPER.createObjectNode().put("name", chosen).put("url", "listen:" + chosen).put("merchant_id", merchant)
                    .put("description", "herald listen --forward-to " + target);
            ArrayNode types = body.putArray("events");
            (events == null ? List.of("*") : events).forEach(types::add);
            endpoint = api.call("POST", "/v1/endpoints", body);
        } else if (events != null && !events.equals(list(endpoint.get("events")))) {
            ObjectNode body = JsonInput.MAPPER.createObjectNode();
            events.forEach(body.putArray("events")::add);
            endpoint = api.call("PATCH", "/v1/endpoints/" + enc(endpoint.get("id").asText()), body);
        }
        String id = endpoint.get("id").asText();
        human.printf("Forwarding %s to %s  (endpoint %s, %s; Ctrl-C to stop)%n", String.join(",", list(endpoint.get("events"))), target, id,
                endpoint.get("url").asText());
        if (made) {
            human.println("Signing secret: " + endpoint.get("secret").asText() + "  (verify deliveries with it; shown once)");
        } else {
            human.println("Resuming endpoint " + id + ": its signing secret was shown when it was made");
        }
        human.flush();
        Forwarder f = new Forwarder(api, id, target, out, human, err);
        Thread caller = Thread.currentThread();
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        Thread hook = new Thread(() -> {
            caller.interrupt(); // Ctrl-C: stop as an interrupt does, then let the JVM go
            stopped.completeOnTimeout(null, STOP_WAIT.toSeconds() + 10, TimeUnit.SECONDS).join();
        }, "herald-listen-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        int code;
        try {
            code = f.run();
        } finally {
            f.stop();
            if (name == null && !f.endpointGone) {
                try {
                    api.call("DELETE", "/v1/endpoints/" + enc(id), null);
                    human.println("Deleted endpoint " + id);
                } catch (Failure e) {
                    human.println("Could not delete endpoint " + id + ": " + e.getMessage());
                }
            } else if (name != null && !f.endpointGone) {
                human.println("Kept endpoint " + id + " (--name " + name + "): its deliveries wait for the next herald listen --name " + name);
            }
            human.flush();
            stopped.complete(null);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this
            }
        }
        return code;
    }

    /** --forward-to, checked: an absolute http(s) URL. */
    private URI localTarget() {
        try {
            URI u = new URI(forwardTo);
            if (u.getHost() != null && ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))) {
                return u;
            }
        } catch (java.net.URISyntaxException e) {
            // said below
        }
        throw new Failure(2, "--forward-to must be an http(s) URL, e.g. http://localhost:3000/webhooks");
    }

    /** The stream, the local posts and the answers of one endpoint. */
    private final class Forwarder {
        private final Api api;
        private final String endpointId;
        private final URI target;
        private final PrintWriter out;
        private final PrintWriter human;
        private final PrintWriter err;
        private final String listenerId = random(12);
        private final HttpClient local = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        private final LinkedBlockingDeque<ObjectNode> answers = new LinkedBlockingDeque<>();
        private final AtomicInteger posting = new AtomicInteger();
        private final CompletableFuture<Integer> ended = new CompletableFuture<>();
        private final AtomicInteger generation = new AtomicInteger();
        private volatile HttpURLConnection stream;
        private volatile boolean stopping;
        volatile boolean endpointGone;

        Forwarder(Api api, String endpointId, URI target, PrintWriter out, PrintWriter human, PrintWriter err) {
            this.err = err;
            this.api = api;
            this.endpointId = endpointId;
            this.target = target;
            this.out = out;
            this.human = human;
        }

        /** Runs until interrupted (0) or the node refuses this listener for good (1). */
        int run() {
            Thread reader = Thread.ofVirtual().name("herald-listen-stream").start(this::streamLoop);
            Thread poster = Thread.ofVirtual().name("herald-listen-answers").start(this::answerLoop);
            try {
                return ended.get();
            } catch (InterruptedException e) {
                return 0;
            } catch (ExecutionException e) {
                return 1;
            } finally {
                stopping = true;
                disconnect();
                reader.interrupt();
                try {
                    reader.join(Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                poster.interrupt();
            }
        }

        /** Waits for the local posts under way and reports their answers. */
        void stop() {
            long deadline = System.nanoTime() + STOP_WAIT.toNanos();
            while (posting.get() > 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(20_000_000);
            }
            if (!endpointGone) {
                postAnswers(Duration.ofSeconds(5));
            }
        }

        private void streamLoop() {
            Duration pause = Duration.ofMillis(500);
            String lastProblem = null;
            while (!stopping) {
                String problem;
                int before = generation.get();
                try {
                    problem = follow();
                } catch (Refused r) {
                    if (r.fatal) {
                        endpointGone = r.status == 404;
                        ended.complete(1);
                        err.println("herald listen: " + r.getMessage());
                        err.flush();
                        return;
                    }
                    problem = r.getMessage();
                } catch (IOException e) {
                    problem = e instanceof SocketTimeoutException ? "no heartbeat from the node for " + heartbeat * 3 + " s"
                            : "cannot reach " + api.base + ": " + reason(e);
                }
                if (stopping) {
                    return;
                }
                if (generation.get() != before) { // it was connected: a new outage
                    lastProblem = null;
                    pause = Duration.ofMillis(500);
                }
                if (!problem.equals(lastProblem)) { // one line per change, not one per try while the node is away
                    status((generation.get() == 0 ? "not connected yet: " : "stream lost: ") + problem + "; reconnecting");
                    lastProblem = problem;
                }
                LockSupport.parkNanos(pause.toNanos());
                pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
            }
        }

        /** Connects and reads the stream until it ends; returns why it ended. */
        private String follow() throws IOException {
            HttpURLConnection c = (HttpURLConnection) URI.create(api.base + "/v1/listen/" + enc(endpointId) + "/stream?listener=" + listenerId
                    + "&heartbeat_seconds=" + heartbeat).toURL().openConnection();
            c.setRequestProperty("Authorization", "Bearer " + api.key);
            c.setRequestProperty("Accept", "application/x-ndjson");
            c.setConnectTimeout(5000);
            c.setReadTimeout(heartbeat * 3 * 1000);
            stream = c;
            if (stopping) {
                c.disconnect();
                return "stopped";
            }
            int status = c.getResponseCode();
            if (status != 200) {
                throw Refused.of(status, problem(c.getErrorStream()));
            }
            int connectedAs = generation.get();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode m = JsonInput.MAPPER.readTree(line);
                    switch (m.path("type").asText()) {
                        case "hello" -> {
                            status(generation.getAndIncrement() > 0 ? "reconnected" : "connected");
                            if (!m.path("active").asBoolean(true)) {
                                status("endpoint " + endpointId + " is disabled (" + m.path("disabled_reason").asText() + "): nothing arrives until it"
                                        + " is enabled again");
                            }
                        }
                        case "delivery" -> {
                            posting.incrementAndGet();
                            Thread.ofVirtual().start(() -> forward(m));
                        }
                        case "bye" -> {
                            return "the node ended the stream (" + m.path("reason").asText() + ")";
                        }
                        default -> {
                            // heartbeat: the read timeout restarts
                        }
                    }
                }
            } catch (IOException e) {
                if (e instanceof SocketTimeoutException || generation.get() == connectedAs) {
                    throw e;
                }
                return "the stream broke (" + reason(e) + ")";
            } finally {
                c.disconnect();
            }
            return "the node closed the stream";
        }

        /** Posts one try to the local receiver and queues its answer. */
        private void forward(JsonNode m) {
            try {
                long start = System.nanoTime();
                ObjectNode answer = JsonInput.MAPPER.createObjectNode().put("try", m.get("try").asText());
                long timeout = Math.max(1000, m.path("timeout_ms").asLong(30_000) - 500);
                HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofMillis(timeout))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Base64.getDecoder().decode(m.get("body").asText())));
                m.get("headers").fields().forEachRemaining(h -> {
                    if (!FRAMING.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                        b.header(h.getKey(), h.getValue().asText());
                    }
                });
                String outcome;
                try {
                    HttpResponse<InputStream> r = local.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                    byte[] excerpt;
                    try (InputStream body = r.body()) {
                        excerpt = body.readNBytes(MAX_EXCERPT);
                    }
                    answer.put("status", r.statusCode()).put("body", storable(new String(excerpt, StandardCharsets.UTF_8)));
                    ObjectNode headers = answer.putObject("headers");
                    r.headers().map().forEach((k, v) -> {
                        if (headers.size() < 50 && !k.startsWith(":")) {
                            String joined = String.join(", ", v);
                            headers.put(k.toLowerCase(Locale.ROOT), storable(joined.length() > 1024 ? joined.substring(0, 1024) : joined));
                        }
                    });
                    outcome = String.valueOf(r.statusCode());
                } catch (HttpConnectTimeoutException | ConnectException e) {
                    answer.put("error", "connect").put("message", "cannot connect to " + target + ": " + reason(e));
                    outcome = "connect failed";
                } catch (HttpTimeoutException e) {
                    answer.put("error", "timeout").put("message", "no answer from " + target + " within " + timeout + " ms");
                    outcome = "timeout";
                } catch (IOException e) {
                    answer.put("error", "network").put("message", "posting to " + target + " failed: " + reason(e));
                    outcome = "failed";
                } catch (InterruptedException e) {
                    return; // stopping hard: the node sends it again
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                answer.put("duration_ms", millis);
                answers.add(answer);
                print(m, outcome, millis);
            } finally {
                posting.decrementAndGet();
            }
        }

        private void print(JsonNode m, String outcome, long millis) {
            synchronized (out) {
                if (json) {
                    out.println(JsonInput.MAPPER.createObjectNode().put("time", java.time.Instant.now().toString()).put("event", m.path("event").asText())
                            .put("delivery_id", m.path("delivery_id").asText()).put("attempt", m.path("attempt").asInt())
                            .put("status", outcome).put("latency_ms", millis));
                } else {
                    out.printf("%s  %-28s %s  -> %s  %d ms%n", LocalTime.now().truncatedTo(ChronoUnit.SECONDS), m.path("event").asText(),
                            m.path("delivery_id").asText(), outcome, millis);
                }
                out.flush();
            }
        }

        /** Posts the answers as they come, and an empty post every heartbeat: the node's sign that this listener lives. */
        private void answerLoop() {
            while (!stopping) {
                try {
                    ObjectNode first = answers.poll(heartbeat * 1000L, TimeUnit.MILLISECONDS);
                    if (first != null) {
                        answers.addFirst(first);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (!stopping) {
                    postAnswers(Duration.ofSeconds(heartbeat * 2L));
                }
            }
        }

        /** Posts the queued answers (none: a heartbeat); kept for the next post when the node cannot be reached. */
        private synchronized void postAnswers(Duration timeout) {
            List<ObjectNode> batch = new ArrayList<>();
            answers.drainTo(batch, 500);
            ObjectNode body = JsonInput.MAPPER.createObjectNode().put("listener", listenerId);
            batch.forEach(body.putArray("results")::add);
            int gen = generation.get();
            try {
                JsonNode r = api.send("POST", "/v1/listen/" + enc(endpointId) + "/results", body, timeout);
                if (!r.path("connected").asBoolean(true) && gen == generation.get() && !stopping) {
                    disconnect(); // the node dropped this listener's session: connect again
                }
            } catch (Failure e) {
                if (e.status >= 400 && e.status < 500) { // refused as they are: sending them again would not help
                    status("the node refused " + batch.size() + " answers: " + e.getMessage());
                    return;
                }
                for (int i = batch.size() - 1; i >= 0; i--) {
                    answers.addFirst(batch.get(i));
                }
            }
        }

        private void disconnect() {
            HttpURLConnection c = stream;
            if (c != null) {
                c.disconnect();
            }
        }

        private void status(String what) {
            synchronized (out) {
                human.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "  " + what);
                human.flush();
            }
        }
    }

    /** The node's answer to opening the stream, when not 200: fatal (key or endpoint gone) or worth another try. */
    private static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;
        final boolean fatal;

        Refused(int status, String message, boolean fatal) {
            super(message);
            this.status = status;
            this.fatal = fatal;
        }

        static Refused of(int status, String problem) {
            boolean fatal = status == 400 || status == 401 || status == 403 || status == 404 || status == 409 && problem.contains("not a listen");
            String what = status == 404 ? "the endpoint was deleted" : status + " " + problem;
            return new Refused(status, what, fatal);
        }
    }

    /** The detail of a problem+json answer, or its status alone. */
    private static String problem(InputStream in) {
        if (in == null) {
            return "";
        }
        try (in) {
            JsonNode p = JsonInput.MAPPER.readTree(in.readAllBytes());
            return p.path("detail").asText(p.path("title").asText(""));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The node's API with the caller's key. */
    private static final class Api {
        final String base;
        final String key;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

        Api(String base, String key) {
            this.base = base;
            this.key = key;
        }

        JsonNode call(String method, String path, ObjectNode body) {
            return send(method, path, body, Duration.ofSeconds(30));
        }

        JsonNode send(String method, String path, ObjectNode body, Duration timeout) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).header("Authorization", "Bearer " + key)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(StandardCharsets.UTF_8)));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<byte[]> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new Failure(1, "cannot reach " + base + ": " + reason(e) + " (is a Herald node running there? --url or HERALD_URL names it)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure(1, "interrupted");
            }
            JsonNode answer;
            try {
                answer = r.body().length == 0 ? JsonInput.MAPPER.createObjectNode() : JsonInput.MAPPER.readTree(r.body());
            } catch (IOException e) {
                throw new Failure(1, base + " answered " + r.statusCode() + " with something other than JSON: is it a Herald node?");
            }
            if (r.statusCode() >= 400) {
                String field = answer.hasNonNull("field") ? " (" + answer.get("field").asText() + ")" : "";
                throw new Failure(1, r.statusCode() + " " + answer.path("title").asText() + ": " + answer.path("detail").asText() + field, r.statusCode());
            }
            return answer;
        }

        /** The listen endpoint {@code listen:<name>} of {@code merchant} (the key's own, if null), or null. */
        JsonNode findListenEndpoint(String name, String merchant) {
            String q = "/v1/endpoints?limit=500&q=" + enc("listen:" + name) + (merchant == null ? "" : "&merchant_id=" + enc(merchant));
            for (JsonNode e : call("GET", q, null).get("data")) {
                if (e.path("url").asText().equals("listen:" + name) && (merchant == null || merchant.equals(e.path("merchant_id").asText(null)))) {
                    return e;
                }
            }
            return null;
        }
    }

    /** A failure said in one line, with the exit code and the node's status (0: no answer). */
    private static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;
        final int status;

        Failure(int code, String message) {
            this(code, message, 0);
        }

        Failure(int code, String message, int status) {
            super(message, null, false, false);
            this.code = code;
            this.status = status;
        }
    }

    /** {@code text} without NUL characters, which the node cannot store. */
    private static String storable(String text) {
        return text.indexOf('\0') < 0 ? text : text.replace('\0', '\uFFFD');
    }

    /** Why a connection failed, in words. */
    static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException) {
                return "unknown host";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    private static List<String> list(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
