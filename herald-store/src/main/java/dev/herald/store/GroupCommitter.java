package dev.herald.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the work of many callers in one transaction (group commit): one thread takes what was submitted meanwhile,
 * up to a weight, runs {@link Work#commit} on it in a transaction and completes each caller's future with its own
 * result once the transaction committed.
 *
 * <p>One bad member never fails the others. When a group fails for any reason other than an outage (a value the
 * database refuses, a conflict the work detects, a bug), the group is rolled back, split in halves and each half
 * committed again, down to single members: only the member that fails alone gets the failure. An outage (connection
 * lost, server shutting down, too many connections, a serialization failure, a missing table) fails the whole group at once, or — with
 * {@link Config#retryOutages()} — retries it with back-off until it commits or the committer closes.
 *
 * <p>{@link #start()} starts the thread; {@link #close()} commits what was submitted, then stops it.
 */
public final class GroupCommitter<I, O> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);

    /** The transactional work of one group. */
    public interface Work<I, O> {
        /** Does the work of {@code items} on {@code c} (inside a transaction) and returns one result per item, in order. */
        List<O> commit(Connection c, List<I> items) throws SQLException;

        /** Called on the committer thread after the group committed, before its callers are answered. */
        default void committed(List<I> items, List<O> results) {}
    }

    /**
     * {@code name} names the thread and the log lines; a group weighs at most {@code maxWeight} (an item heavier than
     * that forms a group of its own); at most {@code queueCapacity} items wait (submitters then block); with
     * {@code retryOutages} an outage is retried after a back-off from {@code minBackoff} doubling up to {@code maxBackoff}.
     * A group not full when the queue runs dry waits up to {@code linger} for more items before it commits (zero: commits
     * at once): fewer, larger transactions when items trickle in, at the price of that much latency per item.
     */
    public record Config(String name, int maxWeight, int queueCapacity, boolean retryOutages, Duration minBackoff, Duration maxBackoff,
                         Duration linger) {
        public Config {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            Objects.requireNonNull(linger, "linger");
            if (maxWeight < 1 || queueCapacity < 1) {
                throw new IllegalArgumentException("maxWeight and queueCapacity must be positive");
            }
            if (linger.isNegative()) {
                throw new IllegalArgumentException("linger must not be negative");
            }
        }

        /** A committer that commits each group as soon as the queue runs dry. */
        public Config(String name, int maxWeight, int queueCapacity, boolean retryOutages, Duration minBackoff, Duration maxBackoff) {
            this(name, maxWeight, queueCapacity, retryOutages, minBackoff, maxBackoff, Duration.ZERO);
        }

        /** This config, a group that is not full waiting up to {@code linger} for more items. */
        public Config withLinger(Duration linger) {
            return new Config(name, maxWeight, queueCapacity, retryOutages, minBackoff, maxBackoff, linger);
        }

        /** Groups of {@code maxWeight}, 4,096 waiting items, outages failed at once (callers retry). */
        public static Config failFast(String name, int maxWeight) {
            return new Config(name, maxWeight, 4096, false, Duration.ofMillis(100), Duration.ofSeconds(5));
        }

        /** Groups of {@code maxWeight}, 8,192 waiting items, outages retried from 100 ms up to 5 s apart. */
        public static Config retrying(String name, int maxWeight) {
            return new Config(name, maxWeight, 8192, true, Duration.ofMillis(100), Duration.ofSeconds(5));
        }
    }

    /**
     * Counters since start: groups and items committed, groups split because a member failed, members that failed
     * alone, outages met (each failed or retried group counts once).
     */
    public record Stats(long groups, long items, long splits, long memberFailures, long outages) {}

    private record Pending<I, O>(I item, CompletableFuture<O> done) {}

    private final Jdbc jdbc;
    private final Work<I, O> work;
    private final ToIntFunction<I> weight;
    private final Config config;
    private final BlockingQueue<Pending<I, O>> queue;
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private final AtomicLong splits = new AtomicLong();
    private final AtomicLong memberFailures = new AtomicLong();
    private final AtomicLong outages = new AtomicLong();
    private volatile boolean running;
    private volatile boolean accepting;
    private Thread thread;

    /** A committer of {@code work}; each item weighs {@code weight} (e.g. its number of events). */
    public GroupCommitter(Jdbc jdbc, Config config, ToIntFunction<I> weight, Work<I, O> work) {
        this.jdbc = jdbc;
        this.config = config;
        this.weight = weight;
        this.work = work;
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
    }

    /** Starts the committer thread; submissions are accepted from now on. */
    public synchronized GroupCommitter<I, O> start() {
        if (thread != null) {
            throw new IllegalStateException(config.name() + " committer already started");
        }
        running = true;
        accepting = true;
        thread = Thread.ofPlatform().name("herald-" + config.name() + "-committer").daemon().start(this::loop);
        return this;
    }

    /**
     * Queues {@code item} (blocking while the queue is full) and returns a future completed with its result once its
     * group committed, or with the failure that it met. Callbacks attached to the future run on the committer thread
     * unless attached with an executor.
     */
    public CompletableFuture<O> submit(I item) {
        if (!accepting) {
            return CompletableFuture.failedFuture(new IllegalStateException(config.name() + " committer is not running"));
        }
        Pending<I, O> p = new Pending<>(item, new CompletableFuture<>());
        try {
            queue.put(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new IllegalStateException("interrupted before " + config.name() + " was queued", e));
        }
        return p.done();
    }

    /** {@link #submit} and wait: the item's result, or its failure rethrown as it was thrown. */
    public O commit(I item) {
        try {
            return submit(item).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /** The counters so far. */
    public Stats stats() {
        return new Stats(groups.get(), items.get(), splits.get(), memberFailures.get(), outages.get());
    }

    /** Stops accepting, commits what is queued (giving up on an outage), then stops the thread. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            accepting = false;
            running = false;
        }
        if (t == null) {
            return;
        }
        try {
            t.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending<I, O> left;
        while ((left = queue.poll()) != null) { // only if the thread did not finish in time
            left.done().completeExceptionally(new IllegalStateException(config.name() + " committer closed"));
        }
    }

    private void loop() {
        List<Pending<I, O>> group = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Pending<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                int total = weight.applyAsInt(first.item());
                long lingerUntil = config.linger().isZero() ? 0 : System.nanoTime() + config.linger().toNanos();
                while (true) {
                    Pending<I, O> next;
                    while ((next = queue.peek()) != null && total + weight.applyAsInt(next.item()) <= config.maxWeight()) {
                        group.add(queue.poll());
                        total += weight.applyAsInt(next.item());
                    }
                    long left = lingerUntil - System.nanoTime();
                    if (next != null || lingerUntil == 0 || left <= 0 || !running) {
                        break;
                    }
                    Pending<I, O> more = queue.poll(left, TimeUnit.NANOSECONDS); // the queue ran dry: wait a little for more
                    if (more == null) {
                        break;
                    }
                    if (total + weight.applyAsInt(more.item()) > config.maxWeight()) {
                        commitGroup(group); // full: commit it, and start the next group with this item
                        group.clear();
                        total = 0;
                        lingerUntil = System.nanoTime() + config.linger().toNanos();
                    }
                    group.add(more);
                    total += weight.applyAsInt(more.item());
                }
                commitGroup(group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                group.forEach(p -> p.done().completeExceptionally(new IllegalStateException(config.name() + " committer interrupted")));
                return;
            } catch (RuntimeException | Error e) { // a bug in a callback: answer the group, keep the committer alive
                log.error("{} committer failed unexpectedly on a group of {}", config.name(), group.size(), e);
                group.forEach(p -> p.done().completeExceptionally(e));
            } finally {
                group.clear();
            }
        }
    }

    /** Commits {@code group}, retrying outages if configured; splits it when a member is at fault. */
    private void commitGroup(List<Pending<I, O>> group) throws InterruptedException {
        long backoff = config.minBackoff().toMillis();
        while (true) {
            RuntimeException failure = attempt(group);
            if (failure == null) {
                return;
            }
            if (!isOutage(failure)) {
                if (group.size() == 1) {
                    memberFailures.incrementAndGet();
                    group.getFirst().done().completeExceptionally(failure);
                    return;
                }
                splits.incrementAndGet();
                int half = group.size() / 2;
                commitGroup(new ArrayList<>(group.subList(0, half)));
                commitGroup(new ArrayList<>(group.subList(half, group.size())));
                return;
            }
            outages.incrementAndGet();
            if (!config.retryOutages() || !running) {
                group.forEach(p -> p.done().completeExceptionally(failure));
                return;
            }
            log.warn("{}: committing {} items failed ({}); retrying in {} ms", config.name(), group.size(), failure.getMessage(), backoff);
            Thread.sleep(backoff);
            backoff = Math.min(backoff * 2, config.maxBackoff().toMillis());
        }
    }

    /** One transaction for {@code group}: null when it committed (and its callers were answered), else the failure. */
    private RuntimeException attempt(List<Pending<I, O>> group) {
        List<I> in = group.stream().map(Pending::item).toList();
        List<O> out;
        try {
            out = jdbc.inTransaction(c -> work.commit(c, in));
        } catch (RuntimeException e) {
            return e;
        }
        if (out.size() != in.size()) {
            throw new IllegalStateException(config.name() + " work returned " + out.size() + " results for " + in.size() + " items");
        }
        groups.incrementAndGet();
        items.addAndGet(in.size());
        try {
            work.committed(in, out);
        } catch (RuntimeException e) { // the group is durable: its callers still hear so
            log.error("{}: after-commit step failed for {} items", config.name(), in.size(), e);
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).done().complete(out.get(i));
        }
        return null;
    }

    /**
     * True when {@code e} is a database failure other than a refused value: the database is unavailable (a lost or
     * refused connection, a shutdown, too many connections, a rolled-back transaction) or cannot run the work at all (a
     * missing table during a botched migration). Retrying later may succeed; no member is to blame. A refused value
     * ({@link StoreException#refusedInput}) or a failure that is not the database's (a conflict the work detects, a
     * bug) is not an outage: the group is split to find the member at fault.
     */
    public static boolean isOutage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql) {
                return !StoreException.refusedInput(sql.getSQLState());
            }
        }
        return false;
    }
}
