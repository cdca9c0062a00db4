package dev.herald.bus;

/** The bus could not do what was asked (broker unreachable, publish not confirmed in time); safe to retry. */
public final class BusException extends RuntimeException {
    public BusException(String message) {
        super(message);
    }

    public BusException(String message, Throwable cause) {
        super(message, cause);
    }
}
