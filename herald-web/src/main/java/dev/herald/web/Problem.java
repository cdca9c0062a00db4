package dev.herald.web;

/**
 * An RFC 9457 problem answer, thrown anywhere a request is refused. {@code field} names the JSON field (or header or
 * query parameter) at fault, when one is. The detail is shown to the caller: it never holds a secret or internal state.
 */
public final class Problem extends RuntimeException {
    private final int status;
    private final String title;
    private final String field;

    public Problem(int status, String title, String detail, String field) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
        this.field = field;
    }

    public static Problem badRequest(String detail, String field) {
        return new Problem(400, "Bad request", detail, field);
    }

    public static Problem unauthorized(String detail) {
        return new Problem(401, "Unauthorized", detail, null);
    }

    public static Problem forbidden(String detail, String field) {
        return new Problem(403, "Forbidden", detail, field);
    }

    public static Problem notFound(String detail, String field) {
        return new Problem(404, "Not found", detail, field);
    }

    public static Problem conflict(String detail, String field) {
        return new Problem(409, "Conflict", detail, field);
    }

    public static Problem invalid(String detail, String field) {
        return new Problem(422, "Invalid field", detail, field);
    }

    public int status() { return status; }
    public String title() { return title; }
    public String field() { return field; }
}
