package dev.herald.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes committed {@link Outbox} rows, at least once, in transaction order.
 *
 * <p>Each round runs in one transaction that first takes a transaction-scoped advisory lock on the outbox table (so
 * only one relay of all processes publishes at a time; the others skip the round), selects up to
 * {@link Config#batchSize()} committed unsent rows in {@code seq} order, hands them to the {@link OutboxPublisher},
 * then marks them sent and commits.
 *
 * <p>Order: per ordering key, events are published in commit order provided each writer locks the key (e.g. its
 * account row) before appending: the row's {@code seq} is drawn under that lock, so of two writers of one key the one
 * that commits first has the smaller {@code seq}, and once the second is visible so is the first. (Ordering by
 * {@code txid} below {@code pg_snapshot_xmin} does not give this: a transaction gets its id when it starts waiting for
 * the key's lock, and several waiters are not granted the lock in id order.) Events of different keys may be
 * published in any order relative to each other. If the publisher throws, or the relay
 * dies before the commit, the rows stay unsent and are published again with the same ids. Sent rows older than
 * {@link Config#retention()} are deleted.
 */
public final class OutboxRelay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final String LOCK = "select pg_try_advisory_xact_lock(hashtextextended(current_schema() || '." + Outbox.TABLE + "', 0))";
    private static final String SELECT = "select seq, id, type, ordering_key, priority, trace_id, body from " + Outbox.TABLE
            + " where sent_at is null order by seq limit ?";
    private static final String MARK = "update " + Outbox.TABLE + " set sent_at = ? where seq = any (?)";
    private static final String PURGE = "delete from " + Outbox.TABLE + " where seq in (select seq from " + Outbox.TABLE
            + " where sent_at is not null and sent_at < ? limit 10000)";

    /**
     * {@code batchSize} rows per round; {@code pollInterval} the wait after a round that found less than a full batch
     * (and after a failure); sent rows are kept for {@code retention}.
     */
    public record Config(int batchSize, Duration pollInterval, Duration retention) {
        public Config {
            if (batchSize < 1 || batchSize > 10_000) {
                throw new IllegalArgumentException("batchSize must be 1..10000, was " + batchSize);
            }
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive");
            }
            if (retention.isNegative()) {
                throw new IllegalArgumentException("retention must not be negative");
            }
        }

        /** 500 rows per round, polling every 100 ms, sent rows kept one day. */
        public static Config defaults() {
            return new Config(500, Duration.ofMillis(100), Duration.ofDays(1));
        }
    }

    private final DataSource dataSource;
    private final OutboxPublisher publisher;
    private final Config config;
    private final Clock clock;
    private volatile boolean running;
    private Thread thread;
    private volatile Instant nextPurge = Instant.MIN;

    public OutboxRelay(DataSource dataSource, OutboxPublisher publisher, Config config, Clock clock) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Starts relaying on a background thread until {@link #close()}. */
    public synchronized OutboxRelay start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        running = true;
        thread = Thread.ofPlatform().name("herald-outbox-relay").daemon().start(this::loop);
        return this;
    }

    private void loop() {
        while (running) {
            int published;
            try {
                published = relayOnce();
            } catch (Exception e) {
                if (!running) {
                    return;
                }
                log.warn("outbox relay round failed, retrying in {} ms: {}", config.pollInterval().toMillis(), e.toString());
                published = 0;
            }
            if (published < config.batchSize() && running) {
                LockSupport.parkNanos(config.pollInterval().toNanos());
            }
        }
    }

    /**
     * Runs one round: publishes the next batch if this relay gets the lock, and returns how many events it published
     * (0 when there was nothing to publish or another relay holds the lock). Throws what the publisher or the database
     * threw; the batch then stays unsent.
     */
    public int relayOnce() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int n = round(c);
                c.commit();
                return n;
            } catch (Exception | Error e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private int round(Connection c) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return 0;
            }
        }
        purgeIfDue(c);
        List<Long> seqs = new ArrayList<>();
        List<OutboxEvent> events = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT)) {
            ps.setInt(1, config.batchSize());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    seqs.add(rs.getLong(1));
                    events.add(new OutboxEvent(rs.getString(2), rs.getString(3), rs.getString(4), rs.getShort(5), rs.getString(6), rs.getString(7)));
                }
            }
        }
        if (events.isEmpty()) {
            return 0;
        }
        publisher.publish(List.copyOf(events));
        try (PreparedStatement ps = c.prepareStatement(MARK)) {
            ps.setTimestamp(1, Timestamp.from(clock.instant()));
            ps.setArray(2, c.createArrayOf("bigint", seqs.toArray()));
            ps.executeUpdate();
        }
        return events.size();
    }

    private void purgeIfDue(Connection c) throws SQLException {
        Instant now = clock.instant();
        if (now.isBefore(nextPurge)) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(PURGE)) {
            ps.setTimestamp(1, Timestamp.from(now.minus(config.retention())));
            ps.executeUpdate();
        }
        Duration every = config.retention().compareTo(Duration.ofMinutes(1)) < 0 ? config.retention() : Duration.ofMinutes(1);
        nextPurge = now.plus(every);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is gone; the transaction died with it
        }
    }

    /** Stops the background thread after its current round (the round's batch is either marked or published again later). */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
