package dev.herald.bench;

import dev.herald.bus.BusException;
import dev.herald.bus.BusMessage;
import dev.herald.bus.RabbitBus;
import dev.herald.outbox.BusPublisher;
import dev.herald.outbox.OutboxEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The things the load generator drives: Herald's ingest API, the fleet directly (the raw limit), both on the same HTTP
 * client, and the finance bus (events published as the reference bank publishes them).
 */
final class Targets {
    private static final long REQUEST_TIMEOUT_SECONDS = 30;

    private Targets() {}

    static HttpClient client(String name, int maxConnectionsPerDestination) {
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName(name);
        pool.setDaemon(true);
        HttpClient http = new HttpClient();
        http.setExecutor(pool);
        http.setMaxConnectionsPerDestination(maxConnectionsPerDestination);
        http.setMaxRequestsQueuedPerDestination(Math.max(1024, maxConnectionsPerDestination * 4));
        http.setConnectTimeout(5000);
        http.setIdleTimeout(30_000);
        http.setFollowRedirects(false);
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start HTTP client " + name, e);
        }
        return http;
    }

    static void stop(HttpClient http) {
        try {
            http.stop();
        } catch (Exception e) {
            // stopping anyway
        }
    }

    /**
     * Posts events to {@code POST /v1/events}: a JSON array per batch (a single object when the batch is 1), round-robin
     * over the nodes {@link HeraldUnderTest#ports()} lists at the time of each request.
     */
    static final class Herald implements LoadGenerator.Target {
        private final HttpClient http;
        private final HeraldUnderTest herald;
        private final java.util.Map<Integer, java.net.URI> urls = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        private final String auth;
        private final Workload workload;
        private final Receipts receipts;

        Herald(HeraldUnderTest herald, Workload workload, Receipts receipts, int concurrency) {
            this.http = client("bench-producer", concurrency);
            this.herald = herald;
            this.auth = "Bearer " + herald.apiKey();
            this.workload = workload;
            this.receipts = receipts;
        }

        @Override
        public String send(long first, int n, long dueNanos) throws Exception {
            StringBuilder sb = new StringBuilder(n * (workload.eventBytes() + 8));
            long sentNs = dueNanos;
            if (n > 1) {
                sb.append('[');
            }
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                workload.appendEvent(sb, first + i, sentNs);
            }
            if (n > 1) {
                sb.append(']');
            }
            int[] ports = herald.ports();
            if (ports.length == 0) {
                return "no node up";
            }
            int port = ports[Math.floorMod(next.getAndIncrement(), ports.length)];
            java.net.URI url = urls.computeIfAbsent(port, p -> java.net.URI.create("http://127.0.0.1:" + p + "/v1/events"));
            ContentResponse r = http.newRequest(url)
                    .method(HttpMethod.POST)
                    .headers(h -> h.put(HttpHeader.AUTHORIZATION, auth))
                    .body(new BytesRequestContent("application/json", sb.toString().getBytes(StandardCharsets.UTF_8)))
                    .timeout(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .send();
            if (r.getStatus() == 202) {
                receipts.accepted(first, n);
                return null;
            }
            return "http " + r.getStatus();
        }

        @Override
        public void close() {
            stop(http);
        }
    }

    /**
     * Posts each delivery of each event straight to its fleet endpoint with the body and {@code webhook-id} Herald would
     * send: the same fleet, bodies and client with no Herald in between.
     */
    static final class Raw implements LoadGenerator.Target {
        private final HttpClient http;
        private final Fleet fleet;
        private final Workload workload;
        private final Receipts receipts;
        private final String timestamp = Workload.timestampNow();

        Raw(Fleet fleet, Workload workload, Receipts receipts, int concurrency) {
            this.http = client("bench-raw", concurrency);
            this.fleet = fleet;
            this.workload = workload;
            this.receipts = receipts;
        }

        @Override
        public String send(long first, int n, long dueNanos) throws Exception {
            receipts.accepted(first, n);
            String error = null;
            for (long seq = first; seq < first + n; seq++) {
                int ep0 = workload.group(seq) * workload.fanout();
                for (int j = 0; j < workload.fanout(); j++) {
                    String id = workload.eventId(seq);
                    // The batch's first request counts from when it was due; the rest are sent back to back on purpose.
                    byte[] body = workload.wireBody(seq, seq == first && j == 0 ? dueNanos : System.nanoTime(), timestamp);
                    ContentResponse r = http.newRequest(fleet.uri(ep0 + j))
                            .method(HttpMethod.POST)
                            .headers(h -> h.put("webhook-id", id))
                            .body(new BytesRequestContent("application/json", body))
                            .timeout(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                            .send();
                    if (r.getStatus() / 100 != 2) {
                        error = "http " + r.getStatus();
                    }
                }
            }
            return error;
        }

        @Override
        public void close() {
            stop(http);
        }
    }

    /**
     * Publishes each event to the finance bus exactly as the reference bank's outbox relay does ({@link BusPublisher}
     * over {@link RabbitBus}: exchange {@link dev.herald.bus.Topology#EXCHANGE}, routing key = event type, message id =
     * event id, persistent, body = the event in Herald's wire format, {@code trace_id} and {@code traceparent} headers),
     * one batch per publish; the events count as accepted once the broker confirmed the whole batch.
     */
    static final class Bus implements LoadGenerator.Target {
        private final RabbitBus bus;
        private final Workload workload;
        private final Receipts receipts;
        private final String timestamp = Workload.timestampNow();

        Bus(String amqpUrl, Workload workload, Receipts receipts) {
            this.bus = RabbitBus.connect(amqpUrl);
            this.workload = workload;
            this.receipts = receipts;
        }

        @Override
        public String send(long first, int n, long dueNanos) {
            List<BusMessage> messages = new ArrayList<>(n);
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (long seq = first; seq < first + n; seq++) {
                String body = new String(workload.wireBody(seq, dueNanos, timestamp), StandardCharsets.UTF_8);
                String traceId = HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
                messages.add(BusPublisher.toMessage(new OutboxEvent(workload.eventId(seq), Workload.type(workload.group(seq)),
                        "acct-" + seq % 1000, 0, traceId, body)));
            }
            try {
                bus.publish(messages);
            } catch (BusException e) {
                return "bus: not confirmed";
            }
            receipts.accepted(first, n);
            return null;
        }

        @Override
        public void close() {
            bus.close();
        }
    }
}
