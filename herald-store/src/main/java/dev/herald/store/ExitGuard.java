package dev.herald.store;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undoes work that the JVM's exit (Ctrl-C, SIGTERM) interrupts: while open, an exit lets the step under way finish (the
 * JVM halts once its shutdown hooks return, so a step cut off would skip its own {@code finally}), starts no further
 * step, then runs the cleanup. {@link #close()} when the work is done: the cleanup is then never run.
 */
final class ExitGuard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExitGuard.class);
    private static final Duration STEP_WAIT = Duration.ofSeconds(100);

    private final String what;
    private final Runnable cleanup;
    private final Thread hook;
    private boolean exiting;
    private boolean busy;
    private boolean closed;

    private ExitGuard(String what, Runnable cleanup) {
        this.what = what;
        this.cleanup = cleanup;
        this.hook = new Thread(this::onExit, "herald-exit-guard");
    }

    /** Guards {@code what} (for the log), running {@code cleanup} if the JVM exits before {@link #close()}. */
    static ExitGuard open(String what, Runnable cleanup) {
        ExitGuard g = new ExitGuard(what, cleanup);
        Runtime.getRuntime().addShutdownHook(g.hook); // throws IllegalStateException when the JVM is already exiting
        return g;
    }

    /** Runs one step; refused (IllegalStateException) once the JVM is exiting, and waited for by the exit when under way. */
    <T> T step(Supplier<T> work) {
        synchronized (this) {
            if (exiting) {
                throw new IllegalStateException("the JVM is exiting; not going on with " + what);
            }
            busy = true;
        }
        try {
            return work.get();
        } finally {
            synchronized (this) {
                busy = false;
                notifyAll();
            }
        }
    }

    void run(Runnable work) {
        step(() -> {
            work.run();
            return null;
        });
    }

    /** The work is done: an exit from now on leaves it be. */
    @Override
    public void close() {
        synchronized (this) {
            if (exiting || closed) {
                return; // the hook runs (or ran) the cleanup
            }
            closed = true;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook finds the guard closed and does nothing
        }
    }

    private void onExit() {
        synchronized (this) {
            if (closed) {
                return;
            }
            exiting = true;
            long deadline = System.nanoTime() + STEP_WAIT.toNanos();
            while (busy && System.nanoTime() < deadline) {
                try {
                    wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        log.info("exiting during {}; undoing it", what);
        try {
            cleanup.run();
        } catch (RuntimeException e) {
            log.warn("could not undo {} on exit: {}", what, e.getMessage());
        }
    }
}
