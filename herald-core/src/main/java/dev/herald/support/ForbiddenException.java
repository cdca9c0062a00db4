package dev.herald.support;

/** The request is refused by a control the operator set (e.g. a blocked merchant); answered as 403 naming {@code field}. */
public final class ForbiddenException extends RuntimeException {
    private final String field;

    public ForbiddenException(String field, String detail) {
        super(detail, null, false, false);
        this.field = field;
    }

    /** The field the refusal is about; may be null. */
    public String field() {
        return field;
    }
}
