package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.seal.LocalMasterKey;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestPostgres;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.PortUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up as a user meets it (issue 18 items 1, 5, 8 and 18): a start that fails unwinds everything; a lost admin key
 * is replaced with {@code herald keys reset-admin}, and a start without a new key says how; a held data directory is
 * reported at once with its holder; {@code keys list} without a node is one line with the reason.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartUpTest {
    private static final String MASTER_KEY = "UUFsNtSWu8pvgspURUHPHhJpSiOZDV8ZZoeRrNlPIz4=";

    @TempDir
    Path dir;

    @Test
    void whenTheMetricsPortIsTakenTheStartedApiListenerAndEveryThreadAreStoppedAgain() throws Exception {
        DatabaseConfig db = TestPostgres.embedded();
        int apiPort = freePort();
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ServerConfig cfg = config(db, apiPort).withMetrics(new ServerConfig.Metrics("127.0.0.1", taken.getLocalPort(), null, 0));
            assertThatThrownBy(() -> HeraldServer.start(cfg, Clock.systemUTC()))
                    .isInstanceOf(PortUnavailableException.class)
                    .hasMessage("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": port " + taken.getLocalPort()
                            + " is already in use (another process listens on it); " + HeraldServer.METRICS_PORT_HINT);
        }
        try (ServerSocket again = new ServerSocket(apiPort, 50, InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).as("the API listener is closed again").isEqualTo(apiPort);
        }
        assertThat(threadsLeft(before)).as("threads the failed start left").isEmpty();
    }

    @Test
    void resetAdminRevokesTheAdminKeysPrintsANewOneOnceAndAuditsItAndAStartWithoutANewKeySaysHow() throws Exception {
        DatabaseConfig db = TestPostgres.embedded();
        String first;
        try (HeraldServer server = HeraldServer.start(config(db, 0), Clock.systemUTC())) {
            first = server.generatedAdminKey().orElseThrow();
            assertThat(server.adminKeyExists()).isTrue();
        }
        Map<String, String> env = Map.of("HERALD_MASTER_KEY", MASTER_KEY, "HERALD_DATABASE_URL", TestServer.databaseUrl(db));
        Result reset = run(env, "keys", "reset-admin");
        assertThat(reset.code()).as(reset.err()).isZero();
        Matcher printed = Pattern.compile("\\n {6}(hk_[0-9A-Za-z]{32})\\n").matcher(reset.out());
        assertThat(printed.find()).as(reset.out()).isTrue();
        String second = printed.group(1);

        try (Database d = Database.open(db.withMaxPoolSize(2), "classpath:db/none")) {
            Jdbc jdbc = new Jdbc(d.dataSource());
            ApiKeyStore keys = new ApiKeyStore(jdbc, "api_keys", Clock.systemUTC());
            assertThat(keys.verify(first)).as("the lost key is revoked").isEmpty();
            assertThat(keys.verify(second)).hasValueSatisfying(k -> assertThat(k.has("admin")).isTrue());
            List<String> audited = jdbc.read(c -> Jdbc.query(c, "select action || ' by ' || actor_key_id from audit_log order by seq", ps -> {},
                    rs -> rs.getString(1)));
            assertThat(audited).containsExactly("api_key.revoke by cli", "api_key.create by cli");
        }

        Running serve = Running.start(env, "Herald is ready", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir.resolve("unused").toString());
        serve.stop();
        assertThat(serve.out.toString()).doesNotContain("hk_")
                .contains("Admin API key: already made, and printed once then (lost it? run ./herald keys reset-admin with this node's"
                        + " HERALD_DATABASE_URL and master key)");
        assertThat(Main.Serve.adminKeyHint(true, config(null, 0).withMasterKey(null)))
                .isEqualTo("Admin API key: already made, and printed once then (lost it? stop Herald and run: ./herald keys reset-admin --data-dir " + dir + ")");
    }

    @Test
    void resetAdminWithoutADatabaseSaysWhereItLooked() {
        Result r = run(Map.of(), "keys", "reset-admin", "--data-dir", dir.resolve("nothing").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald keys reset-admin: no Herald database in " + dir.resolve("nothing") + " (give the node's --data-dir,"
                + " or --database-url); a first 'herald serve' there makes and prints an admin key" + System.lineSeparator());
    }

    @Test
    void aServeOnAHeldDataDirectorySaysAtOnceThatItWaitsAndForWhom() throws Exception {
        Path lock = Files.createDirectories(dir.resolve("data/postgres")).resolve(DataDirHolder.LOCK_FILE);
        Files.createFile(lock);
        Process holder = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
                + "f = open(sys.argv[1], 'r+'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)", lock.toString())
                .redirectErrorStream(true).start();
        try {
            assertThat(new String(holder.getInputStream().readNBytes(7))).isEqualTo("locked\n");
            assertThat(DataDirHolder.of(lock.getParent())).hasValue("another process (pid " + holder.pid() + ")");

            Running serve = Running.start(Map.of(), "waiting up to a minute", "serve", "--port", "0", "--data-dir", dir.resolve("data").toString());
            assertThat(serve.err.toString().lines().findFirst()).hasValue("herald: " + dir.resolve("data").toAbsolutePath() + " is in use by another"
                    + " process (pid " + holder.pid() + "); waiting up to a minute for it to stop (Ctrl-C to give up, or choose another --data-dir)");
            serve.stop();
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(DataDirHolder.of(lock.getParent())).as("released").isEmpty();
    }

    @Test
    void keysListWithoutANodeIsOneLineWithTheReasonAndNoTable() throws IOException {
        Path keyFile = Files.writeString(dir.resolve("admin-key"), "some-admin-key-0123456789");
        Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String url = "http://127.0.0.1:" + freePort();
        Result r = run(Map.of(), "keys", "list", "--url", url, "--api-key-file", keyFile.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).as("no table header before the failure").isEmpty();
        assertThat(r.err()).isEqualTo("herald: cannot reach " + url + ": connection refused (is a Herald node running there?"
                + " --url or HERALD_URL names it)" + System.lineSeparator());

        Result unknown = run(Map.of(), "keys", "list", "--url", "http://no-such-host.invalid:8080", "--api-key-file", keyFile.toString());
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err()).startsWith("herald: cannot reach http://no-such-host.invalid:8080: ").doesNotContain("null")
                .doesNotContain("connection refused");
        assertThat(unknown.err().lines()).hasSize(1);
    }

    // ---------------------------------------------------------------- helpers

    private ServerConfig config(DatabaseConfig db, int port) {
        return new ServerConfig("127.0.0.1", port, dir, db == null ? null : TestServer.databaseUrl(db), false, false, 256 * 1024, 10, 16, 64, null)
                .withMasterKey(LocalMasterKey.parse(MASTER_KEY, "test"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The platform threads started since {@code before} that are still alive after up to 10 s, but the JDK's and drivers' own. */
    private static List<String> threadsLeft(Set<Thread> before) throws InterruptedException {
        Predicate<Thread> ours = t -> t.isAlive() && !before.contains(t) && !MainTest.jdkOwn(t);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().filter(ours).map(Thread::getName).sorted().toList();
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return left;
    }

    record Result(int code, String out, String err) {}

    private static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, env, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** A command running on a thread of this JVM, until {@link #stop} interrupts it. */
    private static final class Running {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final AtomicInteger code = new AtomicInteger(-1);
        Thread thread;

        /** Starts {@code args} and waits (up to 60 s) until {@code line} shows on stdout or stderr. */
        static Running start(Map<String, String> env, String line, String... args) throws InterruptedException {
            Running r = new Running();
            r.thread = Thread.ofPlatform().name("cli").start(() -> r.code.set(Main.run(args, env, new PrintWriter(r.out), new PrintWriter(r.err))));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(r.out.toString() + r.err).contains(line)) {
                assertThat(r.thread.isAlive()).as("ended before '" + line + "': " + r.out + r.err).isTrue();
                assertThat(System.nanoTime()).as("no '" + line + "' yet: " + r.out + r.err).isLessThan(deadline);
                Thread.sleep(10);
            }
            return r;
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(30_000);
            assertThat(thread.isAlive()).isFalse();
        }
    }
}
