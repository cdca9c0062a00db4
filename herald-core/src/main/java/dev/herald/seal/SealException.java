package dev.herald.seal;

/** A value or key could not be sealed or opened. Messages name places and key ids, never a key or a plaintext. */
public class SealException extends RuntimeException {
    public SealException(String message) {
        super(message);
    }

    public SealException(String message, Throwable cause) {
        super(message, cause);
    }
}
