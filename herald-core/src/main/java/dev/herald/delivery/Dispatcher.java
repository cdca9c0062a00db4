package dev.herald.delivery;

import dev.herald.endpoint.EndpointRegistry;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.endpoint.Signing;
import dev.herald.http.OutboundRequest;
import dev.herald.http.AttemptResult;
import dev.herald.http.WebhookHttpClient;
import dev.herald.metrics.EngineMetrics;
import dev.herald.store.Jdbc;
import dev.herald.tracing.Tracing;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends claimed deliveries through per-endpoint {@link Lane}s, one virtual thread per try. Fresh deliveries arrive from
 * ingest already claimed; a scanner claims due retries and released work from the database, skipping saturated lanes
 * so a slow endpoint's backlog never crowds out the others.
 */
public final class Dispatcher implements EndpointService.Lifecycle, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Default node heartbeat: a node stops sending two beats before its lease ends (see {@link NodeLiveness#owns}). */
    public static final Duration HEARTBEAT = Duration.ofSeconds(1);
    /** Default silence after which a node is presumed dead and its partitions are taken over. */
    public static final Duration DEAD_AFTER = Duration.ofSeconds(7);

    /**
     * Engine limits. {@code maxInFlightPerMerchant} caps the tries in flight across all endpoints of one merchant that
     * set no cap of its own.
     * {@code memoryBudget} caps the tasks waiting in memory across all lanes, split evenly among the lanes with work
     * (each may always hold {@code maxInFlightPerEndpoint}; see {@link MemoryBudget}). A node heartbeats every
     * {@code heartbeat}; one silent for {@code deadAfter} is presumed dead and its work taken over. The breaker opens after {@code breakerThreshold} consecutive failures and probes again after
     * {@code breakerCooldown}, doubling up to ten times that. With {@code merchantAllowList}, only merchants on the
     * allow-list receive.
     */
    public record Config(int maxInFlightPerEndpoint, int maxInFlightPerMerchant, int laneWindow, int memoryBudget, Duration scanInterval, int scanBatch,
                         int autoDisableAfter, int breakerThreshold, Duration breakerCooldown, Duration heartbeat, Duration deadAfter,
                         boolean merchantAllowList) {
        public Config {
            if (maxInFlightPerEndpoint < 1 || maxInFlightPerMerchant < 1 || laneWindow < 1 || memoryBudget < 1 || scanBatch < 1 || autoDisableAfter < 1 || breakerThreshold < 1) {
                throw new IllegalArgumentException("dispatcher limits must be positive");
            }
        }

        public static Config defaults() {
            return new Config(16, 64, 1000, 20_000, Duration.ofMillis(500), 500, 10, 5, Duration.ofSeconds(30), HEARTBEAT, DEAD_AFTER, false);
        }

        /** These limits, with only allow-listed merchants receiving or not. */
        public Config withMerchantAllowList(boolean on) {
            return new Config(maxInFlightPerEndpoint, maxInFlightPerMerchant, laneWindow, memoryBudget, scanInterval, scanBatch, autoDisableAfter,
                    breakerThreshold, breakerCooldown, heartbeat, deadAfter, on);
        }
    }

    /** What the API shows of an endpoint's breaker on this node. */
    public record Circuit(String state, int consecutiveFailures, Instant retryAt) {}

    private final Jdbc jdbc;
    private final DeliveryRepository deliveries;
    private final EndpointRegistry endpoints;
    private final WebhookHttpClient http;
    private final WebhookRequests requests;
    private final DeliveryRecorder recorder;
    private final NodeLiveness liveness;
    private final Tracing tracing;
    private final Clock clock;
    private final Config config;
    private final String nodeId;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, MerchantGate> gates = new ConcurrentHashMap<>();
    private final MemoryBudget budget;
    private final java.util.Set<String> pacing = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ScheduledExecutorService pacer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("herald-pacer").daemon().factory());
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final java.util.concurrent.atomic.AtomicInteger trying = new java.util.concurrent.atomic.AtomicInteger();
    private final EngineMetrics metrics;
    private volatile boolean running;
    private volatile StreamTransport streams;
    /** The last claim left due work behind (an endpoint gave all of its part): scan again without waiting. */
    private volatile boolean moreDue;
    private Thread scanner;

    public Dispatcher(Jdbc jdbc, DeliveryRepository deliveries, EndpointRepository endpointRepository, EndpointRegistry endpoints,
                      EventWriter eventWriter, WebhookHttpClient http, WebhookRequests requests, Clock clock,
                      RandomGenerator random, Config config, String nodeId, NodeLiveness liveness, EngineMetrics metrics,
                      Tracing tracing) {
        this.metrics = metrics;
        this.jdbc = jdbc;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.http = http;
        this.requests = requests;
        this.clock = clock;
        this.config = config;
        this.budget = new MemoryBudget(config.memoryBudget(), config.maxInFlightPerEndpoint());
        this.nodeId = nodeId;
        this.liveness = liveness;
        this.tracing = tracing;
        this.recorder = new DeliveryRecorder(jdbc, deliveries, endpointRepository, eventWriter, clock, random, config.autoDisableAfter(), nodeId, metrics);
    }

    /**
     * Sends the tries of listen endpoints through {@code transport} (call before {@link #start()}); without one their
     * deliveries wait.
     */
    public void streamTransport(StreamTransport transport) {
        this.streams = transport;
    }

    /** True when this node's lanes send {@code endpointId}'s deliveries now (it leases the endpoint's partition). */
    public boolean sends(String endpointId) {
        return endpoints.get(endpointId).map(s -> liveness.owns(s.endpoint().partition())).orElse(false);
    }

    /** True when {@code e} is a listen endpoint with no listener connected here: its deliveries wait, as a paused endpoint's. */
    private boolean awaitsListener(dev.herald.endpoint.Endpoint e) {
        if (!e.listen()) {
            return false;
        }
        StreamTransport t = streams;
        return t == null || !t.connected(e.id());
    }

    private boolean awaitsListener(String endpointId) {
        return endpoints.get(endpointId).map(s -> awaitsListener(s.endpoint())).orElse(false);
    }

    /** True when {@code e} may be sent to now: active, its merchant receiving, and a listener connected if it needs one. */
    private boolean live(dev.herald.endpoint.Endpoint e) {
        return e.active() && endpoints.receiving(e.merchantId()) && !awaitsListener(e);
    }

    /** Registers this node, takes over claims of nodes that are gone, and starts the due-scanner. */
    public void start() {
        recorder.start();
        liveness.register(this::idle);
        running = true;
        scanner = Thread.ofPlatform().name("herald-due-scanner").daemon().start(this::scanLoop);
    }

    /**
     * Whether a fresh delivery of {@code endpointId} would find room in its lane now, beyond {@code alreadyTaken} more
     * of the same batch ({@link EventWriter.Room}); a lane not made yet has the room of an empty one.
     */
    public boolean takes(String endpointId, int alreadyTaken) {
        if (awaitsListener(endpointId)) {
            return false; // written unclaimed: it waits for its listener in the database
        }
        Lane lane = lanes.get(endpointId);
        int waiting = lane == null ? 0 : lane.waiting();
        return budget.admits(waiting + alreadyTaken, alreadyTaken) && waiting + alreadyTaken < config.laneWindow();
    }

    /** Queues freshly committed deliveries (already claimed by this node) on their lanes. */
    public void submit(List<DeliveryTask> tasks) {
        offer(tasks, false);
    }

    private void offer(List<DeliveryTask> tasks, boolean fromScan) {
        Instant now = clock.instant();
        List<DeliveryTask> start = new ArrayList<>();
        List<String> release = new ArrayList<>();
        for (DeliveryTask t : tasks) {
            Lane lane = lane(t.endpointId());
            lane.offer(t, fifo(t.endpointId()), fromScan, now, start, release);
            startAll(start);
            pace(t.endpointId(), lane);
        }
        release(release);
    }

    private Lane lane(String endpointId) {
        return lanes.computeIfAbsent(endpointId, id -> {
            String merchant = endpoints.get(id).map(s -> s.endpoint().merchantId()).orElse(null);
            MerchantGate gate = merchant == null ? null : gates.computeIfAbsent(merchant,
                    m -> new MerchantGate(() -> endpoints.merchantCap(m).orElse(config.maxInFlightPerMerchant())));
            Lane lane = new Lane(config.maxInFlightPerEndpoint(), config.laneWindow(),
                    new CircuitBreaker(config.breakerThreshold(), config.breakerCooldown(), config.breakerCooldown().multipliedBy(10)),
                    budget, gate);
            lane.rateLimit(endpoints.get(id).map(s -> s.endpoint().rateLimit()).orElse(null), clock.instant());
            return lane;
        });
    }

    /** Schedules a pump for a lane whose waiting work is held back by its rate limit. */
    private void pace(String endpointId, Lane lane) {
        Instant now = clock.instant();
        Instant at = lane.nextPaceAt(now);
        if (at == null || !running || !pacing.add(endpointId)) {
            return;
        }
        long delayNanos = Math.max(100_000, Duration.between(now, at).toNanos());
        pacer.schedule(() -> {
            pacing.remove(endpointId);
            List<DeliveryTask> start = new ArrayList<>();
            lane.pump(clock.instant(), start);
            startAll(start);
            pace(endpointId, lane);
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    private int partition(String endpointId) {
        return endpoints.get(endpointId).map(s -> s.endpoint().partition()).orElse(-1);
    }

    /** True when nothing of {@code partition} is waiting or in flight on this node (it may be given up). */
    private boolean idle(int partition) {
        for (var e : lanes.entrySet()) {
            if (e.getValue().size() > 0 && partition(e.getKey()) == partition) {
                return false;
            }
        }
        return true;
    }

    private boolean fifo(String endpointId) {
        return endpoints.get(endpointId).map(s -> s.endpoint().fifo()).orElse(false);
    }

    private void startAll(List<DeliveryTask> start) {
        for (DeliveryTask t : start) {
            Lane lane = lane(t.endpointId());
            workers.execute(() -> run(lane, t));
        }
        start.clear();
    }

    /** Wakes the scanner now, e.g. after a resend or an endpoint was re-enabled. */
    public void wake() {
        Thread s = scanner;
        if (s != null) {
            LockSupport.unpark(s);
        }
    }

    @Override
    public void resumed(Connection c, String endpointId, Instant now) throws SQLException {
        deliveries.resumeEndpoint(c, endpointId, now);
    }

    @Override
    public void becameFifo(Connection c, String endpointId) throws SQLException {
        deliveries.adoptOrderingKeys(c, endpointId);
    }

    @Override
    public int deleted(Connection c, String endpointId, Instant now) throws SQLException {
        return deliveries.cancelPending(c, endpointId, now);
    }

    @Override
    public void cancelled(int count) {
        metrics.cancelled(count);
    }

    /** Drops the waiting work of an endpoint that was paused or deleted, handing it back to the database. */
    @Override
    public void changed(String endpointId) {
        Lane lane = lanes.get(endpointId);
        boolean live = endpoints.get(endpointId).map(s -> live(s.endpoint())).orElse(false);
        if (lane != null) {
            lane.rateLimit(endpoints.get(endpointId).map(s -> s.endpoint().rateLimit()).orElse(null), clock.instant());
        }
        if (lane != null && !live) {
            release(lane.drain());
        }
        if (live) {
            wake();
        }
    }

    /** The endpoint's breaker on this node, or empty if it has sent nothing here yet. */
    public Optional<Circuit> circuit(String endpointId) {
        return Optional.ofNullable(lanes.get(endpointId)).map(Lane::breaker)
                .map(b -> new Circuit(b.state().name().toLowerCase(java.util.Locale.ROOT), b.consecutiveFailures(), b.retryAt()));
    }

    /** Performs one try right now on the caller's thread (endpoint test); a failure is final, the streak untouched. */
    public TestResult sendNow(DeliveryTask task, EndpointRepository.Stored endpoint) {
        Tried t = attempt(task, endpoint, false);
        return new TestResult(task.deliveryId(), t.outcome().success(), t.result(), t.outcome().errorClass());
    }

    /**
     * Makes the first try of a fresh delivery on the caller's thread (sync notifications); unlike a test send, a failure
     * counts and continues on the retry schedule.
     */
    public TestResult sendSync(DeliveryTask task, EndpointRepository.Stored endpoint) {
        Tried t = attempt(task, endpoint, true);
        return new TestResult(task.deliveryId(), t.outcome().success(), t.result(), t.outcome().errorClass());
    }

    private record Tried(AttemptResult result, DeliveryRecorder.Outcome outcome) {}

    /**
     * Sends one try of {@code task} and records it ({@code counts}: toward the endpoint's streak and the retry
     * schedule), inside a {@code herald.delivery} span with a {@code herald.attempt} client span around the HTTP call
     * whose context the request's {@code traceparent} carries. Logs made meanwhile carry the ids in the MDC.
     */
    private Tried attempt(DeliveryTask task, EndpointRepository.Stored stored, boolean counts) {
        try (TryTrace trace = TryTrace.open(tracing, task, stored.endpoint().merchantId())) {
            try {
                AttemptResult result = null;
                trying.incrementAndGet();
                try {
                    OutboundRequest request = request(task, stored, trace.attemptStarts());
                    result = stored.endpoint().listen() ? viaListener(task, request, counts) : http.send(request);
                } finally {
                    trying.decrementAndGet();
                    trace.attemptEnded(result);
                }
                DeliveryRecorder.Outcome o = recorder.record(task, stored.endpoint(), result, counts);
                trace.recorded(result, o);
                if (o.endpointDisabled()) {
                    log.warn("endpoint {} disabled after this try ({}); its deliveries wait until it is enabled again", task.endpointId(),
                            o.errorClass());
                }
                return new Tried(result, o);
            } catch (RuntimeException e) {
                trace.failed(e);
                throw e;
            }
        }
    }

    /**
     * One try of a listen endpoint through its listener. A test try ({@code !counts}) that no listener answers fails as a
     * connect failure; a counted one throws {@link StreamTransport.Unanswered} and its delivery goes back to wait.
     */
    private AttemptResult viaListener(DeliveryTask task, OutboundRequest request, boolean counts) {
        StreamTransport t = streams;
        try {
            if (t == null) {
                throw new StreamTransport.Unanswered("this node carries no listen connections");
            }
            return t.send(task, request);
        } catch (StreamTransport.Unanswered e) {
            if (counts) {
                throw e;
            }
            return new AttemptResult(clock.instant(), Duration.ZERO, 0, dev.herald.http.ErrorClass.CONNECT,
                    "no herald listen connection took the try: " + e.getMessage(), null, java.util.Map.of());
        }
    }

    /**
     * The signed (and, for a sealed endpoint, sealed) request of one try of {@code task} to {@code stored}, now, sent
     * as its merchant's controls say (private networks, https, TLS, proxy).
     */
    private OutboundRequest request(DeliveryTask task, EndpointRepository.Stored stored, String traceparent) {
        Instant now = clock.instant();
        Signing s = endpoints.signing(stored.endpoint(), now);
        if (stored.endpoint().sealed() && s.payloadKey() == null) {
            throw new IllegalStateException("endpoint " + stored.endpoint().id() + " seals its bodies but its merchant has no payload key");
        }
        return requests.build(task, stored.endpoint(), SigningMaterial.of(stored, now, s.schemes(), s.keys(), s.payloadKey()), now, traceparent)
                .withProfile(endpoints.profile(stored.endpoint()));
    }

    /** The answer of a synchronous try. */
    public record TestResult(String deliveryId, boolean success, AttemptResult result, String errorClass) {}

    /** HTTP tries under way on this node's lanes (for metrics). */
    public int triesInFlight() {
        return trying.get();
    }

    /** Endpoints whose breaker on this node refuses work now (for metrics; one look at each lane). */
    public int openBreakers() {
        Instant now = clock.instant();
        int open = 0;
        for (Lane l : lanes.values()) {
            open += l.breakerOpen(now) ? 1 : 0;
        }
        return open;
    }

    /** Number of tasks waiting or in flight on this node (for health and tests). */
    public int backlog() {
        return lanes.values().stream().mapToInt(Lane::size).sum();
    }

    private void scanLoop() {
        while (running) {
            try {
                scanOnce();
                if (!moreDue) {
                    LockSupport.parkNanos(config.scanInterval().toNanos());
                }
            } catch (RuntimeException e) {
                log.warn("due-scan failed; retrying in {}: {}", config.scanInterval(), e.toString());
                LockSupport.parkNanos(config.scanInterval().toNanos());
            }
        }
    }

    /** Restarts lanes whose breaker cooled down, then claims due deliveries once; returns how many. Tests call it directly. */
    public int scanOnce() {
        moreDue = false;
        if (!liveness.tick(this::idle)) {
            // Declared dead while alive (a long pause): our claims were handed to others, so forget what we hold.
            lanes.values().forEach(Lane::drain);
            liveness.register(this::idle);
        }
        java.util.Set<Integer> owned = liveness.owned();
        lanes.forEach((id, lane) -> {
            if (!owned.contains(partition(id))) {
                release(lane.drain()); // another node leases this endpoint's partition now
            }
        });
        Instant now = clock.instant();
        List<String> saturated = new ArrayList<>();
        List<DeliveryTask> start = new ArrayList<>();
        lanes.forEach((id, lane) -> {
            lane.pump(now, start);
            if (lane.saturated(now) || awaitsListener(id)) {
                saturated.add(id);
            }
        });
        startAll(start);
        shedOverShare();
        int room = Math.min(config.scanBatch(), budget.room());
        if (room <= 0) {
            return 0;
        }
        if (owned.isEmpty()) {
            return 0;
        }
        int perEndpoint = Math.min(config.laneWindow(), budget.share());
        DeliveryRepository.Claimed due = jdbc.inTransaction(c -> deliveries.claimDue(c, nodeId, now, room, perEndpoint, saturated, owned,
                config.merchantAllowList()));
        moreDue = due.more();
        offer(due.tasks(), true);
        return due.tasks().size();
    }

    /** Splits the memory budget among the lanes with waiting work and hands back what a lane holds beyond its share. */
    private void shedOverShare() {
        budget.split((int) lanes.values().stream().filter(l -> l.waiting() > 0).count());
        List<String> shed = new ArrayList<>();
        lanes.values().forEach(l -> shed.addAll(l.shed(budget.share())));
        release(shed);
    }

    private void run(Lane lane, DeliveryTask task) {
        Lane.Finish how = Lane.Finish.NOT_SENT;
        try {
            var stored = endpoints.get(task.endpointId()).filter(s -> live(s.endpoint()) && liveness.owns(s.endpoint().partition()));
            if (stored.isEmpty()) {
                release(List.of(task.deliveryId()));
                if (endpoints.get(task.endpointId()).map(s -> live(s.endpoint())).orElse(false)) {
                    wake(); // re-enabled while this try was starting: a scan that ran meanwhile saw the delivery still claimed
                }
                return;
            }
            DeliveryRecorder.Outcome outcome = attempt(task, stored.get(), true).outcome();
            how = switch (outcome.status()) {
                case DELIVERED -> Lane.Finish.DELIVERED;
                case PENDING -> Lane.Finish.RETRY_LATER;
                default -> Lane.Finish.FAILED;
            };
            if (outcome.endpointDisabled()) {
                endpoints.refresh(task.endpointId());
                changed(task.endpointId());
            }
            if (!outcome.followUps().isEmpty()) {
                submit(outcome.followUps());
            }
        } catch (StreamTransport.Unanswered e) {
            log.debug("delivery {} was not answered by a listener ({}); it waits for the next", task.deliveryId(), e.getMessage());
            release(List.of(task.deliveryId()));
        } catch (RuntimeException e) {
            log.error("delivery {} could not be tried or recorded; it goes back to the database", task.deliveryId(), e);
            release(List.of(task.deliveryId()));
        } finally {
            List<DeliveryTask> start = new ArrayList<>();
            List<String> release = new ArrayList<>();
            lane.finished(task, fifo(task.endpointId()), how, clock.instant(), start, release);
            if (running) {
                startAll(start);
                pumpWaiting(lane.gate());
                pace(task.endpointId(), lane);
            } else {
                start.forEach(t -> release.add(t.deliveryId()));
            }
            release(release);
            if ((how == Lane.Finish.DELIVERED || how == Lane.Finish.FAILED) && task.orderingKey() != null && fifo(task.endpointId())) {
                wake(); // the key's next delivery may be waiting in the database
            }
        }
    }

    /** Pumps the lanes that the merchant cap held back, now that one of the merchant's tries ended. */
    private void pumpWaiting(MerchantGate gate) {
        if (gate == null) {
            return;
        }
        List<DeliveryTask> start = new ArrayList<>();
        for (Lane other : gate.takeWaiting()) {
            other.pump(clock.instant(), start);
            startAll(start);
        }
    }

    /** Tries in flight on this node for {@code merchantId}'s endpoints (for tests and metrics). */
    public int inFlightOfMerchant(String merchantId) {
        MerchantGate g = gates.get(merchantId);
        return g == null ? 0 : g.inFlight();
    }

    private void release(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        try {
            jdbc.inTransaction(c -> {
                deliveries.release(c, ids, nodeId);
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("could not release {} deliveries; they are recovered at the next start: {}", ids.size(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        pacer.shutdownNow();
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
        try {
            liveness.deregister();
        } catch (RuntimeException e) {
            log.warn("could not deregister node {}: {}", nodeId, e.toString());
        }
    }
}
