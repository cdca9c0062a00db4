package dev.herald.http;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One webhook POST to perform: target URL, headers (including Content-Type), raw body bytes, total timeout and the
 * outbound profile of its merchant or endpoint ({@code null}: the node's defaults).
 *
 * <p>The body array is not copied; callers must not mutate it after construction.
 */
public record OutboundRequest(URI url, Map<String, String> headers, byte[] body, Duration timeout, OutboundProfile profile) {

    public OutboundRequest {
        Objects.requireNonNull(url, "url");
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** A request using the node's default outbound settings. */
    public OutboundRequest(URI url, Map<String, String> headers, byte[] body, Duration timeout) {
        this(url, headers, body, timeout, null);
    }

    /** Returns this request sent with {@code profile} ({@code null}: the node's defaults). */
    public OutboundRequest withProfile(OutboundProfile profile) {
        return new OutboundRequest(url, headers, body, timeout, profile);
    }
}
