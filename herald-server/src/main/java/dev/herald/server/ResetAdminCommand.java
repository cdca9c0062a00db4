package dev.herald.server;

import dev.herald.Herald;
import dev.herald.audit.Actor;
import dev.herald.audit.AuditContext;
import dev.herald.audit.Target;
import dev.herald.seal.LocalMasterKey;
import dev.herald.seal.MasterKey;
import dev.herald.seal.SealException;
import dev.herald.seal.Vault;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.EmbeddedPostgres;
import dev.herald.store.Jdbc;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.Secrets;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code herald keys reset-admin}: the way back in when the admin key is lost. Run on the node's machine, straight
 * against its database (the embedded one in the data directory, with no node running on it, or the external one):
 * revokes every admin key, makes a new one, prints it once and records both in the audit log, in one transaction.
 */
@Command(name = "reset-admin", mixinStandardHelpOptions = true,
        description = {"Revoke every admin API key and print a new one, once (for a lost admin key).",
                "Runs against the node's database: the embedded one in --data-dir (stop Herald first), or --database-url /"
                        + " HERALD_DATABASE_URL with the node's master key."})
final class ResetAdminCommand implements Callable<Integer> {
    @ParentCommand
    KeysCommand keys; // null when parsed on its own
    @Spec
    CommandSpec spec;
    @Option(names = "--database-url", description = "External PostgreSQL (default: the embedded one in --data-dir). Env: HERALD_DATABASE_URL")
    String databaseUrl;
    @Option(names = "--database-url-file", description = "File holding the --database-url. Env: HERALD_DATABASE_URL_FILE")
    Path databaseUrlFile;
    @Option(names = "--data-dir", description = "Data directory of the embedded database; no node may be running on it (default ${DEFAULT-VALUE})."
            + " Env: HERALD_DATA_DIR", defaultValue = "herald-data")
    Path dataDir;
    @Option(names = "--master-key-file", description = "File holding the node's master key. Env: HERALD_MASTER_KEY_FILE; or set HERALD_MASTER_KEY"
            + " (embedded default: <data-dir>/master.key)")
    Path masterKeyFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return reset(keys != null && keys.main != null ? keys.main.env : System.getenv(), out, err);
        } catch (IllegalArgumentException | SealException e) {
            err.println("herald keys reset-admin: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("herald keys reset-admin: failed, nothing changed: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int reset(Map<String, String> env, PrintWriter out, PrintWriter err) {
        String url = Main.blankToNull(Secrets.resolve("database-url", databaseUrl, "database-url-file", databaseUrlFile, err));
        MasterKey masterKey = Main.masterKey(env, masterKeyFile, err);
        Path data = dataDir.toAbsolutePath().normalize();
        if (url == null && !Files.exists(data.resolve("postgres").resolve("PG_VERSION"))) {
            throw new IllegalArgumentException("no Herald database in " + data + " (give the node's --data-dir, or --database-url);"
                    + " a first 'herald serve' there makes and prints an admin key");
        }
        if (url != null && masterKey == null) {
            throw new IllegalArgumentException(ServerConfig.MASTER_KEY_RULE);
        }
        EmbeddedPostgres embedded = null;
        try {
            DatabaseConfig dbc;
            if (url == null) {
                DataDirHolder.of(data.resolve("postgres")).ifPresent(holder -> {
                    err.println("herald keys reset-admin: " + data + " is in use by " + holder + " (a running Herald?); waiting up to a minute"
                            + " for it to stop (Ctrl-C to give up)");
                    err.flush();
                });
                embedded = EmbeddedPostgres.start(data.resolve("postgres"));
                embedded.createDatabase("herald");
                dbc = DatabaseConfig.fromUrl(embedded.jdbcUrl("herald"));
            } else {
                dbc = DatabaseConfig.fromUrl(url);
            }
            try (Database db = Database.open(dbc.withMaxPoolSize(2).withApplicationName("herald-keys"), Herald.MIGRATIONS)) {
                Jdbc jdbc = new Jdbc(db.dataSource());
                MasterKey key = masterKey != null ? masterKey
                        : LocalMasterKey.forDataDir(data.resolve(LocalMasterKey.DATA_DIR_FILE), Vault.hasDataKeys(jdbc));
                Clock clock = Clock.systemUTC();
                try (Herald herald = Herald.create(db.dataSource(), Herald.Config.defaults(key), clock, new SecureRandom())) {
                    AuditContext who = new AuditContext(new Actor("cli", "herald keys reset-admin (" + System.getProperty("user.name") + ")", null), null, null);
                    ApiKeyStore.Made made = new ApiKeyStore(jdbc, "api_keys", clock).replaceAdmin("admin", "hk_",
                            (c, before, after) -> herald.audit().append(c, who, before == null ? "api_key.create" : "api_key.revoke",
                                    Target.apiKey(after.id(), after.merchantId()), before, after));
                    out.println();
                    out.println("  New Herald admin API key (shown once, stored hashed; every earlier admin key is revoked):");
                    out.println();
                    out.println("      " + made.secret());
                    out.println();
                    out.println("If the node sets HERALD_ADMIN_KEY, that key is revoked too: set a new one there, or unset it and use this one.");
                    return 0;
                }
            }
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
