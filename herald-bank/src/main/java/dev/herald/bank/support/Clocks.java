package dev.herald.bank.support;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Time as the bank stores it: microseconds, which PostgreSQL's timestamptz keeps exactly (hashes depend on it). */
public final class Clocks {
    private Clocks() {}

    public static Instant now(Clock clock) {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
