package dev.herald.web;

import dev.herald.store.StoreException;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * How every API answers a failure: a {@link Problem} as it is; a value the database refuses as 422 (retrying cannot
 * help); a database that is not answering as 503 with {@code Retry-After}; anything else as a 500 whose cause is logged
 * and never shown. Log lines name the method and path, never the request's values, and carry the trace id of the
 * request's {@code traceparent} (MDC {@code trace_id}).
 */
public final class Problems {
    private static final Logger log = LoggerFactory.getLogger(Problems.class);
    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");

    private Problems() {}

    /** The problem answering {@code e} on {@code req}, logged as it deserves. */
    public static Problem of(Throwable e, ServerRequest req) {
        if (e instanceof Problem p) {
            return p;
        }
        String where = req.prologue().method().text() + " " + req.path().path();
        String traceId = traceId(req);
        if (traceId != null) {
            MDC.put("trace_id", traceId);
        }
        try {
            return logged(e, where);
        } finally {
            if (traceId != null) {
                MDC.remove("trace_id");
            }
        }
    }

    /** The trace id of the request's W3C {@code traceparent} header, or null when it has none or a malformed one. */
    static String traceId(ServerRequest req) {
        String tp = req.headers().first(TRACEPARENT).orElse(null);
        if (tp == null || tp.length() < 55 || tp.charAt(2) != '-' || tp.charAt(35) != '-') {
            return null;
        }
        String id = tp.substring(3, 35);
        for (int i = 0; i < id.length(); i++) {
            char ch = id.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f')) {
                return null;
            }
        }
        return id.equals("00000000000000000000000000000000") ? null : id;
    }

    private static Problem logged(Throwable e, String where) {
        if (e instanceof StoreException s) {
            if (s.refusedInput()) {
                log.warn("database refused a value on {} (SQLState {})", where, s.sqlState());
                return Problem.invalid("a value in the request cannot be stored", null);
            }
            log.warn("database error on {}: {}", where, s.getMessage());
            return new Problem(503, "Service unavailable", "the database is not answering; nothing was changed, retry", null);
        }
        if (ClientFaults.isClientFault(e)) { // the client broke the connection: nothing to log with a stack trace
            ConnectionGuard.noteFault("connection broke during " + where + " (" + ClientFaults.describe(e) + ")");
            return Problem.badRequest("the request could not be read", null);
        }
        log.error("unexpected error on {}", where, e);
        return new Problem(500, "Internal error", "an unexpected error occurred; it was logged", null);
    }

    /** Sends the answer to {@code e} ({@code Retry-After: 1} on a 503). */
    public static void send(ServerRequest req, ServerResponse res, Throwable e) {
        answer(res, of(e, req));
    }

    /**
     * Sends {@code p} as the answer to a failed request ({@code Retry-After: 1} on a 503), from an error handler. An answer
     * that cannot go out, or after which the rest of a broken request cannot be read, ends the connection quietly
     * instead of as a logged exception.
     */
    public static void answer(ServerResponse res, Problem p) {
        if (p.status() == 503) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        try {
            Responses.problem(res, p);
        } catch (RuntimeException sendFailed) {
            if (res.isSent()) {
                // The answer went out; what failed is reading the rest of a broken request (e.g. a malformed chunk).
                // Helidon closes the connection when it cannot consume that rest; throwing here would only make it
                // log the original exception as "cannot send error response".
                ConnectionGuard.noteFault("the rest of the request could not be read after answering " + p.status());
                return;
            }
            if (ClientFaults.isClientFault(sendFailed)) { // nobody is listening: end the connection quietly
                ConnectionGuard.noteFault("answer could not be sent (" + ClientFaults.describe(sendFailed) + ")");
                throw new CloseConnectionException("the error answer could not be sent", sendFailed);
            }
            throw sendFailed;
        }
    }

    /** Registers the mapping for every exception a route throws; call after the routes. */
    public static void register(HttpRouting.Builder r) {
        r.error(Exception.class, Problems::send);
    }

    /**
     * Problem+json for what the web server answers itself before routing: a body beyond the transport limit, an
     * unparseable request. The detail is fixed text, so nothing about the failure leaks.
     */
    public static DirectHandler directHandler(long maxBodyBytes) {
        return (req, type, status, headers, message) -> {
            boolean tooLarge = status.code() == 413; // Helidon reports its payload limit as BAD_REQUEST with status 413
            String detail = tooLarge ? "request body exceeds the limit of " + maxBodyBytes + " bytes" : switch (type) {
                case BAD_REQUEST -> "the HTTP request is malformed";
                case HTTP_VERSION_NOT_SUPPORTED -> "only HTTP/1.1 is supported";
                case INTERNAL_ERROR -> "an unexpected error occurred; it was logged";
                default -> status.reasonPhrase();
            };
            String title = tooLarge ? "Content too large" : status.reasonPhrase();
            if (type != DirectHandler.EventType.INTERNAL_ERROR) { // an internal error is judged where it is logged
                ConnectionGuard.noteFault("refused by the transport: " + status.code() + " " + detail);
            }
            return DirectHandler.TransportResponse.builder()
                    .status(status)
                    .headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/problem+json")
                    .entity(Responses.problemBytes(new Problem(status.code(), title, detail, null)))
                    .keepAlive(type.keepAlive())
                    .build();
        };
    }
}
