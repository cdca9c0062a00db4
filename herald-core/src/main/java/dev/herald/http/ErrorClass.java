package dev.herald.http;

import java.util.Locale;

/** Why an attempt did not produce an acceptable acknowledgement; {@link #wireName()} is the stable external spelling. */
public enum ErrorClass {
    TIMEOUT, CONNECT, TLS, BLOCKED_ADDRESS, NETWORK, HTTP_STATUS, ACK_MISMATCH, INVALID_URL;

    /** Returns the lower snake case name used in APIs and storage, e.g. {@code "blocked_address"}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
