package dev.herald.delivery;

import dev.herald.endpoint.EndpointRegistry;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.http.AttemptResult;
import dev.herald.http.WebhookHttpClient;
import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends claimed deliveries through per-endpoint lanes. Each lane runs at most {@code maxInFlightPerEndpoint} tries at
 * once (one virtual thread per try) and holds a bounded window of waiting tasks, highest priority first; what does not
 * fit is handed back to the database. A scanner claims due retries and released work from the database.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Engine limits. */
    public record Config(int maxInFlightPerEndpoint, int laneWindow, Duration scanInterval, int scanBatch, int autoDisableAfter) {
        public Config {
            if (maxInFlightPerEndpoint < 1 || laneWindow < 1 || scanBatch < 1 || autoDisableAfter < 1) {
                throw new IllegalArgumentException("dispatcher limits must be positive");
            }
        }

        public static Config defaults() {
            return new Config(16, 1000, Duration.ofMillis(500), 500, 10);
        }
    }

    private final Jdbc jdbc;
    private final DeliveryRepository deliveries;
    private final EndpointRegistry endpoints;
    private final WebhookHttpClient http;
    private final WebhookRequests requests;
    private final DeliveryRecorder recorder;
    private final Clock clock;
    private final Config config;
    private final String nodeId;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong arrival = new AtomicLong();
    private volatile boolean running;
    private Thread scanner;

    public Dispatcher(Jdbc jdbc, DeliveryRepository deliveries, EndpointRepository endpointRepository, EndpointRegistry endpoints,
                      dev.herald.ingest.EventWriter eventWriter, WebhookHttpClient http, WebhookRequests requests, Clock clock,
                      java.util.random.RandomGenerator random, Config config, String nodeId) {
        this.jdbc = jdbc;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.http = http;
        this.requests = requests;
        this.clock = clock;
        this.config = config;
        this.nodeId = nodeId;
        this.recorder = new DeliveryRecorder(jdbc, deliveries, endpointRepository, eventWriter, clock, random, config.autoDisableAfter(), nodeId);
    }

    /** Takes over claims left by earlier processes and starts the due-scanner. */
    public void start() {
        int released = jdbc.inTransaction(c -> deliveries.releaseForeignClaims(c, nodeId));
        if (released > 0) {
            log.info("recovered {} deliveries that a previous process had in flight", released);
        }
        running = true;
        scanner = Thread.ofPlatform().name("herald-due-scanner").daemon().start(this::scanLoop);
    }

    /** Queues freshly committed deliveries (already claimed by this node) on their lanes. */
    public void submit(List<DeliveryTask> tasks) {
        List<String> overflow = new ArrayList<>();
        for (DeliveryTask t : tasks) {
            lanes.computeIfAbsent(t.endpointId(), Lane::new).offer(t, overflow);
        }
        release(overflow);
    }

    /** Wakes the scanner now, e.g. after a resend or an endpoint was re-enabled. */
    public void wake() {
        Thread s = scanner;
        if (s != null) {
            LockSupport.unpark(s);
        }
    }

    /** Drops the waiting work of an endpoint that was paused or deleted, handing it back to the database. */
    public void endpointChanged(String endpointId) {
        Lane lane = lanes.get(endpointId);
        boolean live = endpoints.get(endpointId).map(s -> s.endpoint().active()).orElse(false);
        if (lane != null && !live) {
            release(lane.drain());
        }
        if (live) {
            wake();
        }
    }

    /** Performs one try right now on the caller's thread (endpoint test); a failure is final, the streak untouched. */
    public TestResult sendNow(DeliveryTask task, EndpointRepository.Stored endpoint) {
        AttemptResult result = http.send(requests.build(task, endpoint, clock.instant()));
        DeliveryRecorder.Outcome o = recorder.record(task, endpoint.endpoint(), result, false);
        return new TestResult(task.deliveryId(), o.success(), result, o.errorClass());
    }

    /** The answer of a synchronous try. */
    public record TestResult(String deliveryId, boolean success, AttemptResult result, String errorClass) {}

    /** Number of tasks waiting or in flight on this node (for health and tests). */
    public int backlog() {
        return lanes.values().stream().mapToInt(Lane::size).sum();
    }

    private void scanLoop() {
        while (running) {
            try {
                int claimed = scanOnce();
                if (claimed < config.scanBatch()) {
                    LockSupport.parkNanos(config.scanInterval().toNanos());
                }
            } catch (RuntimeException e) {
                log.warn("due-scan failed; retrying in {}: {}", config.scanInterval(), e.toString());
                LockSupport.parkNanos(config.scanInterval().toNanos());
            }
        }
    }

    /** Claims due deliveries once; returns how many. Visible for tests that drive the clock. */
    public int scanOnce() {
        List<String> full = new ArrayList<>();
        lanes.forEach((id, lane) -> {
            if (lane.waiting() >= config.laneWindow()) {
                full.add(id);
            }
        });
        List<DeliveryTask> due = jdbc.inTransaction(c -> deliveries.claimDue(c, nodeId, clock.instant(), config.scanBatch(), full));
        submit(due);
        return due.size();
    }

    private void run(Lane lane, DeliveryTask task) {
        try {
            var stored = endpoints.get(task.endpointId()).filter(s -> s.endpoint().active());
            if (stored.isEmpty()) {
                release(List.of(task.deliveryId()));
                return;
            }
            AttemptResult result = http.send(requests.build(task, stored.get(), clock.instant()));
            DeliveryRecorder.Outcome outcome = recorder.record(task, stored.get().endpoint(), result, true);
            if (outcome.endpointDisabled()) {
                endpoints.reload();
                endpointChanged(task.endpointId());
            }
            if (!outcome.followUps().isEmpty()) {
                submit(outcome.followUps());
            }
        } catch (RuntimeException e) {
            log.error("delivery {} crashed its try; it stays claimed until restart", task.deliveryId(), e);
        } finally {
            lane.done();
        }
    }

    private void release(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        try {
            jdbc.inTransaction(c -> {
                deliveries.release(c, ids);
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("could not release {} deliveries; they are recovered at the next start: {}", ids.size(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        if (scanner != null) {
            LockSupport.unpark(scanner);
            try {
                scanner.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<String> waiting = new ArrayList<>();
        lanes.values().forEach(l -> waiting.addAll(l.drain()));
        workers.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        recorder.close();
        release(waiting);
    }

    /** One endpoint's queue and in-flight count; all state guarded by the lane's monitor. */
    private final class Lane {
        private final PriorityQueue<Queued> queue = new PriorityQueue<>(
                Comparator.comparingInt((Queued q) -> -q.task().priority()).thenComparingLong(Queued::order));
        private int inFlight;

        Lane(String endpointId) {}

        void offer(DeliveryTask task, List<String> overflow) {
            boolean start;
            synchronized (this) {
                start = inFlight < config.maxInFlightPerEndpoint();
                if (start) {
                    inFlight++;
                } else if (queue.size() < config.laneWindow()) {
                    queue.add(new Queued(task, arrival.incrementAndGet()));
                } else {
                    overflow.add(task.deliveryId());
                }
            }
            if (start) {
                workers.execute(() -> run(this, task));
            }
        }

        void done() {
            DeliveryTask next;
            synchronized (this) {
                Queued q = running ? queue.poll() : null;
                if (q == null) {
                    inFlight--;
                    return;
                }
                next = q.task();
            }
            workers.execute(() -> run(this, next));
        }

        synchronized List<String> drain() {
            List<String> ids = new ArrayList<>(queue.size());
            queue.forEach(q -> ids.add(q.task().deliveryId()));
            queue.clear();
            return ids;
        }

        synchronized int waiting() {
            return queue.size();
        }

        synchronized int size() {
            return queue.size() + inFlight;
        }
    }

    private record Queued(DeliveryTask task, long order) {}
}
