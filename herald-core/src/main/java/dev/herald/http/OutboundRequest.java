package dev.herald.http;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One webhook POST to perform: target URL, headers (including Content-Type), raw body bytes and total timeout.
 *
 * <p>The body array is not copied; callers must not mutate it after construction.
 */
public record OutboundRequest(URI url, Map<String, String> headers, byte[] body, Duration timeout) {

    public OutboundRequest {
        Objects.requireNonNull(url, "url");
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }
}
