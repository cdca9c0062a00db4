package dev.herald.server.api;

import dev.herald.audit.Actor;
import dev.herald.audit.AuditContext;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.Traceparent;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

/**
 * Who a request comes from, as the audit log records it: the authenticated key's id, name and merchant, the peer's IP
 * address (forwarding headers are not trusted) and the trace id of its {@code traceparent} header, or a new one.
 */
final class Caller {
    private Caller() {}

    /** The caller of {@code req}, which passed the auth filter. */
    static AuditContext of(ServerRequest req) {
        ApiKeyStore.Key key = Access.of(req).key();
        String trace = Traceparent.traceId(req.headers().first(HeaderNames.create("traceparent")).orElse(null)).orElseGet(Traceparent::newTraceId);
        return new AuditContext(new Actor(key.id(), key.name(), key.merchantId()), req.remotePeer().host(), trace);
    }
}
