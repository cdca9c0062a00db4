package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import dev.herald.web.ConnectionLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The command line: where each setting comes from (flags, then HERALD_* environment, then the --config file, then the
 * built-in default), how bad settings are reported (exit 2, one line on stderr), and sizes. Nothing here starts a server.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS) // a case that wrongly passed validation would start a server and block
class MainTest {
    private static final String ADMIN_KEY = "cli-test-admin-key-0123456789";
    private static final String MASTER_KEY = "UUFsNtSWu8pvgspURUHPHhJpSiOZDV8ZZoeRrNlPIz4=";
    private static final Map<String, String> WITH_MASTER_KEY = Map.of("HERALD_MASTER_KEY", MASTER_KEY);

    @TempDir
    Path dir;

    // ---------------------------------------------------------------- precedence

    @Test
    void builtInDefaults() {
        Main.Serve s = serve(Map.of(), new Properties());
        assertThat(s.host).isEqualTo("0.0.0.0");
        assertThat(s.port).isEqualTo(8080);
        assertThat(s.dataDir).isEqualTo(Path.of("herald-data"));
        assertThat(s.databaseUrl).isNull();
        assertThat(s.allowPrivate).isFalse();
        assertThat(s.httpsOnly).isFalse();
        assertThat(s.maxBodySize).isEqualTo("256KiB");
        assertThat(s.autoDisableAfter).isEqualTo(10);
        assertThat(s.maxInFlight).isEqualTo(16);

        ServerConfig cfg = s.config(Map.of());
        assertThat(cfg.maxBodyBytes()).isEqualTo(262_144);
        assertThat(cfg.dataDir().isAbsolute()).isTrue();
        assertThat(cfg.dataDir().getFileName()).isEqualTo(Path.of("herald-data"));
        assertThat(cfg.adminKey()).isNull();
    }

    @Test
    void theConfigFileSetsEverySetting() {
        Properties file = props("host=127.0.0.1", "port=9001", "data-dir=/var/lib/herald", "database-url=postgresql://herald@db:5432/herald",
                "allow-private-addresses=true", "https-only=true", "max-body-size=1MiB", "auto-disable-after=3", "max-in-flight-per-endpoint=4");
        Main.Serve s = serve(Map.of(), file);
        assertThat(s.host).isEqualTo("127.0.0.1");
        assertThat(s.port).isEqualTo(9001);
        assertThat(s.dataDir).isEqualTo(Path.of("/var/lib/herald"));
        assertThat(s.databaseUrl).isEqualTo("postgresql://herald@db:5432/herald");
        assertThat(s.allowPrivate).isTrue();
        assertThat(s.httpsOnly).isTrue();
        assertThat(s.maxBodySize).isEqualTo("1MiB");
        assertThat(s.autoDisableAfter).isEqualTo(3);
        assertThat(s.maxInFlight).isEqualTo(4);
        assertThat(s.config(WITH_MASTER_KEY).maxBodyBytes()).isEqualTo(1_048_576);
    }

    @Test
    void schemaValidationIsWarnByDefaultAndSetByFileEnvironmentOrFlag() {
        assertThat(serve(Map.of(), props()).config(WITH_MASTER_KEY).schemaValidation()).isEqualTo(dev.herald.catalog.ValidationMode.WARN);
        assertThat(serve(Map.of(), props("schema-validation=off")).config(WITH_MASTER_KEY).schemaValidation()).isEqualTo(dev.herald.catalog.ValidationMode.OFF);
        assertThat(serve(Map.of("HERALD_SCHEMA_VALIDATION", "enforce"), props("schema-validation=off")).config(WITH_MASTER_KEY).schemaValidation())
                .isEqualTo(dev.herald.catalog.ValidationMode.ENFORCE);
        assertThat(serve(Map.of("HERALD_SCHEMA_VALIDATION", "enforce"), props(), "--schema-validation", "off").config(WITH_MASTER_KEY).schemaValidation())
                .isEqualTo(dev.herald.catalog.ValidationMode.OFF);
    }

    @Test
    void theEnvironmentBeatsTheFile() {
        Properties file = props("port=9001", "host=127.0.0.1", "max-body-size=1MiB", "allow-private-addresses=false", "max-in-flight-per-endpoint=4");
        Map<String, String> env = Map.of("HERALD_PORT", "9002", "HERALD_MAX_BODY_SIZE", "2MiB", "HERALD_ALLOW_PRIVATE_ADDRESSES", "true",
                "HERALD_MAX_IN_FLIGHT_PER_ENDPOINT", "7");
        Main.Serve s = serve(env, file);
        assertThat(s.port).isEqualTo(9002);
        assertThat(s.maxBodySize).isEqualTo("2MiB");
        assertThat(s.allowPrivate).isTrue();
        assertThat(s.maxInFlight).isEqualTo(7);
        assertThat(s.host).as("not in the environment: from the file").isEqualTo("127.0.0.1");
    }

