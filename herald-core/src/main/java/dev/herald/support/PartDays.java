package dev.herald.support;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * The day partition ({@code part_day}, a UTC date) of stored work (see V21): an event's is the day it was received, and its
 * deliveries and their attempts share it. A delivery id encodes its event's receipt time (see {@link Ids#millisOf}), so the
 * partition of a delivery follows from its id alone.
 */
public final class PartDays {
    private PartDays() {}

    /** The UTC day of {@code instant}. */
    public static LocalDate of(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC);
    }

    /** The part_day a delivery id names, or null when {@code id} is not one of Herald's ids. */
    public static LocalDate ofId(String id) {
        long millis = Ids.millisOf(id);
        return millis < 0 ? null : of(Instant.ofEpochMilli(millis));
    }
}
