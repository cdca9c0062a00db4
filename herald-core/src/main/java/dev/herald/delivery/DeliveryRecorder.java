package dev.herald.delivery;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.delivery.Delivery.Status;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.event.EventInput;
import dev.herald.event.EventTypes;
import dev.herald.http.AttemptResult;
import dev.herald.http.ErrorClass;
import dev.herald.metrics.EngineMetrics;
import dev.herald.store.GroupCommitter;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Decides what each try's result means (DESIGN §3) and records results in groups through a {@link GroupCommitter}: the
 * deliveries' new states, the attempt rows (a first try that succeeded stays in its delivery's row instead, see
 * {@link DeliveryRepository#finishTries}), the endpoints' failure streaks and — when an endpoint gets disabled — the
 * {@code endpoint.disabled} event, for many tries in one transaction. A caller returns only once its result is
 * durable. A try that happened must be recorded: while the database is unreachable the group is retried.
 */
final class DeliveryRecorder implements AutoCloseable {
    static final int EXCERPT_LIMIT = 4096;
    private static final int MAX_BATCH = 512;
    /** How long a results group that is not full waits for more results before it commits. */
    static final java.time.Duration RESULTS_LINGER = java.time.Duration.ofMillis(5);

    private final DeliveryRepository deliveries;
    private final EndpointRepository endpoints;
    private final EventWriter events;
    private final Clock clock;
    private final RandomGenerator random;
    private final int autoDisableAfter;
    private final String nodeId;
    private final GroupCommitter<Item, Outcome> committer;
    private final EngineMetrics metrics;

    DeliveryRecorder(Jdbc jdbc, DeliveryRepository deliveries, EndpointRepository endpoints, EventWriter events, Clock clock,
                     RandomGenerator random, int autoDisableAfter, String nodeId, EngineMetrics metrics) {
        this.metrics = metrics;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.events = events;
        this.clock = clock;
        this.random = random;
        this.autoDisableAfter = autoDisableAfter;
        this.nodeId = nodeId;
        // Results may linger: their tries are over (the receiver has the body), so a few milliseconds only delay the
        // try's lane slot, while at a trickle they save most of the transactions.
        this.committer = new GroupCommitter<>(jdbc, GroupCommitter.Config.retrying("results", MAX_BATCH).withLinger(RESULTS_LINGER), item -> 1,
                (c, batch) -> write(c, batch, clock.instant()));
    }

    /** The recorded consequence of one try; {@code followUps} are fresh deliveries (of endpoint.disabled) to dispatch. */
    record Outcome(boolean success, Status status, Instant nextAttemptAt, String errorClass, boolean endpointDisabled, List<DeliveryTask> followUps) {}

    private record Item(DeliveryTask task, Endpoint endpoint, AttemptResult result, boolean retry) {}

    /** Starts the writer. */
    void start() {
        committer.start();
    }

    /**
     * Records {@code result} for {@code task} and blocks until it is committed. With {@code retry} false (a test send)
     * a failure ends the delivery and the endpoint's streak is untouched. The try is counted (metrics and minute stats) once it is durable.
     */
    Outcome record(DeliveryTask task, Endpoint endpoint, AttemptResult result, boolean retry) {
        Outcome o = committer.commit(new Item(task, endpoint, result, retry));
        metrics.attempt(endpoint.id(), endpoint.merchantId(), result, o.success(), task.receivedAt());
        if (o.status() == Status.DELIVERED) {
            metrics.delivered(task.receivedAt(), result.startedAt().plus(result.duration()));
        } else if (o.status() == Status.FAILED) {
            metrics.failed();
        }
        return o;
    }

    private List<Outcome> write(Connection c, List<Item> batch, Instant now) throws SQLException {
        List<DeliveryRepository.TryResult> tries = new ArrayList<>(batch.size());
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        Map<String, Streak> streaks = new LinkedHashMap<>();
        for (Item it : batch) {
            AttemptResult r = it.result();
            boolean is2xx = r.gotResponse() && r.statusCode() >= 200 && r.statusCode() < 300;
            boolean success = is2xx && it.endpoint().ack().accepts(r.responseExcerpt());
            String errorClass = success ? null : (is2xx ? ErrorClass.ACK_MISMATCH : r.gotResponse() ? ErrorClass.HTTP_STATUS : r.transportError()).wireName();
            Integer code = r.gotResponse() ? r.statusCode() : null;
            Attempt attempt = new Attempt(it.task().deliveryId(), it.task().attempts() + 1, r.startedAt(),
                    (int) Math.min(Integer.MAX_VALUE, r.duration().toMillis()), code, errorClass,
                    truncate(r.errorMessage(), 1000), truncate(r.responseExcerpt(), EXCERPT_LIMIT), clean(r.responseHeaders()));
            Instant next = success || !it.retry() ? null
                    : it.endpoint().retryPolicy().nextDelay(it.task().roundAttempts() + 1, retryAfter(r, now), random).map(now::plus).orElse(null);
            Status status = success ? Status.DELIVERED : next != null ? Status.PENDING : Status.FAILED;
            String error = success ? null : errorClass + ": " + (is2xx ? "HTTP " + r.statusCode() + " without the expected body '"
                    + it.endpoint().ack().body() + "'" : r.gotResponse() ? "HTTP " + r.statusCode() : r.errorMessage());
            tries.add(new DeliveryRepository.TryResult(it.task().deliveryId(), status, next, code, truncate(error, 1000), attempt, it.task().partDay()));
            outcomes.add(new Outcome(success, status, next, errorClass, false, List.of()));
            if (it.retry()) {
                streaks.computeIfAbsent(it.endpoint().id(), id -> new Streak(it.endpoint())).add(success, code);
            }
        }
        // One statement for the deliveries and the streaks. A first try that succeeded is kept in its delivery's row;
        // every other try gets an attempts row.
        DeliveryRepository.Finished finished = deliveries.finishTries(c, tries, streaks.values().stream()
                .map(s -> new EndpointRepository.StreakChange(s.endpoint.id(), s.reset, s.failures)).toList(), nodeId, now);
        Set<String> inRow = finished.inRow();
        List<Attempt> attempts = new ArrayList<>(tries.size() - inRow.size());
        List<java.time.LocalDate> partDays = new ArrayList<>(tries.size() - inRow.size());
        for (DeliveryRepository.TryResult t : tries) {
            if (!inRow.contains(t.deliveryId())) {
                attempts.add(t.attempt());
                partDays.add(t.partDay());
            }
        }
        if (!attempts.isEmpty()) {
            deliveries.insertAttempts(c, attempts, partDays);
        }
        if (streaks.isEmpty()) {
            return outcomes;
        }
        Map<String, Integer> current = finished.streaks();
        Map<String, List<DeliveryTask>> disabled = new HashMap<>();
        for (Streak s : streaks.values()) {
            int streak = current.getOrDefault(s.endpoint.id(), 0);
            String reason = s.gone ? "gone" : streak >= autoDisableAfter ? "consecutive_failures" : null;
            if (reason != null && endpoints.disable(c, s.endpoint.id(), reason, now)) {
                disabled.put(s.endpoint.id(), announceDisabled(c, s.endpoint, reason, streak, now));
            }
        }
        if (disabled.isEmpty()) {
            return outcomes;
        }
        List<Outcome> marked = new ArrayList<>(outcomes.size());
        Set<String> announced = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            Outcome o = outcomes.get(i);
            String endpointId = batch.get(i).endpoint().id();
            List<DeliveryTask> followUps = disabled.get(endpointId);
            marked.add(followUps == null ? o : new Outcome(o.success(), o.status(), o.nextAttemptAt(), o.errorClass(), true,
                    announced.add(endpointId) ? followUps : List.of()));
        }
        return marked;
    }

    /** What one batch did to one endpoint's failure streak, in try order. */
    private static final class Streak {
        final Endpoint endpoint;
        boolean reset;
        int failures;
        boolean gone;

        Streak(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        void add(boolean success, Integer code) {
            if (success) {
                reset = true;
                failures = 0;
                gone = false;
            } else {
                failures++;
                gone |= code != null && code == 410;
            }
        }
    }

    private List<DeliveryTask> announceDisabled(Connection c, Endpoint endpoint, String reason, int streak, Instant now) throws SQLException {
        ObjectNode data = JsonNodeFactory.instance.objectNode()
                .put("endpoint_id", endpoint.id())
                .put("name", endpoint.name())
                .put("url", endpoint.url().toString())
                .put("reason", reason)
                .put("consecutive_failures", streak);
        data.put("merchant_id", endpoint.merchantId());
        EventInput in = new EventInput(null, EventTypes.ENDPOINT_DISABLED, now, null, data, null, 9, null, endpoint.merchantId());
        // Only the merchant's other endpoints hear of it; the disabled one keeps its copy pending until re-enabled.
        return events.write(c, in, now, null).tasks();
    }

    /** A Retry-After hint on 429/503 (delta-seconds or HTTP-date), else null. */
    static Duration retryAfter(AttemptResult r, Instant now) {
        if (r.statusCode() != 429 && r.statusCode() != 503) {
            return null;
        }
        String v = r.responseHeaders().get("retry-after");
        if (v == null || v.isBlank()) {
            return null;
        }
        v = v.trim();
        try {
            long s = Long.parseLong(v);
            return s < 0 ? null : Duration.ofSeconds(Math.min(s, 7 * 86400L));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    /** At most {@code max} characters of {@code s}, without NUL (which a receiver may send but PostgreSQL text cannot hold). */
    private static String truncate(String s, int max) {
        if (s == null) {
            return null;
        }
        String clean = s.indexOf('\0') < 0 ? s : s.replace("\0", "");
        return clean.length() <= max ? clean : clean.substring(0, max);
    }

    private static Map<String, String> clean(Map<String, String> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        headers.forEach((k, v) -> out.put(truncate(k, 200), truncate(v, 1024)));
        return out;
    }

    /** Finishes what is queued, then stops the writer. */
    @Override
    public void close() {
        committer.close();
    }
}
