package dev.herald.bus;

/**
 * A message delivered to a consumer. Exactly one of {@link #ack()}, {@link #requeue()} or {@link #deadLetter()} must
 * be called, from any thread; later calls are ignored.
 */
public interface Incoming {
    BusMessage message();

    /** True when the broker delivered this message before (a consumer or connection died before acking it). */
    boolean redelivered();

    /** The message is done: the broker forgets it. */
    void ack();

    /** The message could not be handled now (e.g. the database is down); the broker delivers it again. */
    void requeue();

    /** The message can never be handled (poison): it goes to the dead-letter exchange, kept for an operator. */
    void deadLetter();
}
