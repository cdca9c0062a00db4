package dev.herald.support;

/** The named resource does not exist (or is deleted); answered as 404. */
public final class NotFoundException extends RuntimeException {
    public NotFoundException(String what) {
        super(what, null, false, false);
    }
}
