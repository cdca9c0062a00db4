package dev.herald.endpoint;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import dev.herald.event.EventTypes;
import dev.herald.http.TlsSettings;
import dev.herald.sdk.SignatureSchemes;

/**
 * A subscribed URL of a merchant, as stored. {@code merchantId} is null for the operator's own endpoints; {@code fifo}
 * endpoints get the deliveries of one ordering key strictly in ingest order; {@code notification} endpoints are the hidden
 * targets of {@code notify_url} callbacks and match no event type; {@code rateLimit} (requests a second) is null when unlimited; {@code partition} (0-63, -1 before it is stored)
 * decides which node's lane sends to it; {@code signatureSchemes} sign its requests and {@code sealed} bodies carry the
 * event's data encrypted under its merchant's payload key; {@code tls} (null: its merchant's) overrides how Herald's
 * TLS client presents itself to and trusts this receiver.
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
        int partition,
        SignatureSchemes signatureSchemes,
        boolean sealed,
        TlsSettings tls) {

    public Endpoint {
        Objects.requireNonNull(signatureSchemes, "signatureSchemes");
    }

    /** Header names Herald sets on every request; an endpoint's custom headers may not use them. */
    public static final Set<String> RESERVED_HEADERS = Set.of("content-type", "content-length", "user-agent", "traceparent", "tracestate",
            "host", "connection", "transfer-encoding", "x-webhook-id", "x-webhook-event", "x-webhook-delivery", "x-webhook-signature",
            "webhook-id", "webhook-timestamp", "webhook-signature", "webhook-signature-rsa");

    /**
     * How a custom header's value reads back: values are write-only (they often hold credentials such as
     * {@code Authorization: Bearer …}). Sent back in a change, it keeps the stored value of that header.
     */
    public static final String MASKED_HEADER_VALUE = "********";

    /** The URL scheme of an endpoint fed by a {@code herald listen} connection instead of HTTP: {@code listen:<name>}. */
    public static final String LISTEN_SCHEME = "listen";

    /** True when this endpoint's tries go to a {@code herald listen} connection (its URL is {@code listen:<name>}), not over HTTP. */
    public boolean listen() {
        return LISTEN_SCHEME.equals(url.getScheme());
    }

    /** True when {@code name} is one of the headers Herald controls. */
    public static boolean isReservedHeader(String name) {
        return RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }

    /** An endpoint not yet stored: its partition is assigned by the database. */
    public Endpoint(String id, String merchantId, String name, String description, URI url, List<String> events, Map<String, String> headers,
                    String secret, boolean active, String disabledReason, RetryPolicy retryPolicy, int timeoutSeconds,
                    int consecutiveFailures, Instant createdAt, Instant updatedAt, boolean fifo, AckRule ack, boolean notification,
                    Integer rateLimit) {
        this(id, merchantId, name, description, url, events, headers, secret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, updatedAt, fifo, ack, notification, rateLimit, -1, SignatureSchemes.DEFAULT, false, null);
    }

    /** This endpoint signed with {@code schemes}, its bodies sealed or not. */
    public Endpoint withSigning(SignatureSchemes schemes, boolean sealedBodies) {
        return new Endpoint(id, merchantId, name, description, url, events, headers, secret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, updatedAt, fifo, ack, notification, rateLimit, partition, schemes, sealedBodies, tls);
    }

    /** This endpoint with its own TLS settings ({@code null}: its merchant's). */
    public Endpoint withTls(TlsSettings settings) {
        return new Endpoint(id, merchantId, name, description, url, events, headers, secret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, updatedAt, fifo, ack, notification, rateLimit, partition, signatureSchemes, sealed, settings);
    }

    /** This endpoint signing with {@code newSecret}, changed at {@code at}. */
    public Endpoint withSecret(String newSecret, Instant at) {
        return new Endpoint(id, merchantId, name, description, url, events, headers, newSecret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, at, fifo, ack, notification, rateLimit, partition, signatureSchemes, sealed, tls);
    }

    /** A webhook endpoint that acknowledges with any 2xx. */
    public Endpoint(String id, String merchantId, String name, String description, URI url, List<String> events, Map<String, String> headers,
                    String secret, boolean active, String disabledReason, RetryPolicy retryPolicy, int timeoutSeconds,
                    int consecutiveFailures, Instant createdAt, Instant updatedAt, boolean fifo) {
        this(id, merchantId, name, description, url, events, headers, secret, active, disabledReason, retryPolicy, timeoutSeconds,
                consecutiveFailures, createdAt, updatedAt, fifo, AckRule.ANY_2XX, false, null, -1, SignatureSchemes.DEFAULT, false, null);
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
