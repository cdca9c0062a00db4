package dev.herald.server.api;

import dev.herald.support.ConflictException;
import dev.herald.support.ForbiddenException;
import dev.herald.support.NotFoundException;
import dev.herald.support.TryLaterException;
import dev.herald.support.ValidationException;
import dev.herald.web.Problem;
import dev.herald.web.Problems;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** The one problem mapper of Herald's API: the engine's refusals become problems naming the field, the rest as {@link Problems} says. */
final class ApiErrors {
    private ApiErrors() {}

    static Problem of(Throwable e, ServerRequest req) {
        return switch (e) {
            case ValidationException v -> Problem.invalid(v.getMessage(), v.field());
            case NotFoundException n -> Problem.notFound(n.getMessage(), null);
            case ConflictException c -> Problem.conflict(c.getMessage(), c.field());
            case ForbiddenException f -> Problem.forbidden(f.getMessage(), f.field());
            case TryLaterException t -> t.callersLimit() ? new Problem(429, "Too many requests", t.getMessage(), null)
                    : new Problem(503, "Service unavailable", t.getMessage(), null);
            default -> Problems.of(e, req);
        };
    }

    /** Sends the answer to {@code e}; a caller's limit with how long it must wait ({@code Retry-After}). */
    static void send(ServerRequest req, ServerResponse res, Throwable e) {
        if (e instanceof TryLaterException t && t.callersLimit()) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(t.retryAfterSeconds()));
        }
        Problems.answer(res, of(e, req));
    }

    static void register(HttpRouting.Builder r) {
        r.error(Exception.class, ApiErrors::send);
    }
}
