package dev.herald.web;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.time.Instant;

/** Path parameters, query parameters and headers of a request, read with the same rules everywhere. */
public final class Params {
    private Params() {}

    /** A path parameter; a NUL (which no id holds and PostgreSQL cannot compare) is a 400, not a database error. */
    public static String path(ServerRequest req, String name) {
        String v = req.path().pathParameters().get(name);
        if (v.indexOf('\0') >= 0) {
            throw Problem.badRequest("the path must not contain the NUL character (%00)", null);
        }
        return v;
    }

    /** A query parameter, or null; it must be storable text ({@link JsonInput#storable}). */
    public static String query(ServerRequest req, String name) {
        String v = req.query().first(name).orElse(null);
        return v == null ? null : JsonInput.storable(v, name, name);
    }

    /** A query parameter of at most {@code maxLength} characters, or null. */
    public static String query(ServerRequest req, String name, int maxLength) {
        String v = query(req, name);
        if (v != null && v.length() > maxLength) {
            throw Problem.invalid(name + " must be at most " + maxLength + " characters", name);
        }
        return v;
    }

    /** An RFC 3339 timestamp query parameter, or null. */
    public static Instant instant(ServerRequest req, String name) {
        String v = query(req, name, 64);
        return v == null ? null : JsonInput.timestamp(v, name, name);
    }

    /** A {@code true}/{@code false} query parameter, or null when absent; anything else is a 422 naming it. */
    public static Boolean flag(ServerRequest req, String name) {
        String s = query(req, name, 10);
        if (s == null) {
            return null;
        }
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw Problem.invalid(name + " must be 'true' or 'false'", name);
        };
    }

    /** {@code ?limit=}: 1 to {@code max}, {@code fallback} when absent. */
    public static int limit(ServerRequest req, int fallback, int max) {
        String s = query(req, "limit", 16);
        if (s == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Problem.invalid("limit must be an integer between 1 and " + max, "limit");
    }

    /** A header's value, or null; longer than {@code maxLength} or blank is a 422 naming the header. */
    public static String header(ServerRequest req, String name, int maxLength) {
        String v = req.headers().first(HeaderNames.create(name)).orElse(null);
        if (v != null && (v.isBlank() || v.length() > maxLength)) {
            throw Problem.invalid(name + " must be 1-" + maxLength + " characters", name);
        }
        return v;
    }
}
