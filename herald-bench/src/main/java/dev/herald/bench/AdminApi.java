package dev.herald.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The few admin calls a phase makes on Herald's API: create the fleet's endpoints, and pause or resume them. */
final class AdminApi {
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    /** How endpoints are created: {@code timeoutSeconds} > 0 sets timeout_seconds; {@code fifo[i]} makes endpoint i FIFO. */
    record EndpointOptions(int timeoutSeconds, boolean active, boolean[] fifo) {
        static EndpointOptions of(Settings s) {
            return new EndpointOptions(s.timeoutSeconds(), true, null);
        }
    }

    private AdminApi() {}

    /**
     * Creates endpoint i → {@code fleet.url(i)}, subscribed to its workload group's type, through {@code POST /v1/endpoints};
     * returns their ids by fleet index. Flaky endpoints retry every second (so their deliveries converge within a run).
     */
    static String[] createEndpoints(HeraldUnderTest h, Fleet fleet, Workload workload, EndpointOptions o) throws Exception {
        String[] ids = new String[workload.endpoints()];
        forEach(workload.endpoints(), ep -> {
            StringBuilder json = new StringBuilder("{\"name\":\"bench-").append(ep).append("\",\"url\":\"").append(fleet.url(ep))
                    .append("\",\"events\":[\"").append(workload.subscription(ep)).append("\"]");
            if (o.timeoutSeconds() > 0) {
                json.append(",\"timeout_seconds\":").append(o.timeoutSeconds());
            }
            if (!o.active()) {
                json.append(",\"is_active\":false");
            }
            if (o.fifo() != null && o.fifo()[ep]) {
                json.append(",\"ordering\":\"fifo\"");
            }
            if (fleet.behaviour(ep) instanceof Behaviour.Flaky) {
                json.append(",\"retry_schedule\":[1],\"retry_attempts\":50");
            }
            String body = call(h, "/v1/endpoints", json.append('}').toString(), 201);
            Matcher m = ID.matcher(body);
            if (!m.find()) {
                throw new IllegalStateException("endpoint " + ep + " created without an id: " + body);
            }
            ids[ep] = m.group(1);
        });
        return ids;
    }

    /** Enables ({@code POST /v1/endpoints/{id}/enable}) or disables every endpoint of {@code ids}. */
    static void setActive(HeraldUnderTest h, String[] ids, boolean active) throws Exception {
        forEach(ids.length, i -> call(h, "/v1/endpoints/" + ids[i] + (active ? "/enable" : "/disable"), "", 200));
    }

    private interface Call {
        void run(int i) throws Exception;
    }

    /** Runs {@code call} for 0..n-1 on 8 threads; the first failure is thrown. */
    private static void forEach(int n, Call call) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                done.add(pool.submit(() -> {
                    call.run(k);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * Puts the workload's event types ({@code bench.g<group>}) in the catalog with a schema of their data (integers
     * {@code sent_ns} and {@code seq}, string {@code pad}, nothing else), so a node that enforces the catalog accepts them.
     */
    static void registerTypes(HeraldUnderTest h, Workload w) throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"sent_ns\":{\"type\":\"integer\"},\"seq\":{\"type\":\"integer\",\"minimum\":0},"
                + "\"pad\":{\"type\":\"string\"}},\"required\":[\"sent_ns\",\"seq\",\"pad\"],\"additionalProperties\":false}";
        forEach(w.groups(), g -> call(h, "PUT", "/v1/event-types/" + Workload.type(g), "{\"description\":\"Bench events of group " + g
                + ".\",\"version\":1,\"schema\":" + schema + ",\"example\":{\"sent_ns\":1,\"seq\":0,\"pad\":\"x\"}}", 201));
    }

    private static String call(HeraldUnderTest h, String path, String json, int expect) throws Exception {
        return call(h, "POST", path, json, expect);
    }

    private static String call(HeraldUnderTest h, String method, String path, String json, int expect) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + h.apiKey()).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expect) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** True when {@code GET /health/ready} on {@code port} answers 200. */
    static boolean ready(int port) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }
}
