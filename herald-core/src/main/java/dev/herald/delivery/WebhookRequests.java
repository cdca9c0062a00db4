package dev.herald.delivery;

import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.http.OutboundRequest;
import dev.herald.sdk.SignatureScheme;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.sdk.WebhookSigner;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builds the signed POST of one try (DESIGN §2): the stored body (sealed for an endpoint with a payload key), the
 * signature headers of the endpoint's schemes, custom headers.
 *
 * <p>Sealing happens here, at send time, on every try: the events table keeps the producer's event in clear, and the
 * sealed body is derived from it and the endpoint's key. Sealing is deterministic (see {@link dev.herald.sdk.PayloadKey}),
 * so every try of a delivery sends the same sealed bytes; only {@code webhook-timestamp} and the signatures over it
 * change between tries.
 */
public final class WebhookRequests {
    private final String userAgent;

    public WebhookRequests(String userAgent) {
        this.userAgent = userAgent;
    }

    /** The request for one try of {@code task} at {@code now} with the default schemes; during a secret rotation both secrets sign. */
    public OutboundRequest build(DeliveryTask task, EndpointRepository.Stored stored, Instant now) {
        return build(task, stored.endpoint(), SigningMaterial.hmacOnly(stored, now), now);
    }

    /**
     * The request for one try of {@code task} to {@code e} at {@code now}, signed (and sealed, with a payload key) with
     * {@code material}. The signed content is {@code eventId.timestamp.body} where body is the bytes sent (sealed, if so).
     *
     * @throws IllegalArgumentException if a scheme has no secret or key to sign with, or a body to seal is not a Herald
     *                                  event body
     */
    public OutboundRequest build(DeliveryTask task, Endpoint e, SigningMaterial material, Instant now) {
        return build(task, e, material, now, null);
    }

    /**
     * As {@link #build(DeliveryTask, Endpoint, SigningMaterial, Instant)}, sending {@code traceparent} (the try's attempt
     * span) so the receiver joins the trace; null sends the event's trace id under a fresh span id.
     */
    public OutboundRequest build(DeliveryTask task, Endpoint e, SigningMaterial material, Instant now, String traceparent) {
        byte[] body = material.payloadKey() == null ? task.payload() : material.payloadKey().sealBody(task.payload());
        Map<String, String> h = unsigned(e, e.headers(), task.type(), task.deliveryId(),
                traceparent != null ? traceparent : "00-" + task.traceId() + "-" + spanId() + "-01");
        h.putAll(WebhookSigner.signatureHeaders(material.schemes(), material.secrets(), material.keys(), task.eventId(),
                now.getEpochSecond(), body));
        return new OutboundRequest(e.url(), h, body, Duration.ofSeconds(e.timeoutSeconds()));
    }

    /**
     * The request a try of delivery {@code deliveryId} (event {@code eventId} of {@code type}) to {@code e} sends, as an
     * operator may see it: the body and every header, except that custom header values read as
     * {@link Endpoint#MASKED_HEADER_VALUE} and the values that each try computes anew (trace span, timestamp,
     * signatures) read as {@link #PER_TRY}. {@code body} is the stored event; an endpoint with a payload key receives it
     * sealed.
     */
    public OutboundRequest shown(Endpoint e, String eventId, String type, String deliveryId, byte[] body) {
        Map<String, String> custom = new LinkedHashMap<>();
        e.headers().keySet().forEach(name -> custom.put(name, Endpoint.MASKED_HEADER_VALUE));
        Map<String, String> h = unsigned(e, custom, type, deliveryId, PER_TRY);
        SignatureSchemes schemes = e.signatureSchemes();
        if (schemes.has(SignatureScheme.SHA256)) {
            h.put(WebhookSigner.HEADER_CLASSIC, PER_TRY);
        }
        if (schemes.sendsStandardHeaders()) {
            h.put(WebhookSigner.HEADER_ID, eventId);
            h.put(WebhookSigner.HEADER_TIMESTAMP, PER_TRY);
        }
        if (schemes.has(SignatureScheme.V1) || schemes.has(SignatureScheme.V1A)) {
            h.put(WebhookSigner.HEADER_SIGNATURE, PER_TRY);
        }
        if (schemes.has(SignatureScheme.RSA_SHA256)) {
            h.put(WebhookSigner.HEADER_RSA_SIGNATURE, PER_TRY);
        }
        return new OutboundRequest(e.url(), h, body, Duration.ofSeconds(e.timeoutSeconds()));
    }

    /** The value shown for a header that each try computes anew. */
    public static final String PER_TRY = "(computed at each try)";

    private Map<String, String> unsigned(Endpoint e, Map<String, String> custom, String type, String deliveryId, String traceparent) {
        Map<String, String> h = new LinkedHashMap<>(custom);
        h.put("Content-Type", "application/json");
        h.put("User-Agent", userAgent);
        h.put("traceparent", traceparent);
        h.put("X-Webhook-ID", e.id());
        h.put("X-Webhook-Event", type);
        h.put("X-Webhook-Delivery", deliveryId);
        return h;
    }

    private static String spanId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong() | 1L);
    }
}
