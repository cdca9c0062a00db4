package dev.herald.sdk;

import java.util.Objects;

/** Thrown when an incoming webhook fails verification; {@link #reason()} says why. */
public final class WebhookVerificationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why verification failed. */
    public enum Reason {
        /** A required signature, id or timestamp header is absent or blank. */
        MISSING_HEADER,
        /** {@code webhook-timestamp} is not a plain integer number of seconds. */
        INVALID_TIMESTAMP,
        /** The timestamp is further in the past than the tolerance allows. */
        TIMESTAMP_TOO_OLD,
        /** The timestamp is further in the future than the tolerance allows. */
        TIMESTAMP_TOO_NEW,
        /** Signatures were well formed but none matched. */
        NO_MATCHING_SIGNATURE,
        /** No signature matched and at least one could not be parsed. */
        MALFORMED_SIGNATURE,
        /** The body is not a sealed event: not a UTF-8 JSON object with an {@code id} and a {@code resource} object. */
        MALFORMED_BODY,
        /** The sealed {@code resource} does not open: wrong key, unknown algorithm, or ciphertext, nonce or associated data altered. */
        DECRYPTION_FAILED
    }

    private final Reason reason;

    /** Creates an exception for {@code reason} with a human-readable message. */
    public WebhookVerificationException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The machine-readable cause of the failure. */
    public Reason reason() {
        return reason;
    }
}
