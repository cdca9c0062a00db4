package dev.herald.http;

import java.util.Locale;

/**
 * Why an attempt did not produce an acceptable acknowledgement; {@link #wireName()} is the stable external spelling.
 * {@link #TLS} covers every handshake failure (untrusted server, pin mismatch, protocol version, refused client
 * certificate); {@link #PROXY} means the egress proxy was unreachable, wanted credentials (407) or refused the tunnel.
 */
public enum ErrorClass {
    TIMEOUT, CONNECT, TLS, BLOCKED_ADDRESS, NETWORK, HTTP_STATUS, ACK_MISMATCH, INVALID_URL, PROXY;

    /** Returns the lower snake case name used in APIs and storage, e.g. {@code "blocked_address"}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
