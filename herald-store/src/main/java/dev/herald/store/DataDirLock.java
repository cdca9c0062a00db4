package dev.herald.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ownership of a data directory by one process at a time: a lock on {@value #FILE} in it, which the kernel releases
 * when the process dies, however it dies. Within this JVM a registry stands in for the lock, which the OS grants per
 * process (and which closing any other channel on the file would silently drop).
 */
final class DataDirLock implements AutoCloseable {

    static final String FILE = "herald.lock";
    private static final Logger log = LoggerFactory.getLogger(DataDirLock.class);
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dataDir;
    private final FileChannel channel;
    private final FileLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DataDirLock(Path dataDir, FileChannel channel, FileLock lock) {
        this.dataDir = dataDir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dataDir} (a real path), waiting up to {@code wait} while another owner holds it, then
     * failing with a message naming that owner.
     */
    static DataDirLock acquire(Path dataDir, Duration wait) {
        Path file = dataDir.resolve(FILE);
        long deadline = System.nanoTime() + wait.toNanos();
        boolean said = false;
        while (true) {
            String holder;
            if (HELD.add(dataDir)) {
                DataDirLock taken = tryLock(dataDir, file);
                if (taken != null) {
                    return taken;
                }
                HELD.remove(dataDir);
                String pid = EmbeddedBinaries.read(file).strip();
                holder = "another process" + (pid.matches("\\d+") ? " (pid " + pid + ")" : "");
            } else {
                holder = "this process (an EmbeddedPostgres on it is still open)";
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(dataDir + " is in use by " + holder + ": one process at a time runs the"
                        + " embedded PostgreSQL of a data directory. Stop that process (or let it finish stopping) and retry,"
                        + " or choose another --data-dir.");
            }
            if (!said) {
                log.info("{} is in use by {}; waiting up to {} ms for it to be released", dataDir, holder, wait.toMillis());
                said = true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the lock of " + dataDir, e);
            }
        }
    }

    /** The lock, or null if another process holds it. Only called while {@link #HELD} marks the dir as ours to try. */
    private static DataDirLock tryLock(Path dataDir, Path file) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, Set.<OpenOption>of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close(); // safe: this JVM holds no lock on the file (HELD said so)
                return null;
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new DataDirLock(dataDir, channel, lock);
        } catch (IOException e) {
            HELD.remove(dataDir);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new IllegalStateException("could not lock " + file + " (is " + dataDir + " yours and writable?): " + e, e);
        }
    }

    /** Releases the lock; calling it again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            log.warn("could not release the lock of {}: {}", dataDir, e.getMessage());
        } finally {
            HELD.remove(dataDir);
        }
    }
}
