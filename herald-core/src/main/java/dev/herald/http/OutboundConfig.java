package dev.herald.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings for outbound webhook HTTP: SSRF policy, scheme policy, pool size, connect timeout, User-Agent, the
 * node-wide egress proxy ({@code null}: connect directly) and whether merchants may list loopback networks among their
 * private networks ({@code allowLoopbackNetworks}; {@code allowPrivateAddresses} opens everything anyway). The egress
 * proxy is the operator's own and trusted: its address is not checked against the address policy, while every
 * destination tunnelled through it is.
 */
public record OutboundConfig(
        boolean allowPrivateAddresses,
        boolean httpsOnly,
        int maxConnectionsPerDestination,
        Duration connectTimeout,
        String userAgent,
        ProxySettings egressProxy,
        boolean allowLoopbackNetworks) {

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

    /** A configuration not letting merchants list loopback networks. */
    public OutboundConfig(boolean allowPrivateAddresses, boolean httpsOnly, int maxConnectionsPerDestination,
            Duration connectTimeout, String userAgent, ProxySettings egressProxy) {
        this(allowPrivateAddresses, httpsOnly, maxConnectionsPerDestination, connectTimeout, userAgent, egressProxy, false);
    }

    /** A configuration connecting directly (no egress proxy). */
    public OutboundConfig(boolean allowPrivateAddresses, boolean httpsOnly, int maxConnectionsPerDestination,
            Duration connectTimeout, String userAgent) {
        this(allowPrivateAddresses, httpsOnly, maxConnectionsPerDestination, connectTimeout, userAgent, null);
    }

    /** Returns the production defaults: private addresses blocked, http allowed, 64 connections, 5 s connect timeout, no proxy. */
    public static OutboundConfig defaults() {
        return new OutboundConfig(false, false, 64, Duration.ofSeconds(5), "Herald-Webhook/0.1.0", null);
    }

    /** Returns this configuration sending every webhook through {@code proxy} ({@code null}: directly). */
    public OutboundConfig withEgressProxy(ProxySettings proxy) {
        return new OutboundConfig(allowPrivateAddresses, httpsOnly, maxConnectionsPerDestination, connectTimeout, userAgent, proxy,
                allowLoopbackNetworks);
    }

    /** Returns this configuration letting merchants list loopback networks among their private networks, or not. */
    public OutboundConfig withLoopbackNetworks(boolean allowed) {
        return new OutboundConfig(allowPrivateAddresses, httpsOnly, maxConnectionsPerDestination, connectTimeout, userAgent, egressProxy, allowed);
    }
}
