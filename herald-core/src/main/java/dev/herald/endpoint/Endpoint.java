package dev.herald.endpoint;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import dev.herald.event.EventTypes;

/**
 * A subscribed URL of a merchant, as stored. {@code merchantId} is null for the operator's own endpoints; {@code fifo}
 * endpoints get the deliveries of one ordering key strictly in ingest order; {@code notification} endpoints are the hidden
 * targets of {@code notify_url} callbacks and match no event type; {@code rateLimit} (requests a second) is null when unlimited; {@code partition} (0-63, -1 before it is stored)
 * decides which node's lane sends to it.
 */
public record Endpoint(
        String id,
        String merchantId,
        String name,
        String description,
        URI url,
        List<String> events,
        Map<String, String> headers,
        String secret,
        boolean active,
        String disabledReason,
        RetryPolicy retryPolicy,
        int timeoutSeconds,
        int consecutiveFailures,
        Instant createdAt,
        Instant updatedAt,
        boolean fifo,
        AckRule ack,
        boolean notification,
        Integer rateLimit,
        int partition) {

    /** An endpoint not yet stored: its partition is assigned by the database. */
    public Endpoint(String id, String merchantId, String name, String description, URI url, List<String> events, Map<String, String> headers,
                    String secret, boolean active, String disabledReason, RetryPolicy retryPolicy, int timeoutSeconds,
                    int consecutiveFailures, Instant createdAt, Instant updatedAt, boolean fifo, AckRule ack, boolean notification,
                    Integer rateLimit) {
        this(id, merchantId, name, description, url, events, headers, secret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, updatedAt, fifo, ack, notification, rateLimit, -1);
    }

    /** A webhook endpoint that acknowledges with any 2xx. */
    public Endpoint(String id, String merchantId, String name, String description, URI url, List<String> events, Map<String, String> headers,
                    String secret, boolean active, String disabledReason, RetryPolicy retryPolicy, int timeoutSeconds,
                    int consecutiveFailures, Instant createdAt, Instant updatedAt, boolean fifo) {
        this(id, merchantId, name, description, url, events, headers, secret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, updatedAt, fifo, AckRule.ANY_2XX, false, null, -1);
    }

    /**
     * True when this endpoint subscribes to {@code type} and may receive an event aimed at {@code targetMerchant}
     * (null = every merchant; for operational events null means the operator's own endpoints only).
     */
    public boolean wants(String type, String targetMerchant) {
        boolean operational = type.equals(EventTypes.ENDPOINT_DISABLED);
        if (operational ? !Objects.equals(targetMerchant, merchantId) : targetMerchant != null && !targetMerchant.equals(merchantId)) {
            return false;
        }
        return EventPatterns.matches(events, type);
    }

    @Override
    public String toString() {
        return "Endpoint[id=" + id + ", url=" + url + ", active=" + active + "]";
    }
}
