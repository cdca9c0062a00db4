package dev.herald.stats;

import dev.herald.store.Jdbc;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Copies a node's {@link MinuteStats} to {@code stats_minutes} (call {@link #flush()} every few seconds and at shutdown):
 * the totals of the minutes it still holds replace the node's earlier rows; minutes older than {@link #HOLD} are then
 * forgotten, and rows older than {@link #KEEP} deleted. A crash loses the tries counted since the last flush — these
 * are charts, not records: the attempts and deliveries tables hold every try.
 */
public final class StatsWriter {
    /** How long a node keeps counting into a minute: longer than the longest try (the timeout is at most 5 minutes). */
    static final Duration HOLD = Duration.ofMinutes(10);
    /** How far back the charts reach. */
    public static final Duration KEEP = Duration.ofHours(3).plusMinutes(5);

    private final Jdbc jdbc;
    private final StatsRepository repository;
    private final MinuteStats stats;
    private final String nodeId;
    private final Clock clock;

    public StatsWriter(Jdbc jdbc, StatsRepository repository, MinuteStats stats, String nodeId, Clock clock) {
        this.jdbc = jdbc;
        this.repository = repository;
        this.stats = stats;
        this.nodeId = nodeId;
        this.clock = clock;
    }

    /** Writes the held minutes, forgets the old ones and deletes rows past {@link #KEEP}. */
    public void flush() {
        var totals = stats.snapshot();
        Instant now = clock.instant();
        jdbc.inTransaction(c -> {
            if (!totals.isEmpty()) {
                repository.write(c, nodeId, totals);
            }
            repository.deleteBefore(c, now.minus(KEEP));
            return null;
        });
        stats.forgetBefore(now.minus(HOLD));
    }
}
