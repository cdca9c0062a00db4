package dev.herald.server;

import dev.herald.Herald;
import dev.herald.seal.LocalMasterKey;
import dev.herald.seal.MasterKey;
import dev.herald.seal.SealException;
import dev.herald.seal.Vault;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.EmbeddedPostgres;
import dev.herald.store.Jdbc;
import dev.herald.web.Secrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code herald keys rotate-master}: re-wraps every data key under a new master key in one transaction, straight in
 * the database (external, or the embedded one in the data directory, whose {@code master.key} it then replaces).
 * Idempotent. Running nodes keep their unwrapped data keys (no downtime); restart them with the new key. The keys come
 * from the environment or files only: HERALD_MASTER_KEY / --master-key-file (current), HERALD_NEW_MASTER_KEY /
 * --new-master-key-file (new).
 */
@Command(name = "rotate-master", mixinStandardHelpOptions = true,
        description = "Re-wrap the data keys that seal secrets at rest under a new master key (HERALD_NEW_MASTER_KEY or --new-master-key-file).")
final class RotateMasterCommand implements Callable<Integer> {
    @ParentCommand
    KeysCommand keys; // null when parsed on its own
    @Spec
    CommandSpec spec;
    @Option(names = "--database-url", description = "External PostgreSQL (default: the embedded one in --data-dir). Env: HERALD_DATABASE_URL")
    String databaseUrl;
    @Option(names = "--database-url-file", description = "File holding the --database-url. Env: HERALD_DATABASE_URL_FILE")
    Path databaseUrlFile;
    @Option(names = "--data-dir", description = "Data directory of the embedded database; no node may be running on it (default ${DEFAULT-VALUE}). Env: HERALD_DATA_DIR",
            defaultValue = "herald-data")
    Path dataDir;
    @Option(names = "--master-key-file", description = "File holding the current master key. Env: HERALD_MASTER_KEY_FILE; or set HERALD_MASTER_KEY"
            + " (embedded default: <data-dir>/master.key)")
    Path masterKeyFile;
    @Option(names = "--new-master-key-file", description = "File holding the new master key. Env: HERALD_NEW_MASTER_KEY_FILE; or set HERALD_NEW_MASTER_KEY")
    Path newMasterKeyFile;
    @Option(names = "--new-data-key", description = "Also add a new current data key (the old ones remain for reading). Alone, under the current master key.")
    boolean newDataKey;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return rotate(keys != null && keys.main != null ? keys.main.env : System.getenv(), out, err);
        } catch (IllegalArgumentException e) {
            err.println("herald keys rotate-master: " + e.getMessage());
            return 2;
        } catch (SealException e) {
            err.println("herald keys rotate-master: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("herald keys rotate-master: failed, nothing changed: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int rotate(Map<String, String> env, PrintWriter out, PrintWriter err) {
        String url = Main.blankToNull(Secrets.resolve("database-url", databaseUrl, "database-url-file", databaseUrlFile, err));
        MasterKey current = Main.masterKey(env, masterKeyFile, err);
        String newText = Secrets.resolve("HERALD_NEW_MASTER_KEY", env.get("HERALD_NEW_MASTER_KEY"), "new-master-key-file", newMasterKeyFile, err);
        MasterKey next = newText == null ? null
                : LocalMasterKey.parse(newText, newMasterKeyFile != null ? "new-master-key-file " + newMasterKeyFile : "HERALD_NEW_MASTER_KEY");
        if (next == null && !newDataKey) {
            throw new IllegalArgumentException("give the new master key in HERALD_NEW_MASTER_KEY or --new-master-key-file"
                    + " (or --new-data-key alone for a new data key under the current master key)");
        }
        Path keyFile = dataDir.toAbsolutePath().normalize().resolve(LocalMasterKey.DATA_DIR_FILE);
        boolean fromDataDir = false;
        if (current == null) {
            if (url != null) {
                throw new IllegalArgumentException("the current master key is needed: set HERALD_MASTER_KEY or --master-key-file");
            }
            if (!Files.exists(keyFile)) {
                throw new IllegalArgumentException("the current master key is needed: set HERALD_MASTER_KEY or --master-key-file ("
                        + keyFile + " does not exist)");
            }
            current = LocalMasterKey.read(keyFile);
            fromDataDir = true;
        }
        if (next == null) {
            next = current;
        }
        EmbeddedPostgres embedded = null;
        try {
            DatabaseConfig dbc;
            if (url == null) {
                embedded = EmbeddedPostgres.start(dataDir.toAbsolutePath().normalize().resolve("postgres"));
                embedded.createDatabase("herald");
                dbc = DatabaseConfig.fromUrl(embedded.jdbcUrl("herald"));
            } else {
                dbc = DatabaseConfig.fromUrl(url);
            }
            try (Database db = Database.open(dbc.withMaxPoolSize(2).withApplicationName("herald-keys"), Herald.MIGRATIONS)) {
                Vault.Rotation r = Vault.rotateMaster(new Jdbc(db.dataSource()), current, next, newDataKey);
                if (fromDataDir && !next.id().equals(current.id())) {
                    replaceKeyFile((LocalMasterKey) next, keyFile, err);
                }
                out.println("data keys re-wrapped under master key " + next.id() + ": " + r.rewrapped() + " (already: " + r.alreadyWrapped() + ")"
                        + (r.newDataKeyId() == null ? "" : "; new current data key " + r.newDataKeyId()));
                if (!next.id().equals(current.id())) {
                    out.println("restart every node with the new master key (" + next.id() + "); running nodes keep working meanwhile,"
                            + " a node started with the old one (" + current.id() + ") is refused");
                }
                return 0;
            }
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /** After the commit: the data directory's key file now holds the new key (the old one no longer opens anything). */
    private static void replaceKeyFile(LocalMasterKey next, Path keyFile, PrintWriter err) {
        try {
            next.replace(keyFile);
        } catch (IOException e) {
            err.println("WARNING: the data keys are now wrapped by the new master key, but " + keyFile + " could not be replaced ("
                    + e.getClass().getSimpleName() + "); write the new key there yourself before the next start");
        }
    }
}
