package dev.herald.store;

import java.nio.file.Path;

/**
 * A process that starts an embedded PostgreSQL as a server would, for tests of what an exit leaves behind: starts it on
 * the data dir given as argument (printing {@code STARTED pid=N}), migrates a database on it as the runtime role would be
 * used (printing {@code READY}), then waits for its standard input to close. It never closes the server itself: what
 * stops the server on a signal is the embedded PostgreSQL's own doing.
 */
public final class EmbeddedPostgresStarter {

    private EmbeddedPostgresStarter() {}

    public static void main(String[] args) throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.start(Path.of(args[0]));
        System.out.println("STARTED pid=" + EmbeddedPostgresTest.postmasterPid(pg.dataDir()));
        System.out.flush();
        pg.createDatabase("app");
        Database db = Database.open(DatabaseConfig.fromUrl(pg.jdbcUrl("app")), DatabaseConfig.fromUrl(pg.runtimeJdbcUrl("app")),
                "classpath:db/testmigration");
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the test to close our stdin
        }
        db.close();
        pg.close();
        System.exit(0);
    }
}
