package dev.herald.server.api;

/**
 * An RFC 9457 problem answer. {@code field} names the JSON field (or header/query parameter) at fault, when one is.
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

    public static Problem invalid(String detail, String field) {
        return new Problem(422, "Invalid field", detail, field);
    }

    public int status() { return status; }
    public String title() { return title; }
    public String field() { return field; }
}
