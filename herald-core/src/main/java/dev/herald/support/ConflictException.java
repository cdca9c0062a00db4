package dev.herald.support;

/** The request is valid but conflicts with the resource's current state; answered as 409. */
public final class ConflictException extends RuntimeException {
    public ConflictException(String detail) {
        super(detail, null, false, false);
    }
}
