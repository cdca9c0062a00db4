package dev.herald.delivery;

import dev.herald.http.AttemptResult;
import dev.herald.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.Locale;
import org.slf4j.MDC;

/**
 * What one try leaves for observers: the MDC ({@code trace_id}, {@code delivery_id}, {@code endpoint_id},
 * {@code merchant_id}) for logs made meanwhile on the try's thread, and with tracing on the {@code herald.delivery}
 * span and its {@code herald.attempt} child. Open it on the try's thread and close it there.
 */
final class TryTrace implements AutoCloseable {
    private static final String[] MDC_KEYS = {"trace_id", "delivery_id", "endpoint_id", "merchant_id"};

    private final Tracing tracing;
    private final Span delivery;
    private Span attempt = Span.getInvalid();

    private TryTrace(Tracing tracing, DeliveryTask task, String merchantId) {
        this.tracing = tracing;
        MDC.put("trace_id", task.traceId());
        MDC.put("delivery_id", task.deliveryId());
        MDC.put("endpoint_id", task.endpointId());
        if (merchantId != null) {
            MDC.put("merchant_id", merchantId);
        }
        this.delivery = tracing.delivery(task.traceId(), task.traceparent());
        if (tracing.on()) {
            delivery.setAttribute(Tracing.DELIVERY_ID, task.deliveryId());
            delivery.setAttribute(Tracing.EVENT_ID, task.eventId());
            delivery.setAttribute(Tracing.EVENT_TYPE, task.type());
            delivery.setAttribute(Tracing.ENDPOINT_ID, task.endpointId());
            delivery.setAttribute(Tracing.ATTEMPT_NUMBER, task.attempts() + 1L);
            if (merchantId != null) {
                delivery.setAttribute(Tracing.MERCHANT_ID, merchantId);
            }
        }
    }

    /** Starts tracing a try of {@code task} to an endpoint of {@code merchantId} (null: none). */
    static TryTrace open(Tracing tracing, DeliveryTask task, String merchantId) {
        return new TryTrace(tracing, task, merchantId);
    }

    /** Starts the attempt span; returns the {@code traceparent} the request carries (null with tracing off). */
    String attemptStarts() {
        attempt = tracing.attempt(delivery);
        return Tracing.traceparent(attempt);
    }

    /** Ends the attempt span with what the HTTP call got ({@code result} null: it threw). */
    void attemptEnded(AttemptResult result) {
        if (tracing.on()) {
            if (result == null) {
                attempt.setStatus(StatusCode.ERROR, "not sent");
            } else if (result.transportError() != null) {
                attempt.setAttribute(Tracing.ERROR_CLASS, result.transportError().name().toLowerCase(Locale.ROOT));
                attempt.setStatus(StatusCode.ERROR, result.transportError().name());
            } else {
                attempt.setAttribute(Tracing.HTTP_STATUS, result.statusCode());
                if (result.statusCode() >= 400) {
                    attempt.setStatus(StatusCode.ERROR);
                }
            }
        }
        attempt.end();
    }

    /** Notes on the delivery span what the try came to. */
    void recorded(AttemptResult result, DeliveryRecorder.Outcome o) {
        if (!tracing.on()) {
            return;
        }
        delivery.setAttribute(Tracing.OUTCOME, switch (o.status()) {
            case DELIVERED -> "delivered";
            case PENDING -> "retry";
            default -> "failed";
        });
        if (result.gotResponse()) {
            delivery.setAttribute(Tracing.HTTP_STATUS, result.statusCode());
        }
        if (o.errorClass() != null) {
            delivery.setAttribute(Tracing.ERROR_CLASS, o.errorClass());
            delivery.setStatus(StatusCode.ERROR, o.errorClass());
        }
    }

    /** Marks the try as broken off by {@code e} (not sent, or not recorded). */
    void failed(RuntimeException e) {
        delivery.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
    }

    /** Ends the delivery span and clears the MDC. */
    @Override
    public void close() {
        delivery.end();
        for (String key : MDC_KEYS) {
            MDC.remove(key);
        }
    }
}
