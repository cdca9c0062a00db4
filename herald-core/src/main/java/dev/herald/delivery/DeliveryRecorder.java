package dev.herald.delivery;

import dev.herald.delivery.Delivery.Status;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.event.EventInput;
import dev.herald.event.EventTypes;
import dev.herald.http.AttemptResult;
import dev.herald.ingest.EventWriter;
import dev.herald.store.Jdbc;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides what a try's result means (DESIGN §3) and records it in one transaction: the attempt row, the delivery's
 * new state, the endpoint's failure streak, and — when the endpoint gets disabled — the {@code endpoint.disabled} event.
 */
final class DeliveryRecorder {
    static final int EXCERPT_LIMIT = 4096;

    private final Jdbc jdbc;
    private final DeliveryRepository deliveries;
    private final EndpointRepository endpoints;
    private final EventWriter events;
    private final Clock clock;
    private final RandomGenerator random;
    private final int autoDisableAfter;

    DeliveryRecorder(Jdbc jdbc, DeliveryRepository deliveries, EndpointRepository endpoints, EventWriter events, Clock clock,
                     RandomGenerator random, int autoDisableAfter) {
        this.jdbc = jdbc;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.events = events;
        this.clock = clock;
        this.random = random;
        this.autoDisableAfter = autoDisableAfter;
    }

    /** The recorded consequence of one try; {@code followUps} are fresh deliveries (of endpoint.disabled) to dispatch. */
    record Outcome(boolean success, Status status, Instant nextAttemptAt, String errorClass, boolean endpointDisabled, List<DeliveryTask> followUps) {}

    /**
     * Records {@code result} for {@code task}. With {@code retry} false (a test send) a failure ends the delivery and the
     * endpoint's streak is untouched.
     */
    Outcome record(DeliveryTask task, Endpoint endpoint, AttemptResult result, boolean retry) {
        boolean success = result.gotResponse() && result.statusCode() >= 200 && result.statusCode() < 300;
        String errorClass = success ? null : result.gotResponse() ? "http_status" : result.transportError().wireName();
        String error = success ? null : result.gotResponse() ? "HTTP " + result.statusCode() : result.errorMessage();
        Instant now = clock.instant();
        return jdbc.inTransaction(c -> {
            deliveries.insertAttempt(c, new Attempt(task.deliveryId(), task.attempts() + 1, result.startedAt(),
                    (int) Math.min(Integer.MAX_VALUE, result.duration().toMillis()), result.gotResponse() ? result.statusCode() : null,
                    errorClass, truncate(result.errorMessage(), 1000), truncate(result.responseExcerpt(), EXCERPT_LIMIT), result.responseHeaders()));
            Integer code = result.gotResponse() ? result.statusCode() : null;
            if (success) {
                deliveries.finishTry(c, task.deliveryId(), Status.DELIVERED, null, now, code, null);
                if (retry) {
                    endpoints.recordSuccess(c, endpoint.id());
                }
                return new Outcome(true, Status.DELIVERED, null, null, false, List.of());
            }
            Optional<Duration> delay = retry
                    ? endpoint.retryPolicy().nextDelay(task.roundAttempts() + 1, retryAfter(result, now), random)
                    : Optional.empty();
            Instant next = delay.map(now::plus).orElse(null);
            Status status = next != null ? Status.PENDING : Status.FAILED;
            deliveries.finishTry(c, task.deliveryId(), status, next, now, code, errorClass + ": " + error);
            List<DeliveryTask> followUps = new ArrayList<>();
            boolean disabled = false;
            if (retry) {
                int streak = endpoints.recordFailure(c, endpoint.id());
                String reason = result.statusCode() == 410 ? "gone" : streak >= autoDisableAfter ? "consecutive_failures" : null;
                if (reason != null && endpoints.disable(c, endpoint.id(), reason, now)) {
                    disabled = true;
                    followUps.addAll(announceDisabled(c, endpoint, reason, streak, now));
                }
            }
            return new Outcome(false, status, next, errorClass, disabled, followUps);
        });
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

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
