package dev.herald.delivery;

import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.http.OutboundRequest;
import dev.herald.sdk.WebhookSigner;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Builds the signed POST of one try (DESIGN §2): the stored body, classic and Standard Webhooks headers, custom headers. */
public final class WebhookRequests {
    private final String userAgent;

    public WebhookRequests(String userAgent) {
        this.userAgent = userAgent;
    }

    /** The request for one try of {@code task} at {@code now}; during a secret rotation both secrets sign. */
    public OutboundRequest build(DeliveryTask task, EndpointRepository.Stored stored, Instant now) {
        Endpoint e = stored.endpoint();
        long ts = now.getEpochSecond();
        List<String> secrets = stored.previousSecret() != null && stored.previousSecretUntil() != null && now.isBefore(stored.previousSecretUntil())
                ? List.of(e.secret(), stored.previousSecret())
                : List.of(e.secret());
        Map<String, String> h = new LinkedHashMap<>(e.headers());
        h.put("Content-Type", "application/json");
        h.put("User-Agent", userAgent);
        h.put("traceparent", "00-" + task.traceId() + "-" + spanId() + "-01");
        h.put("X-Webhook-ID", e.id());
        h.put("X-Webhook-Event", task.type());
        h.put("X-Webhook-Delivery", task.deliveryId());
        h.put("X-Webhook-Signature", WebhookSigner.classicSignature(e.secret(), task.payload()));
        h.put("webhook-id", task.eventId());
        h.put("webhook-timestamp", Long.toString(ts));
        h.put("webhook-signature", WebhookSigner.standardSignatures(secrets, task.eventId(), ts, task.payload()));
        return new OutboundRequest(e.url(), h, task.payload(), Duration.ofSeconds(e.timeoutSeconds()));
    }

    private static String spanId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong() | 1L);
    }
}
