package dev.herald.support;

/** The request is valid but conflicts with the resource's current state; answered as 409 naming {@code field} if given. */
public final class ConflictException extends RuntimeException {
    private final String field;

    public ConflictException(String detail) {
        this(null, detail);
    }

    public ConflictException(String field, String detail) {
        super(detail, null, false, false);
        this.field = field;
    }

    /** The field (JSON field, header or query parameter) the conflict is about; may be null. */
    public String field() {
        return field;
    }
}