    @Test
    void flagsBeatTheEnvironmentAndTheFile() {
        Properties file = props("port=9001", "host=127.0.0.1", "auto-disable-after=3");
        Map<String, String> env = Map.of("HERALD_PORT", "9002", "HERALD_HOST", "10.0.0.1", "HERALD_AUTO_DISABLE_AFTER", "4");
        Main.Serve s = serve(env, file, "--port", "9003", "--auto-disable-after=5");
        assertThat(s.port).isEqualTo(9003);
        assertThat(s.autoDisableAfter).isEqualTo(5);
        assertThat(s.host).as("no flag: from the environment").isEqualTo("10.0.0.1");
    }

    @Test
    void blankEnvironmentValuesAreIgnoredAndFileValuesTrimmed() {
        Main.Serve s = serve(Map.of("HERALD_PORT", "  ", "HERALD_HOST", ""), props("port = 9001   ", "host=127.0.0.1 "));
        assertThat(s.port).isEqualTo(9001);
        assertThat(s.host).isEqualTo("127.0.0.1");
    }

    @Test
    void theSubcommandOfTheFullCommandLineGetsTheSameDefaults() {
        CommandLine cl = Main.commandLine(Map.of("HERALD_PORT", "9002"), props("port=9001", "host=127.0.0.1"));
        CommandLine.ParseResult pr = cl.parseArgs("serve", "--max-body-size", "64KiB");
        Main.Serve s = (Main.Serve) pr.subcommand().commandSpec().userObject();
        assertThat(s.port).isEqualTo(9002);
        assertThat(s.host).isEqualTo("127.0.0.1");
        assertThat(s.maxBodySize).isEqualTo("64KiB");
    }

