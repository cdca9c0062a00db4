package dev.herald.audit;

import java.util.Objects;

/**
 * Who asks for a control-plane change and from where: every changing service method takes one, so no change can be made
 * without saying who made it. {@code clientAddress} is the peer's IP address; {@code traceId} the request's W3C trace id.
 */
public record AuditContext(Actor actor, String clientAddress, String traceId) {
    public AuditContext {
        Objects.requireNonNull(actor, "actor");
    }
}
