package dev.herald.http;

import java.time.Duration;
import java.util.Objects;

/** Settings for outbound webhook HTTP: SSRF policy, scheme policy, pool size, connect timeout and User-Agent. */
public record OutboundConfig(
        boolean allowPrivateAddresses,
        boolean httpsOnly,
        int maxConnectionsPerDestination,
        Duration connectTimeout,
        String userAgent) {

    public OutboundConfig {
        if (maxConnectionsPerDestination < 1) {
            throw new IllegalArgumentException("maxConnectionsPerDestination must be >= 1");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive: " + connectTimeout);
        }
        Objects.requireNonNull(userAgent, "userAgent");
    }

    /** Returns the production defaults: private addresses blocked, http allowed, 64 connections, 5 s connect timeout. */
    public static OutboundConfig defaults() {
        return new OutboundConfig(false, false, 64, Duration.ofSeconds(5), "Herald-Webhook/0.1.0");
    }
}