    @Test
    void theAdminKeyComesFromTheEnvironmentOnly() {
        Main.Serve s = serve(Map.of("HERALD_ADMIN_KEY", ADMIN_KEY), props("admin-key=from-the-file-0123456789"));
        assertThat(s.config(Map.of("HERALD_ADMIN_KEY", ADMIN_KEY)).adminKey()).isEqualTo(ADMIN_KEY);
        assertThat(s.config(Map.of()).adminKey()).as("a file key is not a setting").isNull();
        assertThat(s.config(Map.of("HERALD_ADMIN_KEY", " ")).adminKey()).isNull();

        Result r = run(Map.of(), "serve", "--admin-key", ADMIN_KEY, "--data-dir", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option", "'--admin-key'");
    }

    @Test
    void theConfigFileIsNamedByFlagOrEnvironmentAndTheFlagWins() throws IOException {
        Path a = Files.writeString(dir.resolve("a.properties"), "port=1111\n");
        Path b = Files.writeString(dir.resolve("b.properties"), "port=2222\n");
        assertThat(Main.configFile(new String[] {"serve"}, Map.of("HERALD_CONFIG", a.toString())).get("port")).isEqualTo("1111");
        assertThat(Main.configFile(new String[] {"serve", "--config", b.toString()}, Map.of("HERALD_CONFIG", a.toString())).get("port"))
                .isEqualTo("2222");
        assertThat(Main.configFile(new String[] {"serve", "--config=" + b}, Map.of()).get("port")).isEqualTo("2222");
        assertThat(Main.configFile(new String[] {"serve"}, Map.of()).values()).isEmpty();
    }

    // ---------------------------------------------------------------- invalid configuration: exit 2, one line on stderr

    static Stream<Arguments> invalidSettings() {
        return Stream.of(
                Arguments.of(List.of("--port", "70000"), Map.of(), "port must be between 0 and 65535, got 70000"),
                Arguments.of(List.of("--port", "-1"), Map.of(), "port must be between 0 and 65535, got -1"),
                Arguments.of(List.of(), Map.of("HERALD_PORT", "70000"), "port must be between 0 and 65535, got 70000"),
                Arguments.of(List.of("--max-body-size", "huge"), Map.of(), "max-body-size must be a size such as 262144, 256KiB or 1MiB, got 'huge'"),
                Arguments.of(List.of(), Map.of("HERALD_MAX_BODY_SIZE", "1.5MiB"), "max-body-size must be a size such as 262144, 256KiB or 1MiB, got '1.5MiB'"),
                Arguments.of(List.of("--max-body-size", "100"), Map.of(), "max-body-size must be between 1KiB and 64MiB, got 100 bytes"),
                Arguments.of(List.of("--max-body-size", "65MiB"), Map.of(), "max-body-size must be between 1KiB and 64MiB, got 68157440 bytes"),
                Arguments.of(List.of("--auto-disable-after", "0"), Map.of(), "auto-disable-after must be at least 1, got 0"),
                Arguments.of(List.of("--max-in-flight-per-endpoint", "1001"), Map.of(), "max-in-flight-per-endpoint must be between 1 and 1000, got 1001"),
                Arguments.of(List.of("--database-url", "mysql://herald@db/herald"), Map.of(),
                        "database URL must look like postgresql://user@host:5432/db: the scheme must be postgresql or postgres, not mysql"),
                Arguments.of(List.of("--database-url", "postgresql://db:5432/herald"), Map.of(),
                        "database URL must look like postgresql://user@host:5432/db: the user is missing"),
                Arguments.of(List.of("--amqp-url", "http://guest:s3cret@mq:5672/"), Map.of(),
                        "amqp-url must look like amqp://user:password@host:5672/vhost: the scheme must be amqp or amqps, got http://guest:***@mq:5672/"),
                Arguments.of(List.of(), Map.of("HERALD_AMQP_URL", "amqp://guest:s3cret@/"),
                        "amqp-url must look like amqp://user:password@host:5672/vhost: the host is missing in amqp://guest:***@/"),
                Arguments.of(List.of("--amqp-bindings", "transfer.*,bad binding"), Map.of(),
                        "amqp-bindings must be dot-separated words, * or #, such as transfer.* or #, got 'bad binding'"),
                Arguments.of(List.of("--amqp-bindings", " , "), Map.of(),
                        "amqp-bindings must name at least one routing pattern, e.g. # or account.*,transfer.*"),
                Arguments.of(List.of(), Map.of("HERALD_ADMIN_KEY", "short"),
                        "HERALD_ADMIN_KEY must be 16-200 printable ASCII characters without spaces"),
                Arguments.of(List.of(), Map.of("HERALD_ADMIN_KEY", "has spaces in the admin key"),
                        "HERALD_ADMIN_KEY must be 16-200 printable ASCII characters without spaces"),
                Arguments.of(List.of(), Map.of("HERALD_ADMIN_KEY", "k".repeat(201)),
                        "HERALD_ADMIN_KEY must be 16-200 printable ASCII characters without spaces"),
                Arguments.of(List.of("--max-connections", "0"), Map.of(), "max-connections must be between 1 and 1000000, got 0"),
                Arguments.of(List.of("--idle-timeout", "soon"), Map.of(), "idle-timeout must be a duration such as 30s, 500ms or 2m, got 'soon'"),
                Arguments.of(List.of(), Map.of("HERALD_IDLE_TIMEOUT", "2h"), "idle-timeout must be between 50ms and 1h, got 2h"),
                Arguments.of(List.of("--header-timeout", "10ms"), Map.of(), "header-timeout must be between 50ms and 1h, got 10ms"),
                Arguments.of(List.of("--database-url", "postgresql://herald@db/herald", "--database-url-file", "/etc/hostname"), Map.of(),
                        "database-url and database-url-file are both set; give one of them"),
                Arguments.of(List.of("--amqp-url-file", "/no/such/file"), Map.of(), "amqp-url-file cannot be read: /no/such/file"),
                Arguments.of(List.of("--metrics-port", "70000"), Map.of(), "metrics-port must be between 0 and 65535, got 70000"),
                Arguments.of(List.of("--metrics-top-endpoints", "101"), Map.of(), "metrics-top-endpoints must be between 0 and 100, got 101"),
                Arguments.of(List.of("--retention-days", "0"), Map.of(), "retention-days must be between 1 and 3650, got 0"),
                Arguments.of(List.of(), Map.of("HERALD_RETENTION_DAYS", "4000"), "retention-days must be between 1 and 3650, got 4000"),
                Arguments.of(List.of("--schema-validation", "strict"), Map.of(), "schema-validation must be off, warn or enforce, got 'strict'"),
                Arguments.of(List.of(), Map.of("HERALD_METRICS_KEY", "short"), "metrics-key must be 16-200 printable ASCII characters without spaces"),
                Arguments.of(List.of(), Map.of("HERALD_EGRESS_PROXY", "socks5://line:s3cret@proxy.bank:1080"),
                        "egress-proxy must be an http:// URL (Herald tunnels TLS through the proxy with CONNECT)"));
    }

    @ParameterizedTest
    @MethodSource("invalidSettings")
    void anInvalidSettingExitsWith2AndOneLineOnStderr(List<String> flags, Map<String, String> env, String message) {
        String[] args = Stream.concat(Stream.of("serve", "--data-dir", dir.resolve("never").toString()), flags.stream()).toArray(String[]::new);
        Result r = run(env, args);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald: invalid configuration: " + message + System.lineSeparator());
        assertThat(r.out()).isEmpty();
        assertThat(dir.resolve("never")).as("nothing was started").doesNotExist();
    }

    @Test
    void theBusSettingsComeFromFlagsEnvironmentOrFileAndDefaultToAnInProcessBusTakingEverything() {
        ServerConfig defaults = serve(Map.of(), new Properties()).config(Map.of());
        assertThat(defaults.amqpUrl()).isNull();
        assertThat(defaults.amqpBindings()).containsExactly("#");

        ServerConfig fromFile = serve(Map.of(), props("amqp-url=amqp://herald:pw@mq:5672/", "amqp-bindings=transfer.*, account.#")).config(Map.of());
        assertThat(fromFile.amqpUrl()).isEqualTo("amqp://herald:pw@mq:5672/");
        assertThat(fromFile.amqpBindings()).containsExactly("transfer.*", "account.#");

        ServerConfig fromEnv = serve(Map.of("HERALD_AMQP_URL", "amqp://e:pw@env/"), props("amqp-url=amqp://f:pw@file/")).config(Map.of());
        assertThat(fromEnv.amqpUrl()).isEqualTo("amqp://e:pw@env/");
        ServerConfig fromFlag = serve(Map.of("HERALD_AMQP_URL", "amqp://e:pw@env/"), new Properties(), "--amqp-url", "amqp://g:pw@flag/").config(Map.of());
        assertThat(fromFlag.amqpUrl()).isEqualTo("amqp://g:pw@flag/");
    }

    @Test
    void theAmqpPasswordIsNeverPrintedNorLogged() {
        ServerConfig cfg = serve(Map.of(), new Properties(), "--amqp-url", "amqp://herald:s3cret@mq:5672/finance").config(Map.of());
        assertThat(cfg.toString()).contains("amqp://herald:***@mq:5672/finance").doesNotContain("s3cret");

        Result help = run(Map.of("HERALD_AMQP_URL", "amqp://herald:s3cret@mq:5672/"), "serve", "--help");
        assertThat(help.out() + help.err()).doesNotContain("s3cret");
    }

    @Test
    void anUnreachableBrokerStopsTheStartWithTheUrlMasked() {
        Result r = run(Map.of("HERALD_ADMIN_KEY", ADMIN_KEY), "serve", "--data-dir", dir.resolve("data").toString(), "--port", "0",
                "--amqp-url", "amqp://herald:s3cret@127.0.0.1:1/");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("herald: could not start: cannot connect to RabbitMQ at amqp://herald:***@127.0.0.1:1/")
                .doesNotContain("s3cret");
        assertThat(dir.resolve("data")).as("no database was started for nothing").doesNotExist();
    }

    @Test
    void anInvalidSettingInTheConfigFileIsReportedTheSameWay() throws IOException {
        Path file = Files.writeString(dir.resolve("herald.properties"), "# ports\nport=70000\n");
        Result r = run(Map.of(), "serve", "--config", file.toString(), "--data-dir", dir.resolve("never").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald: invalid configuration: port must be between 0 and 65535, got 70000 (" + file + " line 2)"
                + System.lineSeparator());
    }

    // ---------------------------------------------------------------- the config file names file, line and key (issue 18 item 6)

    @Test
    void anUnknownKeyInTheConfigFileIsRefusedWithFileLineAndKey() throws IOException {
        Path file = Files.writeString(dir.resolve("herald.properties"), "host=127.0.0.1\n\nprot=9\n");
        Result r = run(Map.of(), "serve", "--config", file.toString(), "--data-dir", dir.resolve("never").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald: invalid configuration: " + file + " line 3: unknown key 'prot' (did you mean 'port'?);"
                + " keys are the long flags of 'herald serve' without the dashes, e.g. port=8080" + System.lineSeparator());
        assertThat(r.out()).isEmpty();
        assertThat(dir.resolve("never")).as("nothing was started").doesNotExist();
    }

    @Test
    void aConfigFileOfGarbageIsRefusedNotStartedOnAllAddresses() throws IOException {
        byte[] garbage = new byte[512];
        new java.util.Random(18).nextBytes(garbage);
        Path file = Files.write(dir.resolve("garbage.properties"), garbage);
        Result r = run(Map.of(), "serve", "--config", file.toString(), "--data-dir", dir.resolve("never").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("herald: invalid configuration: " + file + " line ").contains("unknown key");
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).as("shown safely on a terminal").matches("[\\x20-\\x7e…\\r\\n]*");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void aValueOfTheWrongTypeInTheConfigFileNamesFileLineAndKeyWithoutTheUsage() throws IOException {
        Path file = Files.writeString(dir.resolve("herald.properties"), "host=127.0.0.1\nport=eighty\n");
        Result r = run(Map.of(), "serve", "--config", file.toString(), "--data-dir", dir.resolve("never").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald: invalid configuration: " + file + " line 2: port=eighty: 'eighty' is not an int" + System.lineSeparator());

        Path bool = Files.writeString(dir.resolve("bool.properties"), "https-only=yes\n");
        Result b = run(Map.of(), "serve", "--config", bool.toString(), "--data-dir", dir.resolve("never").toString());
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err()).startsWith("herald: invalid configuration: " + bool + " line 1: https-only=yes: ").doesNotContain("Usage");
    }

    @Test
    void aFlagOverridingABadFileValueIsNotBlamedOnTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("herald.properties"), "port=70000\n");
        Result r = run(Map.of(), "serve", "--config", file.toString(), "--port", "70001", "--data-dir", dir.resolve("never").toString());
        assertThat(r.err()).isEqualTo("herald: invalid configuration: port must be between 0 and 65535, got 70001" + System.lineSeparator());
    }

