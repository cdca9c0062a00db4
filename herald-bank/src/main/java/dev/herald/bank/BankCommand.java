package dev.herald.bank;

import dev.herald.bank.risk.RiskRules;
import dev.herald.bus.Bus;
import dev.herald.bus.InProcessBus;
import dev.herald.bus.RabbitBus;
import dev.herald.store.DatabaseConfig;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.ConnectionLimits;
import dev.herald.web.Durations;
import dev.herald.web.HttpListener;
import dev.herald.web.PortUnavailableException;
import dev.herald.web.Secrets;
import dev.herald.store.EmbeddedPostgres;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald bank}: runs the reference bank until the process is stopped. Without {@code --database-url} it runs an
 * embedded PostgreSQL in {@code --data-dir}; without {@code --amqp-url} it uses an in-process bus, so only consumers
 * in this JVM (its own risk consumer) see its events.
 */
@Command(name = "bank", mixinStandardHelpOptions = true,
        description = "Run the reference core bank (accounts, journal, transfers with a risk check on the bus, audit, reconciliation).")
public final class BankCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE}).", defaultValue = "127.0.0.1")
    String host;
    @Option(names = "--port", description = "HTTP port (default ${DEFAULT-VALUE}).", defaultValue = "8090")
    int port;
    @Option(names = "--database-url", description = "The bank's PostgreSQL, e.g. postgresql://user:pass@host:5432/bank. Env: BANK_DATABASE_URL "
            + "(prefer it, or --database-url-file, to this flag: arguments are visible to every user in ps)",
            defaultValue = "${env:BANK_DATABASE_URL}")
    String databaseUrl;
    @Option(names = "--database-url-file", description = "File holding the --database-url (keep it chmod 600). Env: BANK_DATABASE_URL_FILE",
            defaultValue = "${env:BANK_DATABASE_URL_FILE}")
    Path databaseUrlFile;
    @Option(names = "--data-dir", description = "Directory of the audit chain's key (bank.audit-key) and of the embedded PostgreSQL when no "
            + "--database-url (default ${DEFAULT-VALUE}).",
            defaultValue = "bank-data")
    Path dataDir;
    @Option(names = "--amqp-url", description = "RabbitMQ, e.g. amqp://guest:guest@localhost:5672/. Env: BANK_AMQP_URL (prefer it, or --amqp-url-file)",
            defaultValue = "${env:BANK_AMQP_URL}")
    String amqpUrl;
    @Option(names = "--amqp-url-file", description = "File holding the --amqp-url (keep it chmod 600). Env: BANK_AMQP_URL_FILE",
            defaultValue = "${env:BANK_AMQP_URL_FILE}")
    Path amqpUrlFile;
    @Option(names = "--api-key", description = "API key to accept (16-200 printable characters). Env: BANK_API_KEY (prefer it, or --api-key-file, "
            + "to this flag). Default: generated once and printed.", defaultValue = "${env:BANK_API_KEY}")
    String apiKey;
    @Option(names = "--api-key-file", description = "File holding the --api-key (keep it chmod 600). Env: BANK_API_KEY_FILE",
            defaultValue = "${env:BANK_API_KEY_FILE}")
    Path apiKeyFile;
    @Option(names = "--max-connections", description = "Most client connections open at once; more wait in the accept backlog "
            + "(default: from the open-files limit, half of what 256 reserved files leave, 16 to 10000). Env: BANK_MAX_CONNECTIONS",
            defaultValue = "${env:BANK_MAX_CONNECTIONS}")
    Integer maxConnections;
    @Option(names = "--idle-timeout", description = "Close a connection without a request in progress, or whose body or answer stalls, after this "
            + "(default ${DEFAULT-VALUE}). Env: BANK_IDLE_TIMEOUT", defaultValue = "${env:BANK_IDLE_TIMEOUT:-30s}")
    String idleTimeout;
    @Option(names = "--header-timeout", description = "Close a connection whose request headers are not complete this long after its request line "
            + "(default ${DEFAULT-VALUE}). Env: BANK_HEADER_TIMEOUT", defaultValue = "${env:BANK_HEADER_TIMEOUT:-10s}")
    String headerTimeout;
    @Option(names = "--max-transfer", description = "Largest single transfer in minor units (default ${DEFAULT-VALUE}).", defaultValue = "10000000")
    long maxTransfer;
    @Option(names = "--daily-limit", description = "Most a source account may send per UTC day, minor units (default ${DEFAULT-VALUE}).", defaultValue = "50000000")
    long dailyLimit;
    @Option(names = "--velocity", description = "Most transfers per source account per minute (default ${DEFAULT-VALUE}).", defaultValue = "10")
    int velocity;
    @Option(names = "--blocked-account", description = "Account uuid that may neither send nor receive (repeatable).")
    Set<UUID> blocked = Set.of();

    private final Function<String, Bus> amqpBus;

    /** A command that connects to RabbitMQ with {@link RabbitBus#connect} when {@code --amqp-url} is given. */
    public BankCommand() {
        this(RabbitBus::connect);
    }

    /** A command that makes its RabbitMQ bus with {@code amqpBus} when {@code --amqp-url} is given. */
    public BankCommand(Function<String, Bus> amqpBus) {
        this.amqpBus = amqpBus;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConnectionLimits limits;
        try {
            resolveSecrets(err);
            limits = new ConnectionLimits(maxConnections == null ? ConnectionLimits.defaultMaxConnections() : maxConnections,
                    Durations.parse("idle-timeout", idleTimeout), Durations.parse("header-timeout", headerTimeout));
        } catch (IllegalArgumentException e) {
            err.println("bank: invalid configuration: " + e.getMessage());
            return 2;
        }
        if (apiKey != null && !ApiKeyStore.acceptable(apiKey)) {
            err.println(ApiKeyStore.rule("BANK_API_KEY"));
            return 2;
        }
        Resources running = new Resources();
        try {
            HttpListener.requireAvailable(host, port); // before the database: a taken port fails at once
            if (amqpUrl == null) {
                err.println("WARNING: no --amqp-url: events go to an in-process bus; only consumers in this JVM (the bank's own risk check) see them");
                running.bus = InProcessBus.create();
            } else {
                running.bus = amqpBus.apply(amqpUrl);
            }
            DatabaseConfig db;
            if (databaseUrl == null) {
                running.embedded = EmbeddedPostgres.start(dataDir.toAbsolutePath().resolve("postgres"));
                running.embedded.createDatabase("bank");
                db = DatabaseConfig.fromUrl(running.embedded.jdbcUrl("bank"));
            } else {
                db = DatabaseConfig.fromUrl(databaseUrl);
            }
            BankConfig cfg = BankConfig.defaults(db, running.bus).withHost(host).withPort(port).withApiKey(apiKey)
                    .withRisk(new RiskRules(maxTransfer, dailyLimit, velocity, blocked)).withConnectionLimits(limits)
                    .withAuditKey(auditKey(dataDir.toAbsolutePath().resolve(AUDIT_KEY_FILE)));
            running.bank = Bank.start(cfg);
            if (running.embedded != null) {
                running.embedded.stopOnExitAfter(java.time.Duration.ofSeconds(10)); // on Ctrl-C our hook stops the bank, then the database
            }
        } catch (PortUnavailableException e) {
            running.close();
            err.println("bank: " + e.withHint("choose another port with --port").getMessage());
            return 1;
        } catch (RuntimeException e) {
            running.close();
            err.println("bank failed to start: " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        }
        running.bank.generatedApiKey().ifPresent(k -> out.println("Generated bank API key (shown once, store it now): " + k));
        out.println("Bank listening on http://" + host + ":" + running.bank.port() + "/bank/v1");
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        // The JVM waits for shutdown hooks, not for this thread: the hook itself stops the bank.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "bank-shutdown"));
        stopped.await();
        return 0;
    }

    /**
     * Takes each secret from its value or its file ({@link Secrets#resolve}); warns on {@code warnings} about a secret
     * given as a command-line argument or kept in a file others can read, without showing the secret.
     */
    void resolveSecrets(PrintWriter warnings) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        boolean keyArg = parsed != null && parsed.hasMatchedOption("--api-key");
        boolean dbArg = parsed != null && parsed.hasMatchedOption("--database-url") && Secrets.hasPassword(databaseUrl);
        boolean amqpArg = parsed != null && parsed.hasMatchedOption("--amqp-url") && Secrets.hasPassword(amqpUrl);
        apiKey = Secrets.resolve("api-key", apiKey, "api-key-file", apiKeyFile, warnings);
        databaseUrl = Secrets.resolve("database-url", databaseUrl, "database-url-file", databaseUrlFile, warnings);
        amqpUrl = Secrets.resolve("amqp-url", amqpUrl, "amqp-url-file", amqpUrlFile, warnings);
        if (keyArg) {
            Secrets.warnArgument(warnings, "--api-key", "BANK_API_KEY", "--api-key-file");
        }
        if (dbArg) {
            Secrets.warnArgument(warnings, "--database-url", "BANK_DATABASE_URL", "--database-url-file");
        }
        if (amqpArg) {
            Secrets.warnArgument(warnings, "--amqp-url", "BANK_AMQP_URL", "--amqp-url-file");
        }
    }

    /** What a running command holds, closed in reverse order of start. */
    private static final class Resources {
        EmbeddedPostgres embedded;
        Bus bus;
        Bank bank;

        synchronized void close() {
            if (bank != null) {
                bank.close();
                bank = null;
            }
            if (bus != null) {
                bus.close();
                bus = null;
            }
            if (embedded != null) {
                embedded.close();
                embedded = null;
            }
        }
    }

    /** The file in the data dir holding the audit chain's key (hex, 0600), made on first start. */
    static final String AUDIT_KEY_FILE = "bank.audit-key";

    /** The audit chain's key from {@code file}, written there (0600, in a 0700 directory made if missing) on first use. */
    static byte[] auditKey(Path file) {
        try {
            if (!java.nio.file.Files.exists(file)) {
                java.nio.file.Files.createDirectories(file.getParent(),
                        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
                byte[] key = new byte[dev.herald.store.chain.HashChain.KEY_BYTES];
                new java.security.SecureRandom().nextBytes(key);
                java.nio.file.Files.createFile(file,
                        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
                java.nio.file.Files.writeString(file, java.util.HexFormat.of().formatHex(key) + "\n");
            }
            return java.util.HexFormat.of().parseHex(java.nio.file.Files.readString(file).strip());
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalStateException("could not read the audit key " + file + ": " + e.getMessage(), e);
        }
    }
}
