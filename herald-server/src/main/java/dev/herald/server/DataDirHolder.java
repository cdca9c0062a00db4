package dev.herald.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Who holds the lock of an embedded PostgreSQL data directory ({@code herald.lock}, taken by the store while a process
 * runs the database), found without touching the lock: the kernel's table of locks ({@code /proc/locks}) names the
 * process holding one on that file. The server says so at once, before the store waits for the holder to let go.
 */
final class DataDirHolder {
    static final String LOCK_FILE = "herald.lock";

    private DataDirHolder() {}

    /** "another process (pid N)" when a live process other than this one holds the lock of {@code dataDir}; else empty. */
    static Optional<String> of(Path dataDir) {
        Path file = dataDir.resolve(LOCK_FILE);
        try {
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            long inode = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            return holder(Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.US_ASCII), inode)
                    .filter(pid -> pid != ProcessHandle.current().pid())
                    .map(pid -> "another process (pid " + pid + ")");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return Optional.empty(); // no way to tell: the store's own message comes when its wait ends
        }
    }

    /**
     * The pid holding a lock on the file with {@code inode}, from {@code /proc/locks} lines such as
     * {@code 1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 0 EOF} (lines starting {@code ->} are waiters).
     */
    static Optional<Long> holder(List<String> procLocks, long inode) {
        for (String line : procLocks) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || f[1].equals("->")) {
                continue;
            }
            String[] device = f[5].split(":");
            if (device.length == 3 && device[2].equals(Long.toString(inode)) && f[4].matches("\\d+")) {
                return Optional.of(Long.parseLong(f[4]));
            }
        }
        return Optional.empty();
    }
}