    @Test
    void aMissingConfigFileExitsWith2() {
        Path missing = dir.resolve("missing.properties");
        Result r = run(Map.of(), "serve", "--config", missing.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("herald: invalid configuration: cannot read config file: ").contains("missing.properties");
        Result viaEnv = run(Map.of("HERALD_CONFIG", missing.toString()), "serve");
        assertThat(viaEnv.code()).isEqualTo(2);
        assertThat(viaEnv.err()).startsWith("herald: invalid configuration: cannot read config file: ");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--port abc|Invalid value for option '--port': 'abc' is not an int",
            "--auto-disable-after 1.5|Invalid value for option '--auto-disable-after': '1.5' is not an int",
            "--no-such-flag|Unknown option: '--no-such-flag'",
            "--port|Missing required parameter for option '--port'"})
    void unparseableFlagsExitWith2(String flags, String message) {
        String[] args = Stream.concat(Stream.of("serve", "--data-dir", dir.resolve("never").toString()), Stream.of(flags.split(" "))).toArray(String[]::new);
        Result r = run(Map.of(), args);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(message).contains("Usage: herald serve");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void anUnparseableEnvironmentValueExitsWith2() {
        Result r = run(Map.of("HERALD_PORT", "eighty"), "serve", "--data-dir", dir.resolve("never").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald: invalid configuration: HERALD_PORT=eighty: 'eighty' is not an int" + System.lineSeparator());
        Result bool = run(Map.of("HERALD_HTTPS_ONLY", "yes"), "serve", "--data-dir", dir.resolve("never").toString());
        assertThat(bool.code()).isEqualTo(2);
        assertThat(bool.err()).contains("'yes' is not a boolean");
    }

    @Test
    void environmentVariablesNamedAfterHelpOptionsDoNotTurnThemOn() {
        Map<String, String> env = new HashMap<>(Map.of("HERALD_HELP", "true", "HERALD_VERSION", "true"));
        Result r = run(env, "serve", "--port", "70000", "--data-dir", dir.resolve("never").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("herald: invalid configuration: port must be between 0 and 65535, got 70000" + System.lineSeparator());
    }

    // ---------------------------------------------------------------- connection limits (issue item 12)

    @Test
    void theConnectionLimitsComeFromFlagsEnvironmentOrFileAndDefaultToTheOpenFilesBudget() {
        ServerConfig defaults = serve(Map.of(), new Properties()).config(Map.of());
        assertThat(defaults.connectionLimits())
                .isEqualTo(new ConnectionLimits(ConnectionLimits.defaultMaxConnections(), Duration.ofSeconds(30), Duration.ofSeconds(10)));
        assertThat(ConnectionLimits.defaultMaxConnections(1024)).isEqualTo(384);
        assertThat(ConnectionLimits.defaultMaxConnections(1_048_576)).isEqualTo(10_000);

        ServerConfig set = serve(Map.of("HERALD_IDLE_TIMEOUT", "5s", "HERALD_MAX_CONNECTIONS", "700"),
                props("max-connections=500", "header-timeout=2s"), "--idle-timeout", "750ms").config(Map.of());
        assertThat(set.connectionLimits()).isEqualTo(new ConnectionLimits(700, Duration.ofMillis(750), Duration.ofSeconds(2)));
        assertThat(run(Map.of(), "serve", "--help").out()).contains("--max-connections", "--idle-timeout", "--header-timeout", "HERALD_IDLE_TIMEOUT");
    }

    // ---------------------------------------------------------------- secrets (issue item 11)

    @Test
    void passwordsGivenAsArgumentsAreWarnedAboutWithoutBeingShown() {
        Result r = run(Map.of("HERALD_ADMIN_KEY", ADMIN_KEY, "HERALD_MASTER_KEY", MASTER_KEY), "serve", "--data-dir", dir.resolve("data").toString(), "--port", "0",
                "--database-url", "postgresql://herald:db-s3cret@127.0.0.1:1/herald", "--amqp-url", "amqp://herald:mq-s3cret@127.0.0.1:1/");
        assertThat(r.code()).as("the unreachable broker stops the start").isEqualTo(1);
        assertThat(r.err()).contains(
                "WARNING: --database-url on the command line is visible to every user of this machine (ps); set HERALD_DATABASE_URL or use --database-url-file instead",
                "WARNING: --amqp-url on the command line is visible to every user of this machine (ps); set HERALD_AMQP_URL or use --amqp-url-file instead");
        assertThat(r.out() + r.err()).doesNotContain("db-s3cret").doesNotContain("mq-s3cret");

        Result fromEnv = run(Map.of("HERALD_ADMIN_KEY", ADMIN_KEY, "HERALD_AMQP_URL", "amqp://herald:mq-s3cret@127.0.0.1:1/", "HERALD_MASTER_KEY", MASTER_KEY),
                "serve", "--data-dir", dir.resolve("data").toString(), "--port", "0", "--database-url", "postgresql://herald@127.0.0.1:1/herald");
        assertThat(fromEnv.code()).isEqualTo(1);
        assertThat(fromEnv.err()).as("no password on the command line: no warning").doesNotContain("WARNING").doesNotContain("mq-s3cret");
    }

    @Test
    void secretsComeFromFilesAndAFileOthersCanReadIsWarnedAbout() throws IOException {
        Path dbFile = Files.writeString(dir.resolve("database-url"), "postgresql://herald:file-s3cret@db:5432/herald\n");
        Path mqFile = Files.writeString(dir.resolve("amqp-url"), "amqp://herald:mq-file-s3cret@mq:5672/\n");
        Files.setPosixFilePermissions(dbFile, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(mqFile, PosixFilePermissions.fromString("rw-r--r--"));

        StringWriter warnings = new StringWriter();
        ServerConfig cfg = serve(Map.of("HERALD_AMQP_URL_FILE", mqFile.toString()), new Properties(), "--database-url-file", dbFile.toString())
                .config(WITH_MASTER_KEY, new PrintWriter(warnings, true));
        assertThat(cfg.databaseUrl()).isEqualTo("postgresql://herald:file-s3cret@db:5432/herald");
        assertThat(cfg.amqpUrl()).isEqualTo("amqp://herald:mq-file-s3cret@mq:5672/");
        assertThat(warnings.toString()).isEqualTo("WARNING: amqp-url-file " + mqFile + " can be read by other users; restrict it with chmod 600"
                + System.lineSeparator());
        assertThat(cfg.toString()).doesNotContain("s3cret");

        ServerConfig fromConfigFile = serve(Map.of(), props("database-url-file=" + dbFile)).config(WITH_MASTER_KEY);
        assertThat(fromConfigFile.databaseUrl()).isEqualTo("postgresql://herald:file-s3cret@db:5432/herald");
        assertThat(run(Map.of(), "serve", "--help").out()).contains("--database-url-file", "HERALD_DATABASE_URL_FILE", "--amqp-url-file");
    }

    @Test
    void theEgressProxyComesFromTheEnvironmentOrAFileAndItsPasswordIsNeverShown() throws IOException {
        assertThat(serve(Map.of(), new Properties()).config(Map.of()).egressProxy()).as("direct by default").isNull();
        ServerConfig fromEnv = serve(Map.of("HERALD_EGRESS_PROXY", "http://line:s3cret@proxy.bank:3128"), new Properties()).config(Map.of());
        assertThat(fromEnv.egressProxySettings().host()).isEqualTo("proxy.bank");
        assertThat(fromEnv.egressProxySettings().port()).isEqualTo(3128);
        assertThat(fromEnv.toString()).contains("egressProxy=http://line:***@proxy.bank:3128").doesNotContain("s3cret");

        Path file = Files.writeString(dir.resolve("egress-proxy"), "http://line:file-s3cret@proxy.bank:3128\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(serve(Map.of(), new Properties(), "--egress-proxy-file", file.toString()).config(Map.of()).egressProxy())
                .isEqualTo("http://line:file-s3cret@proxy.bank:3128");

        StringWriter warnings = new StringWriter();
        serve(Map.of(), new Properties(), "--egress-proxy", "http://line:s3cret@proxy.bank:3128").config(Map.of(), new PrintWriter(warnings, true));
        assertThat(warnings.toString()).contains("--egress-proxy on the command line is visible to every user").doesNotContain("s3cret");
    }

    // ---------------------------------------------------------------- metrics

    @Test
    void metricsAreOnlyOnTheApiPortForAdminKeysUnlessConfiguredOtherwise() throws IOException {
        ServerConfig.Metrics defaults = serve(Map.of(), new Properties()).config(Map.of()).metrics();
        assertThat(defaults).isEqualTo(ServerConfig.Metrics.defaults());
        assertThat(defaults.ownPort()).isFalse();
        assertThat(defaults.key()).isNull();
        assertThat(defaults.topEndpoints()).isZero();

        ServerConfig cfg = serve(Map.of("HERALD_METRICS_PORT", "9100", "HERALD_METRICS_KEY", "metrics-s3cret-0123456789"),
                props("metrics-top-endpoints=5"), "--metrics-host", "10.0.0.5").config(Map.of());
        assertThat(cfg.metrics()).isEqualTo(new ServerConfig.Metrics("10.0.0.5", 9100, "metrics-s3cret-0123456789", 5));
        assertThat(cfg.toString()).contains("Metrics[10.0.0.5:9100, key=set, topEndpoints=5]").doesNotContain("metrics-s3cret");

        Path file = Files.writeString(dir.resolve("metrics-key"), "metrics-file-s3cret-0123\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(serve(Map.of("HERALD_METRICS_KEY_FILE", file.toString()), new Properties()).config(Map.of()).metrics().key())
                .isEqualTo("metrics-file-s3cret-0123");

        StringWriter warnings = new StringWriter();
        serve(Map.of(), new Properties(), "--metrics-key", "metrics-s3cret-0123456789").config(Map.of(), new PrintWriter(warnings, true));
        assertThat(warnings.toString()).contains("--metrics-key on the command line is visible to every user", "HERALD_METRICS_KEY",
                "--metrics-key-file").doesNotContain("metrics-s3cret");
    }

    // ---------------------------------------------------------------- the master key (secrets at rest)

    @Test
    void anExternalDatabaseWithoutAMasterKeyIsRefusedBeforeAnythingStarts() {
        Result r = run(Map.of("HERALD_ADMIN_KEY", ADMIN_KEY), "serve", "--data-dir", dir.resolve("never").toString(), "--port", "0",
                "--database-url", "postgresql://herald@127.0.0.1:1/herald");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("herald: invalid configuration: an external database (--database-url) needs a master key")
                .contains("HERALD_MASTER_KEY", "--master-key-file");
        assertThat(Files.exists(dir.resolve("never"))).isFalse();
    }

    @Test
    void theMasterKeyComesFromTheEnvironmentOrAFileNeverAFlag() throws IOException {
        ServerConfig fromEnv = serve(Map.of(), new Properties(), "--database-url", "postgresql://herald@db/herald").config(WITH_MASTER_KEY);
        String id = dev.herald.seal.LocalMasterKey.parse(MASTER_KEY, "test").id();
        assertThat(fromEnv.masterKey().id()).isEqualTo(id);

        Path file = Files.writeString(dir.resolve("master.key"), MASTER_KEY + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ServerConfig fromFile = serve(Map.of("HERALD_MASTER_KEY_FILE", file.toString()), new Properties(), "--database-url", "postgresql://herald@db/herald")
                .config(Map.of());
        assertThat(fromFile.masterKey().id()).isEqualTo(id);
        assertThat(fromFile.toString()).contains("masterKey=" + id).doesNotContain(MASTER_KEY);
        assertThat(serve(Map.of(), new Properties()).config(Map.of()).masterKey()).as("embedded: the data directory's master.key").isNull();

        assertThat(run(Map.of(), "serve", "--master-key", MASTER_KEY).code()).as("no flag takes the key itself").isEqualTo(2);
        assertThatThrownBy(() -> serve(Map.of(), new Properties(), "--master-key-file", file.toString()).config(WITH_MASTER_KEY))
                .hasMessage("HERALD_MASTER_KEY and master-key-file are both set; give one of them");
    }

    @Test
    void aMalformedMasterKeyIsRefusedWithoutBeingEchoed() {
        String bad = "not-a-key-but-a-secret-nonetheless";
        Result r = run(Map.of("HERALD_MASTER_KEY", bad), "serve", "--data-dir", dir.resolve("never").toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("HERALD_MASTER_KEY must hold a master key of 32 random bytes as base64 or 64 hex digits").doesNotContain(bad);
        String shortKey = java.util.Base64.getEncoder().encodeToString(new byte[16]);
        assertThat(run(Map.of("HERALD_MASTER_KEY", shortKey), "serve", "--data-dir", dir.resolve("never").toString()).code()).isEqualTo(2);
    }

    @Test
    void rotateMasterWithoutANewKeySaysWhereToGiveIt() {
        Result r = run(Map.of("HERALD_MASTER_KEY", MASTER_KEY), "keys", "rotate-master", "--database-url", "postgresql://herald@127.0.0.1:1/herald");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("HERALD_NEW_MASTER_KEY", "--new-master-key-file").doesNotContain(MASTER_KEY);
        assertThat(run(Map.of(), "keys", "--help").out()).contains("create", "list", "revoke", "rotate-master");
    }

    // ---------------------------------------------------------------- a taken port (issue 18 item 1)

    static Stream<Arguments> takenPorts() {
        return Stream.of(
                Arguments.of(List.of("serve", "--host", "127.0.0.1", "--port", "%d", "--data-dir", "DIR"), "herald: cannot listen on 127.0.0.1:%d", "--port"),
                Arguments.of(List.of("serve", "--host", "127.0.0.1", "--port", "0", "--metrics-port", "%d", "--data-dir", "DIR"),
                        "herald: cannot listen on 127.0.0.1:%d", "--metrics-port"),
                Arguments.of(List.of("receive", "--port", "%d"), "herald receive: cannot listen on 127.0.0.1:%d", "--port"),
                Arguments.of(List.of("bank", "--port", "%d", "--data-dir", "DIR"), "bank: cannot listen on 127.0.0.1:%d", "--port"));
    }

    @ParameterizedTest
    @MethodSource("takenPorts")
    void aTakenPortFailsAtOnceWithOneLineNamingThePortAndItsFlag(List<String> args, String start, String flag) throws IOException {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
            String[] argv = args.stream().map(a -> a.equals("DIR") ? dir.resolve("never").toString() : a.formatted(port)).toArray(String[]::new);
            Result r = run(Map.of("HERALD_WEBHOOK_SECRET", "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24])), argv);
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).startsWith(start.formatted(port) + ": port " + port + " is already in use").contains(flag)
                    .doesNotContain("Exception").doesNotContain("-1");
            assertThat(r.err().lines()).hasSize(1);
            assertThat(r.out()).isEmpty();
            assertThat(dir.resolve("never")).as("no database was started for nothing").doesNotExist();
            assertThat(Thread.getAllStackTraces().keySet()).as("no thread left").allMatch(t -> before.contains(t) || jdkOwn(t));
        }
    }

    /**
     * Threads the JDK and libraries start once per JVM on first use of a feature (virtual threads' pollers, Helidon's
     * timers, the JDBC driver's cleaner), not Herald's. Helidon also leaves one daemon "helidon-idle-connection-timer"
     * per server it started, even after a clean stop; it holds no port.
     */
    static boolean jdkOwn(Thread t) {
        String n = t.getName();
        return n.startsWith("ForkJoinPool") || n.startsWith("process reaper") || n.startsWith("Attach Listener") || n.startsWith("InnocuousThread")
                || n.equals("Common-Cleaner") || n.equals("MasterPoller") || n.equals("VirtualThread-unblocker") || n.startsWith("helidon-")
                || n.startsWith("PostgreSQL-JDBC");
    }

    // ---------------------------------------------------------------- help, version, no command

    @Test
    void helpExitsWith0() {
        Result top = run(Map.of(), "--help");
        assertThat(top.code()).isZero();
        assertThat(top.out()).contains("Usage: herald", "serve");
        assertThat(top.err()).isEmpty();

        Result serve = run(Map.of(), "serve", "--help");
        assertThat(serve.code()).isZero();
        assertThat(serve.out()).contains("Usage: herald serve", "--port", "HERALD_PORT", "--max-body-size", "--config");

        Result shortHelp = run(Map.of(), "serve", "-h");
        assertThat(shortHelp.code()).isZero();
    }

    @Test
    void helpListsEveryCommandTheLauncherTakesAndHelpIsACommand() {
        for (String[] args : new String[][] {{"--help"}, {"help"}}) {
            Result r = run(Map.of(), args);
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.err()).isEmpty();
            for (String command : List.of("serve", "receive", "keys", "bank", "demo", "events", "endpoints", "deliveries", "tail", "resend", "replay",
                    "event-types", "trigger", "completion", "help", "test", "build", "bench")) {
                assertThat(r.out()).as(command).containsPattern("(?m)^\\s+" + command + "\\s");
            }
        }
        Result serve = run(Map.of(), "help", "serve");
        assertThat(serve.code()).isZero();
        assertThat(serve.out()).contains("Usage: herald serve", "--port");
        assertThat(run(Map.of(), "keys", "--help").out()).contains("reset-admin");
        for (String[] command : new String[][] {{"events", "list", "show"}, {"endpoints", "list", "show", "create", "disable", "enable", "test"},
                {"deliveries", "list", "show"}, {"event-types", "list", "show"}}) {
            Result r = run(Map.of(), command[0], "--help");
            assertThat(r.code()).isZero();
            for (int i = 1; i < command.length; i++) {
                assertThat(r.out()).as(command[0] + " " + command[i]).containsPattern("(?m)^\\s+" + command[i] + "\\s");
            }
        }
        for (String remote : List.of("tail", "resend", "replay", "trigger")) {
            assertThat(run(Map.of(), remote, "--help").out()).as(remote).contains("--url", "HERALD_URL", "--api-key-file", "HERALD_API_KEY");
        }
    }

    @Test
    void helpShowsTheEffectiveDefaults() {
        Result r = run(Map.of("HERALD_PORT", "9002"), "serve", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("9002");
    }

    @Test
    void versionExitsWith0() {
        Result r = run(Map.of(), "--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("herald ");
    }

    @Test
    void noCommandPrintsUsageAndExitsWith2() {
        Result r = run(Map.of());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: herald").doesNotContain("Exception");
    }

    @Test
    void anUnknownCommandExitsWith2() {
        Result r = run(Map.of(), "serv");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("serv").doesNotContain("Exception");
    }

    // ---------------------------------------------------------------- sizes

    @ParameterizedTest
    @CsvSource({"262144,262144", "256KiB,262144", "256kib,262144", "256k,262144", "256K,262144", "1MiB,1048576", "1m,1048576",
            "1mb,1000000", "1MB,1000000", "1kb,1000", "100b,100", "' 64 MiB ',67108864", "1 KiB,1024", "0,0", "1024B,1024"})
    void parsesSizes(String text, long bytes) {
        assertThat(Main.parseSize(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"huge", "", " ", "1.5MiB", "MiB", "k", "1GiB", "1g", "1 000", "0x100", "9223372036854775807k", "99999999999999999999",
            "1KiBk", "KiB1"})
    void refusesSizesItCannotRead(String text) {
        assertThatThrownBy(() -> Main.parseSize(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max-body-size must be a size such as 262144, 256KiB or 1MiB, got '" + text + "'");
    }

    // ---------------------------------------------------------------- helpers

    record Result(int code, String out, String err) {}

    private static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, env, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** Parses {@code serve} with {@code args}, as the brief of Main's precedence describes, without running it. */
    private static Main.Serve serve(Map<String, String> env, Properties file, String... args) {
        Main.Serve s = new Main.Serve();
        new CommandLine(s).setDefaultValueProvider(new Main.EnvAndFileDefaults(env, file)).parseArgs(args);
        return s;
    }

    private static Properties props(String... lines) {
        Properties p = new Properties();
        try {
            p.load(new java.io.StringReader(String.join("\n", lines)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }
}
