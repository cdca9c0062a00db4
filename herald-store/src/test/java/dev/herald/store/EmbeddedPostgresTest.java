package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(180)
class EmbeddedPostgresTest {

    private static final Duration CMD = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    /** Whatever a failed test left running under its temp dir is killed, so no server outlives its test. */
    @AfterEach
    void killLeftovers() throws IOException {
        try (Stream<Path> files = Files.find(tmp, 4, (p, a) -> p.getFileName().toString().equals("postmaster.pid"))) {
            for (Path pidFile : files.toList()) {
                try {
                    ProcessHandle.of(postmasterPid(pidFile.getParent())).ifPresent(ProcessHandle::destroyForcibly);
                } catch (IOException | RuntimeException gone) {
                    // nothing to kill
                }
            }
        }
    }

    @Test
    void ephemeralServerRunsSqlAndVanishesOnClose() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral();
        Path dataDir = pg.dataDir();
        try {
            pg.createDatabase("app");
            assertThat(queryString(pg.jdbcUrl("app"), "select current_user || ' ' || version()"))
                    .startsWith("herald PostgreSQL 17.");
            assertThat(queryString(pg.jdbcUrl("app"), "show fsync")).isEqualTo("off");
            assertThat(pg.live()).isTrue();
        } finally {
            pg.close();
        }
        assertThat(acceptsConnections(pg.port())).isFalse();
        assertThat(dataDir).doesNotExist();
        assertThat(pg.live()).isFalse();
    }

    @Test
    void durableServerKeepsDataAcrossRestartOnTheSameDataDir() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            assertThat(queryString(pg.jdbcUrl("postgres"), "show fsync")).isEqualTo("on");
            assertThat(queryString(pg.jdbcUrl("postgres"), "show listen_addresses")).isEqualTo("127.0.0.1");
            pg.createDatabase("herald");
            execute(pg.jdbcUrl("herald"), "create table kept (v text); insert into kept values ('survives')");
        }
        assertThat(dataDir.resolve("PG_VERSION")).exists();
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            pg.createDatabase("herald"); // already there: no-op
            assertThat(queryString(pg.jdbcUrl("herald"), "select v from kept")).isEqualTo("survives");
        }
        assertThat(dataDir.resolve("postgres.log")).exists();
    }

    @Test
    void closeTwiceIsHarmless() {
        EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral();
        pg.close();
        assertThatCode(pg::close).doesNotThrowAnyException();
    }

    @Test
    void createDatabaseToleratesAnExistingDatabase() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral()) {
            pg.createDatabase("twice");
            pg.createDatabase("twice");
            assertThat(queryString(pg.jdbcUrl("twice"), "select current_database()")).isEqualTo("twice");
        }
    }

    @Test
    void refusesADataDirThatHoldsOtherFilesButNoCluster() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("holiday.jpg"), "not a cluster");
        assertThatThrownBy(() -> EmbeddedPostgres.start(dir))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(dir + " is not empty (holiday.jpg) but holds no PostgreSQL cluster");
        assertThat(dir.resolve("holiday.jpg")).exists();
    }

    // --- 6: closed to other local users ---

    @Test
    void aConnectionWithoutThePasswordIsRefusedOverTcpAndTheSocket() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral()) {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres?user=" + EmbeddedPostgres.USER;
            assertThatThrownBy(() -> DriverManager.getConnection(url).close()).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> DriverManager.getConnection(url + "&password=guess").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/psql")), "the socket check needs /usr/bin/psql");
            Result socket = run(List.of("/usr/bin/psql", "-h", pg.dataDir().toString(), "-p", Integer.toString(pg.port()),
                    "-U", EmbeddedPostgres.USER, "-d", "postgres", "-w", "-c", "select 1"), Map.of());
            assertThat(socket.exitCode()).as(socket.output()).isNotZero();
            assertThat(socket.output()).contains("no password supplied");
            assertIsHeraldsPrivateCluster(pg);
        }
    }

    @Test
    void anotherOsUserCanNeitherConnectNorReadThePassword() throws Exception {
        assumeTrue(EmbeddedBinaries.isRoot(), "skipping the other-OS-user checks: becoming user daemon (setpriv) needs"
                + " root; run the tests as root to check them (the password checks run regardless)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/psql")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "the other-user checks need /usr/bin/psql and /usr/bin/setpriv");
        try (EmbeddedPostgres pg = EmbeddedPostgres.startEphemeral()) {
            List<String> asDaemon = List.of("/usr/bin/setpriv", "--reuid=daemon", "--regid=daemon", "--clear-groups", "--");
            String port = Integer.toString(pg.port());
            Result tcp = run(concat(asDaemon, "/usr/bin/psql", "-h", "127.0.0.1", "-p", port, "-U", EmbeddedPostgres.USER,
                    "-d", "postgres", "-w", "-c", "select 1"), Map.of());
            assertThat(tcp.exitCode()).as(tcp.output()).isNotZero();
            assertThat(tcp.output()).contains("no password supplied");
            Result socket = run(concat(asDaemon, "/usr/bin/psql", "-h", pg.dataDir().toString(), "-p", port,
                    "-U", EmbeddedPostgres.USER, "-d", "postgres", "-w", "-c", "select 1"), Map.of());
            assertThat(socket.exitCode()).as(socket.output()).isNotZero();
            assertThat(socket.output()).contains("Permission denied");
            Path passwordFile = pg.dataDir().resolve(EmbeddedAuth.PASSWORD_FILE);
            Result read = run(concat(asDaemon, "/bin/cat", passwordFile.toString()), Map.of());
            assertThat(read.exitCode()).as(read.output()).isNotZero();
            assertThat(read.output()).contains("Permission denied");
            // the same psql as Herald's user, given the password, gets in: what keeps daemon out is who it is
            String password = Files.readString(passwordFile).strip();
            Result ours = run(List.of("/usr/bin/psql", "-h", "127.0.0.1", "-p", port, "-U", EmbeddedPostgres.USER,
                    "-d", "postgres", "-w", "-At", "-c", "select 42"), Map.of("PGPASSWORD", password));
            assertThat(ours.output().strip()).isEqualTo("42");
        }
    }

    @Test
    void aStoppedClusterCreatedWithTrustIsTakenOverWithoutLosingData() throws Exception {
        EmbeddedBinaries binaries = EmbeddedBinaries.get();
        Path dataDir = tmp.resolve("legacy");
        int port = startTrustCluster(binaries, dataDir);
        execute(trustUrl(port), "create table kept (v text); insert into kept values ('from the trust days')");
        assertThat(binaries.run(CMD, "pg_ctl", "stop", "-D", dataDir.toString(), "-m", "fast", "-w").ok()).isTrue();
        if (EmbeddedBinaries.isRoot()) {
            EmbeddedBinariesTest.chownTree(dataDir, EmbeddedBinaries.NOBODY); // as an older Herald, running PostgreSQL as nobody, left it
        }
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            assertThat(queryString(pg.jdbcUrl("postgres"), "select v from kept")).isEqualTo("from the trust days");
            assertIsHeraldsPrivateCluster(pg);
            assertThatThrownBy(() -> DriverManager.getConnection(trustUrl(pg.port())).close()).isInstanceOf(SQLException.class);
        }
    }

    @Test
    void aTrustServerLeftRunningIsTakenOverWithoutLosingData() throws Exception {
        EmbeddedBinaries binaries = EmbeddedBinaries.get();
        Path dataDir = tmp.resolve("legacy");
        int port = startTrustCluster(binaries, dataDir);
        execute(trustUrl(port), "create table kept (v text); insert into kept values ('still here')");
        long legacyPid = postmasterPid(dataDir);
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            assertThat(EmbeddedPostgres.alive(legacyPid)).isFalse();
            assertThat(queryString(pg.jdbcUrl("postgres"), "select v from kept")).isEqualTo("still here");
            assertIsHeraldsPrivateCluster(pg);
            assertThatThrownBy(() -> DriverManager.getConnection(trustUrl(pg.port())).close()).isInstanceOf(SQLException.class);
        }
    }

    // --- 8: as root, from any directory the user owns ---

    @Test
    void runsFromADataDirInsideADirectoryOnlyItsOwnerCanEnter() throws Exception {
        Path locked = Files.createDirectories(tmp.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        Path dataDir = locked.resolve("data");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            pg.createDatabase("herald");
            execute(pg.jdbcUrl("herald"), "create table t (v int); insert into t values (1)");
            assertThat(queryString(pg.jdbcUrl("herald"), "select count(*) from t")).isEqualTo("1");
            int me = EmbeddedBinaries.euid();
            assertThat(EmbeddedBinaries.owner(dataDir.resolve("PG_VERSION"))).isEqualTo(me);
            assertThat(EmbeddedBinaries.owner(dataDir.resolve("base"))).isEqualTo(me);
            long pid = postmasterPid(dataDir);
            assertThat(realUid(pid)).isEqualTo(me);
            if (me == 0) { // PostgreSQL refuses uid 0: it runs in its own user namespace, not as nobody
                assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "user")))
                        .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/user")));
            }
        }
    }

    // --- 13: supervised, one owner per data dir ---

    @Test
    void aKilledPostmasterIsRestartedOnTheSamePortAndPooledConnectionsComeBack() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(tmp.resolve("data"));
                Database db = openApp(pg)) {
            insertWidget(db, 1);
            long before = postmasterPid(pg.dataDir());
            ProcessHandle.of(before).orElseThrow().destroyForcibly(); // SIGKILL
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> countWidgets(db) == 1);
            assertThat(postmasterPid(pg.dataDir())).isNotEqualTo(before);
            assertThat(pg.live()).isTrue();
            insertWidget(db, 2);
            assertThat(countWidgets(db)).isEqualTo(2);
        }
    }

    @Test
    void liveIsFalseWhileTheServerCannotBeRestartedAndTrueOnceItIs() throws Exception {
        Path cache = EmbeddedBinariesTest.copyOfTheCache(tmp.resolve("cache"));
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(tmp.resolve("data"), false, EmbeddedBinaries.open(cache), Duration.ZERO)) {
            Path sample = cache.resolve("share/postgresql/pg_hba.conf.sample");
            String original = Files.readString(sample);
            Files.writeString(sample, original + "# changed after unpacking\n"); // the binaries no longer verify
            ProcessHandle.of(postmasterPid(pg.dataDir())).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> !pg.live());
            assertThat(acceptsConnections(pg.port())).isFalse();
            Files.writeString(sample, original);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> pg.live() && "1".equals(queryString(pg.jdbcUrl("postgres"), "select 1")));
        }
    }

    @Test
    void aSecondOwnerInAnotherProcessIsRefusedAndCannotStopTheFirstsServer() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (Owner first = Owner.start(dataDir, tmp)) {
            long pid = postmasterPid(dataDir);
            assertThatThrownBy(() -> EmbeddedPostgres.start(dataDir, false, EmbeddedBinaries.get(), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(dataDir.toRealPath() + " is in use by another process (pid " + first.process().pid() + ")")
                    .hasMessageContaining("or choose another --data-dir");
            assertThat(EmbeddedPostgres.alive(pid)).isTrue();
            assertThat(acceptsConnections(first.port())).isTrue();
            assertThat(postmasterPid(dataDir)).isEqualTo(pid);
        }
    }

    @Test
    void aSecondOwnerInTheSameProcessIsRefused() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            assertThatThrownBy(() -> EmbeddedPostgres.start(dataDir, false, EmbeddedBinaries.get(), Duration.ofMillis(300)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is in use by this process");
            assertThat(queryString(pg.jdbcUrl("postgres"), "select 1")).isEqualTo("1");
        }
    }

    @Test
    void aServerLeftRunningByAKilledProcessIsAdoptedWithItsData() throws Exception {
        Path dataDir = tmp.resolve("data");
        Owner crashed = Owner.start(dataDir, tmp);
        int port = crashed.port();
        String password = Files.readString(dataDir.resolve(EmbeddedAuth.PASSWORD_FILE)).strip();
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=herald&password=" + password;
        execute(url, "create table kept (v text); insert into kept values ('before the crash')");
        crashed.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: its server stays, its lock goes
        assertThat(acceptsConnections(port)).isTrue();
        try (EmbeddedPostgres next = EmbeddedPostgres.start(dataDir)) {
            assertThat(next.port()).isEqualTo(port);
            assertThat(queryString(next.jdbcUrl("postgres"), "select v from kept")).isEqualTo("before the crash");
        }
        assertThat(acceptsConnections(port)).isFalse();
    }

    // --- issue 18: the pool's role, the server's environment, an exit during the first start ---

    @Test
    void heraldsPoolRunsAsARoleThatIsNoSuperuserAndCannotRunServerPrograms() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(tmp.resolve("data"))) {
            pg.createDatabase("app");
            try (Database db = Database.open(DatabaseConfig.fromUrl(pg.jdbcUrl("app")), DatabaseConfig.fromUrl(pg.runtimeJdbcUrl("app")),
                    "classpath:db/testmigration")) {
                insertWidget(db, 1); // the grants cover the schema's tables
                assertThat(countWidgets(db)).isEqualTo(1);
                try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                    try (ResultSet rs = s.executeQuery("select current_user, rolsuper from pg_roles where rolname = current_user")) {
                        rs.next();
                        assertThat(rs.getString(1)).isEqualTo(EmbeddedPostgres.RUNTIME_USER);
                        assertThat(rs.getBoolean(2)).isFalse();
                    }
                    s.execute("create temp table leak (line text)");
                    assertThatThrownBy(() -> s.execute("copy leak from program 'env'"))
                            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
                    assertThatThrownBy(() -> s.execute("create table public.mine (v int)"))
                            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
                    assertThatThrownBy(() -> s.execute("alter table widgets disable trigger all"))
                            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
                }
                try (Connection c = db.ownerDataSource().getConnection(); Statement s = c.createStatement()) {
                    s.execute("create table later (v int)"); // made by the owner after the grants: default privileges cover it
                }
                try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                    s.execute("insert into later values (1)");
                }
            }
        }
    }

    @Test
    void aClusterFromBeforeTheRuntimeRoleGetsItOnItsNextStart() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            execute(pg.jdbcUrl("postgres"), "drop role " + EmbeddedPostgres.RUNTIME_USER); // as an older Herald left it: a superuser only
        }
        Files.delete(dataDir.resolve(EmbeddedAuth.RUNTIME_PASSWORD_FILE));
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
            assertThat(queryString(pg.runtimeJdbcUrl("postgres"), "select current_user")).isEqualTo(EmbeddedPostgres.RUNTIME_USER);
            assertThat(Files.getPosixFilePermissions(dataDir.resolve(EmbeddedAuth.RUNTIME_PASSWORD_FILE)))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void theServersEnvironmentHoldsNoneOfHeraldsVariables() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (Starter s = Starter.start(dataDir, tmp, EmbeddedBinaries.get().home())) {
            s.await("READY");
            long pid = postmasterPid(dataDir);
            String environ = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8);
            List<String> names = Stream.of(environ.split("\0")).map(v -> v.substring(0, Math.max(0, v.indexOf('=')))).toList();
            assertThat(names).isNotEmpty().noneMatch(n -> n.startsWith("HERALD_")).contains("LC_ALL");
            assertThat(environ).doesNotContain(Starter.MASTER_KEY);
        }
    }

    /** Where a first start is when the JVM is told to exit, and how it is told. */
    enum ExitPoint {
        UNPACKING_THE_BINARIES("TERM"), INITDB("INT"), STARTING_THE_SERVER("TERM"), MIGRATING("INT"), RUNNING("TERM");

        final String signal;

        ExitPoint(String signal) {
            this.signal = signal;
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(ExitPoint.class)
    void anExitAtAnyMomentOfTheFirstStartLeavesNothingRunningNorBehind(ExitPoint point) throws Exception {
        Path dataDir = tmp.resolve("data");
        Path cache = point == ExitPoint.UNPACKING_THE_BINARIES ? tmp.resolve("cache").resolve("postgres") : EmbeddedBinaries.get().home();
        try (Starter s = Starter.start(dataDir, tmp, cache)) {
            switch (point) {
                case UNPACKING_THE_BINARIES -> s.awaitFile(() -> listNames(cache.getParent()).stream().anyMatch(n -> n.contains(".tmp-")));
                case INITDB -> s.awaitFile(() -> Files.exists(dataDir.resolve(".herald.initdb")));
                case STARTING_THE_SERVER -> s.awaitFile(() -> Files.exists(dataDir.resolve("postmaster.pid")));
                case MIGRATING -> s.await("STARTED");
                case RUNNING -> s.await("READY");
            }
            s.signal(point.signal);
            assertThat(s.process().waitFor(60, TimeUnit.SECONDS)).as("the process exits").isTrue();
            assertThat(postgresProcessesOf(dataDir)).as("postgres processes of " + dataDir + " after the exit").isEmpty();
            assertThat(listNames(s.tmpDir())).as("temp files").isEmpty();
            assertThat(listNames(dataDir)).doesNotContain(".herald.initdb", "herald.initdb-pwfile");
            assertThat(listNames(cache.getParent())).noneMatch(n -> n.contains(".tmp-") || n.contains(".stale-"));
        }
        assertThat(postgresProcessesOf(dataDir)).isEmpty();
        if (point != ExitPoint.UNPACKING_THE_BINARIES) { // what was left starts again
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
                assertThat(queryString(pg.jdbcUrl("postgres"), "select 1")).isEqualTo("1");
            }
        }
    }

    @Test
    void anOwnerGivenAGraceOnExitStillUsesTheServerFromItsOwnExitHookAndNothingIsLeftRunning() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (Starter s = Starter.start(dataDir, tmp, EmbeddedBinaries.get().home(), "owner-hook")) {
            s.await("READY");
            s.signal("TERM");
            assertThat(s.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(EmbeddedBinaries.read(s.out())).contains("HOOK-QUERY ok");
            assertThat(postgresProcessesOf(dataDir)).isEmpty();
        }
    }

    private static List<String> listNames(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of(); // went away meanwhile
        }
    }

    /** The pids of running postgres processes whose command line names {@code dataDir}. */
    private static List<Long> postgresProcessesOf(Path dataDir) throws IOException {
        String dir = dataDir.toAbsolutePath().normalize().toString();
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                long pid = Long.parseLong(p.getFileName().toString());
                String cmdline = EmbeddedBinaries.read(p.resolve("cmdline")).replace('\0', ' ');
                if (EmbeddedPostgres.alive(pid) && cmdline.contains(dir)) {
                    pids.add(pid);
                }
            }
        }
        return pids;
    }

    /** {@link EmbeddedPostgresStarter} in a JVM of its own, with Herald's secrets in its environment and a temp dir of its own. */
    private record Starter(Process process, Path out, Path tmpDir) implements AutoCloseable {
        static final String MASTER_KEY = "hmk_" + "a".repeat(43);

        static Starter start(Path dataDir, Path tmp, Path cache, String... mode) throws IOException {
            Path out = tmp.resolve("starter-" + UUID.randomUUID() + ".log");
            Path tmpDir = Files.createDirectories(tmp.resolve("jvm-tmp-" + UUID.randomUUID()));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:-UsePerfData", "-Dherald.pg.cache=" + cache,
                    "-Djava.io.tmpdir=" + tmpDir, "-cp", System.getProperty("java.class.path"), EmbeddedPostgresStarter.class.getName(),
                    dataDir.toString(), mode.length > 0 ? mode[0] : "plain").redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("HERALD_MASTER_KEY", MASTER_KEY);
            pb.environment().put("HERALD_ADMIN_KEY", "hk_" + "b".repeat(40));
            return new Starter(pb.start(), out, tmpDir);
        }

        void await(String line) {
            awaitFile(() -> EmbeddedBinaries.read(out).contains(line));
        }

        void awaitFile(java.util.function.BooleanSupplier condition) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!condition.getAsBoolean()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the starter did not get there:\n" + EmbeddedBinaries.read(out));
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }

        void signal(String name) throws IOException, InterruptedException {
            new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.getOutputStream().close();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    // --- helpers ---

    /** Password file 0600 in a 0700 data dir, both Herald's user's; no trust anywhere in pg_hba.conf. */
    private static void assertIsHeraldsPrivateCluster(EmbeddedPostgres pg) throws IOException {
        Path dir = pg.dataDir();
        Path password = dir.resolve(EmbeddedAuth.PASSWORD_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(password))).isEqualTo("rw-------");
        assertThat(EmbeddedBinaries.owner(password)).isEqualTo(EmbeddedBinaries.euid());
        assertThat(EmbeddedBinaries.owner(dir)).isEqualTo(EmbeddedBinaries.euid());
        String hba = Files.readString(dir.resolve("pg_hba.conf"));
        assertThat(hba).isEqualTo(EmbeddedAuth.HBA).doesNotContain("trust");
        assertThat(hba.lines().filter(l -> !l.isBlank() && !l.startsWith("#")))
                .hasSize(3).allMatch(l -> l.endsWith(" scram-sha-256"));
        assertThat(pg.jdbcUrl("x")).contains("password=" + Files.readString(password).strip());
        assertThat(pg.toString()).doesNotContain(Files.readString(password).strip());
    }

    /** A cluster as older Herald versions made it (trust authentication, no password), started; returns its port. */
    private static int startTrustCluster(EmbeddedBinaries binaries, Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
        EmbeddedBinaries.Result init = binaries.run(CMD, "initdb", "-D", dataDir.toString(), "-A", "trust", "-U", "herald",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions");
        assertThat(init.ok()).as(init.describe()).isTrue();
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        EmbeddedBinaries.Result start = binaries.run(CMD, "pg_ctl", "start", "-w", "-t", "60", "-D", dataDir.toString(),
                "-l", dataDir.resolve("postgres.log").toString(),
                "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -c unix_socket_directories=''");
        assertThat(start.ok()).as(start.describe()).isTrue();
        return port;
    }

    private static String trustUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=herald";
    }

    private static Database openApp(EmbeddedPostgres pg) {
        pg.createDatabase("app");
        return Database.open(DatabaseConfig.fromUrl(pg.jdbcUrl("app")), "classpath:db/testmigration");
    }

    private static void insertWidget(Database db, long id) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("insert into widgets (id, name) values (" + id + ", 'w')");
        }
    }

    private static long countWidgets(Database db) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from widgets")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static long postmasterPid(Path dataDir) throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).getFirst().trim());
    }

    private static int realUid(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no Uid line for " + pid);
    }

    static String queryString(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void execute(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static boolean acceptsConnections(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> concat(List<String> prefix, String... rest) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(rest));
        return all;
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(Path.of("/").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Result(p.exitValue(), out);
    }

    /** {@link EmbeddedPostgresOwner} in a JVM of its own; closing it closes its stdin, so it stops its server and exits. */
    private record Owner(Process process, int port) implements AutoCloseable {

        private static final Pattern READY = Pattern.compile("OWNER-READY port=(\\d+)");

        static Owner start(Path dataDir, Path tmp) throws IOException {
            Path out = tmp.resolve("owner-" + UUID.randomUUID() + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx128m", "-Dherald.pg.cache=" + EmbeddedBinaries.get().home(),
                    "-cp", System.getProperty("java.class.path"), EmbeddedPostgresOwner.class.getName(), dataDir.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                Matcher m = READY.matcher(EmbeddedBinaries.read(out));
                if (m.find()) {
                    return new Owner(p, Integer.parseInt(m.group(1)));
                }
                if (!p.isAlive()) {
                    break;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            p.destroyForcibly();
            throw new AssertionError("the owner process did not start its server:\n" + EmbeddedBinaries.read(out));
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
