package dev.herald.delivery;

import dev.herald.endpoint.Endpoint;
import dev.herald.http.AttemptResult;
import dev.herald.http.OutboundRequest;

/**
 * Carries the tries of {@link Endpoint#listen() listen endpoints} to a {@code herald listen} connection instead of HTTP.
 * The dispatcher hands it the request it would have POSTed (same body, same headers and signatures) and records the
 * answer like any attempt. While no listener is {@link #connected}, the endpoint's deliveries wait in the database as a
 * paused endpoint's do: they are neither tried nor counted.
 */
public interface StreamTransport {

    /** True while a listener of {@code endpointId} is connected to this node. */
    boolean connected(String endpointId);

    /**
     * Hands one try to the endpoint's listener and waits, at most about the request's timeout, for the answer it got
     * from its local receiver.
     *
     * @throws Unanswered when no listener took the try, or its listener went away without answering: as far as Herald
     *                    knows the try did not happen, so the delivery goes back to wait, its retries untouched
     */
    AttemptResult send(DeliveryTask task, OutboundRequest request);

    /** A try that no listener answered (see {@link #send}). */
    final class Unanswered extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Unanswered(String reason) {
            super(reason, null, false, false);
        }
    }
}
