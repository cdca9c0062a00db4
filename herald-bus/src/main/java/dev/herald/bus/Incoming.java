package dev.herald.bus;

/**
 * A message delivered to a consumer. Exactly one of {@link #ack()}, {@link #requeue()} or {@link #deadLetter} must
 * be called, from any thread; later calls are ignored.
 */
public interface Incoming {
    /** The header of a dead-lettered message that says why it can never be handled. */
    String REASON_HEADER = "x-herald-reason";
    /** The longest reason kept in {@link #REASON_HEADER}. */
    int MAX_REASON = 500;

    BusMessage message();

    /** True when the broker delivered this message before (a consumer or connection died before acking it). */
    boolean redelivered();

    /** The message is done: the broker forgets it. */
    void ack();

    /** The message could not be handled now (e.g. the database is down); the broker delivers it again. */
    void requeue();

    /**
     * The message can never be handled (poison): it goes to the dead-letter exchange, kept for an operator, with
     * {@code reason} (if not null; printable ASCII, at most {@value #MAX_REASON} characters kept) in {@link #REASON_HEADER}.
     */
    void deadLetter(String reason);

    /** {@code reason} as it is kept in {@link #REASON_HEADER}: printable ASCII, at most {@value #MAX_REASON} characters. */
    static String headerValue(String reason) {
        StringBuilder b = new StringBuilder(Math.min(reason.length(), MAX_REASON));
        for (int i = 0; i < reason.length() && b.length() < MAX_REASON; i++) {
            char c = reason.charAt(i);
            b.append(c >= ' ' && c <= '~' ? c : '?');
        }
        return b.toString();
    }
}
