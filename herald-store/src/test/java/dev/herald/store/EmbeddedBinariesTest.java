package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.store.EmbeddedBinaries.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class EmbeddedBinariesTest {

    private static final int DAEMON = 1;

    @TempDir
    Path tmp;

    /** Fails after a binaries upgrade until the manifest is regenerated; {@code -Dherald.pg.writeManifest=true} regenerates it. */
    @Test
    void theShippedManifestMatchesTheArchiveOnTheClasspath() throws IOException {
        Manifest archive = Manifest.ofArchive();
        if (Boolean.getBoolean("herald.pg.writeManifest")) {
            Files.writeString(Path.of("src/main/resources/dev/herald/store", EmbeddedBinaries.MANIFEST), archive.render());
            assertThat(Manifest.parse(archive.render())).isEqualTo(archive);
            return;
        }
        Manifest shipped = Manifest.load();
        assertThat(shipped.files()).as("file checksums; after upgrading the binaries run: " + EmbeddedBinaries.REGENERATE)
                .isEqualTo(archive.files());
        assertThat(shipped.links()).as("symbolic links; after upgrading the binaries run: " + EmbeddedBinaries.REGENERATE)
                .isEqualTo(archive.links());
        assertThat(shipped.files()).containsKeys("bin/initdb", "bin/postgres", "bin/pg_ctl");
    }

    @Test
    void theDefaultCacheIsInHeraldsUsersOwnCacheDirectoryNotInSharedTmp() throws IOException {
        assumeTrue(System.getenv("HERALD_PG_CACHE") == null && System.getProperty("herald.pg.cache") == null,
                "HERALD_PG_CACHE chooses the cache here");
        Path cache = EmbeddedBinaries.get().home();
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path expected = xdg != null ? Path.of(xdg, "herald") : Path.of(System.getProperty("user.home"), ".cache", "herald");
        assertThat(cache).isEqualTo(expected.resolve("postgres-" + EmbeddedBinaries.VERSION));
        assertThat(EmbeddedBinaries.owner(cache.getParent())).isEqualTo(EmbeddedBinaries.euid());
        assertThat(EmbeddedBinaries.mode(cache.getParent()) & 022).as("group/others may not write " + cache.getParent()).isZero();
    }

    @Test
    void concurrentOpenersShareOneCompleteVerifiedCache() throws Exception {
        Path cache = tmp.resolve("cache");
        List<CompletableFuture<EmbeddedBinaries>> openers = List.of(
                CompletableFuture.supplyAsync(() -> EmbeddedBinaries.open(cache)),
                CompletableFuture.supplyAsync(() -> EmbeddedBinaries.open(cache)));
        for (CompletableFuture<EmbeddedBinaries> f : openers) {
            assertThat(f.get().home()).isEqualTo(cache);
        }
        assertThat(Files.isExecutable(cache.resolve("bin/postgres"))).isTrue();
        assertThat(Files.isSymbolicLink(cache.resolve("lib/libpq.so.5"))).isTrue();
        assertThat(Files.exists(cache.resolve("lib/libpq.so.5"))).isTrue(); // link target resolves
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwxr-xr-x");
        try (var siblings = Files.list(tmp)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("cache"); // no temp dirs left
        }
    }

    @Test
    void aCachePlantedByAnotherUserIsNeverExecuted() throws IOException {
        assumeTrue(EmbeddedBinaries.isRoot(), "only root can make files that belong to another user; run the tests as root"
                + " to check that a cache planted by another user is refused (aCacheOthersCanWriteIsNeverExecuted runs regardless)");
        Path cache = copyOfTheCache();
        Path marker = plantInitdb(cache);
        chownTree(cache, DAEMON);
        assertThatThrownBy(() -> EmbeddedPostgres.start(tmp.resolve("data"), false, EmbeddedBinaries.open(cache), Duration.ZERO))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the PostgreSQL binaries cache " + cache + " is not Herald's own")
                .hasMessageContaining("belongs to uid " + DAEMON)
                .hasMessageContaining("rm -rf " + cache);
        assertThat(marker).doesNotExist();
    }

    @Test
    void aCacheOthersCanWriteIsNeverExecuted() throws IOException {
        Path cache = copyOfTheCache();
        Files.setPosixFilePermissions(cache.resolve("bin"), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> EmbeddedBinaries.open(cache))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is writable by others: " + cache.resolve("bin") + " has mode rwxrwxrwx")
                .hasMessageContaining("rm -rf " + cache);
    }

    @Test
    void aCacheWhoseInitdbWasTamperedWithIsNeverExecuted() throws IOException {
        Path cache = copyOfTheCache();
        Path marker = plantInitdb(cache);
        assertThatThrownBy(() -> EmbeddedPostgres.start(tmp.resolve("data"), false, EmbeddedBinaries.open(cache), Duration.ZERO))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(cache.resolve("bin/initdb") + " does not match the SHA-256 shipped with Herald")
                .hasMessageContaining("rm -rf " + cache);
        assertThat(marker).doesNotExist();
    }

    @Test
    void aFileHeraldDidNotShipIsRefused() throws IOException {
        Path cache = copyOfTheCache();
        Files.writeString(cache.resolve("lib/postgresql/extra.so"), "not ours");
        assertThatThrownBy(() -> EmbeddedBinaries.open(cache))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(cache.resolve("lib/postgresql/extra.so") + " is not one of the files Herald shipped");
    }

    private Path copyOfTheCache() throws IOException {
        return copyOfTheCache(tmp.resolve("cache"));
    }

    /** A private copy of the verified default cache in {@code target} (quicker than unpacking the archive again). */
    static Path copyOfTheCache(Path target) throws IOException {
        Path source = EmbeddedBinaries.get().home();
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.copy(p, target.resolve(source.relativize(p).toString()), LinkOption.NOFOLLOW_LINKS,
                        StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return target;
    }

    /** Replaces bin/initdb by a script that leaves a marker file if it is ever run; returns the marker. */
    private Path plantInitdb(Path cache) throws IOException {
        Path marker = tmp.resolve("initdb-ran");
        Path initdb = cache.resolve("bin/initdb");
        Files.writeString(initdb, "#!/bin/sh\ntouch " + marker + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(initdb, PosixFilePermissions.fromString("rwxr-xr-x"));
        return marker;
    }

    static void chownTree(Path dir, int uid) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        }
    }
}
