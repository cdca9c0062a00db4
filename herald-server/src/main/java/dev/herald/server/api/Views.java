package dev.herald.server.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.herald.delivery.Attempt;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.Endpoint;
import dev.herald.event.StoredEvent;
import dev.herald.ingest.IngestService;
import dev.herald.web.JsonInput;
import dev.herald.web.Responses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * JSON shapes of the API's resources. Secrets never appear here (only endpoint creation adds one), and custom header
 * values read back as {@link Endpoint#MASKED_HEADER_VALUE}.
 */
final class Views {
    /** Reads one member's value of a stored payload (the rest of the payload follows it). */
    private static final ObjectReader MEMBER = JsonInput.MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Views() {}

    static ObjectNode endpoint(Endpoint e) {
        ObjectNode n = Responses.obj()
                .put("id", e.id())
                .put("merchant_id", e.merchantId())
                .put("name", e.name())
                .put("description", e.description())
                .put("url", e.url().toString());
        e.events().forEach(n.putArray("events")::add);
        ObjectNode h = n.putObject("headers");
        e.headers().keySet().forEach(name -> h.put(name, Endpoint.MASKED_HEADER_VALUE));
        n.put("is_active", e.active())
                .put("disabled_reason", e.disabledReason())
                .put("retry_attempts", e.retryPolicy().attempts());
        Arrays.stream(e.retryPolicy().scheduleSeconds()).forEach(n.putArray("retry_schedule")::add);
        n.put("ordering", e.fifo() ? "fifo" : "none")
                .put("rate_limit", e.rateLimit())
                .put("retry_preset", e.retryPolicy().preset())
                .put("timeout_seconds", e.timeoutSeconds())
                .put("consecutive_failures", e.consecutiveFailures());
        e.signatureSchemes().names().forEach(n.putArray("signature_schemes")::add);
        TlsFields.put(n, e.tls());
        n.put("encryption", e.sealed() ? "aead_aes_256_gcm" : "none")
                .put("created_at", ts(e.createdAt()))
                .put("updated_at", ts(e.updatedAt()));
        return n;
    }

    /**
     * The event as its receivers get it, plus what Herald knows of it. Its {@code data} is the stored bytes, verbatim: the
     * producer's spelling of every number, escape and key order, never a re-serialisation of a parsed tree.
     */
    static ObjectNode event(StoredEvent e) {
        ObjectNode n = Responses.obj();
        byte[] payload = e.payload();
        try (JsonParser p = JsonInput.MAPPER.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("data") && p.currentToken() == JsonToken.START_OBJECT) {
                    int start = (int) p.currentTokenLocation().getByteOffset();
                    p.skipChildren();
                    int end = (int) p.currentLocation().getByteOffset();
                    n.putRawValue(name, new RawValue(new String(payload, start, end - start, StandardCharsets.UTF_8)));
                } else {
                    n.set(name, MEMBER.readTree(p));
                }
            }
        } catch (IOException ex) {
            throw new IllegalStateException("stored payload of " + e.id() + " is not a JSON object", ex);
        }
        n.put("received_at", ts(e.receivedAt()))
                .put("priority", e.priority())
                .put("trace_id", e.traceId())
                .put("ordering_key", e.orderingKey())
                .put("merchant_id", e.targetMerchant())
                .put("idempotency_key", e.idempotencyKey())
                .put("cursor", e.cursor());
        return n;
    }

    static ObjectNode delivery(Delivery d) {
        return Responses.obj()
                .put("id", d.id())
                .put("event_id", d.eventId())
                .put("event", d.eventType())
                .put("endpoint_id", d.endpointId())
                .put("merchant_id", d.merchantId())
                .put("status", d.status().wire())
                .put("attempts", d.attempts())
                .put("next_attempt_at", d.status() == Delivery.Status.PENDING ? ts(d.nextAttemptAt()) : null)
                .put("last_attempt_at", ts(d.lastAttemptAt()))
                .put("last_status_code", d.lastStatusCode())
                .put("last_error", d.lastError())
                .put("created_at", ts(d.createdAt()))
                .put("completed_at", ts(d.completedAt()));
    }

    static ObjectNode attempt(Attempt a) {
        ObjectNode n = Responses.obj()
                .put("attempt", a.attemptNo())
                .put("started_at", ts(a.startedAt()))
                .put("duration_ms", a.durationMs())
                .put("status_code", a.statusCode())
                .put("error_class", a.errorClass())
                .put("error_message", a.errorMessage())
                .put("response_excerpt", a.responseExcerpt());
        ObjectNode h = n.putObject("response_headers");
        if (a.responseHeaders() != null) {
            a.responseHeaders().forEach(h::put);
        }
        return n;
    }

    static ObjectNode testResult(Dispatcher.TestResult t) {
        ObjectNode n = Responses.obj()
                .put("delivery_id", t.deliveryId())
                .put("success", t.success())
                .put("status_code", t.result().gotResponse() ? t.result().statusCode() : null)
                .put("error_class", t.errorClass())
                .put("error_message", t.result().errorMessage())
                .put("duration_ms", t.result().duration().toMillis())
                .put("response_excerpt", t.result().responseExcerpt());
        return n;
    }

    static ObjectNode accepted(IngestService.Accepted a) {
        return Responses.obj().put("id", a.id()).put("deliveries", a.deliveries()).put("duplicate", a.duplicate());
    }

    private static String ts(Instant i) {
        return i == null ? null : i.toString();
    }

}
