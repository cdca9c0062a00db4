package dev.herald.support;

/** Input that breaks a rule of the API; carries the JSON field at fault so callers answer 4xx with it. */
public final class ValidationException extends RuntimeException {
    private final String field;

    public ValidationException(String field, String detail) {
        super(detail, null, false, false);
        this.field = field;
    }

    /** The offending field as a JSON pointer-ish path such as {@code url} or {@code events[2]}; may be null. */
    public String field() {
        return field;
    }
}
