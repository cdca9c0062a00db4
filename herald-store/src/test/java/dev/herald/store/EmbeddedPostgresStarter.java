package dev.herald.store;

import java.nio.file.Path;

/**
 * A process that starts an embedded PostgreSQL as a server would, for tests of what an exit leaves behind: starts it on
 * the data dir given as argument (printing {@code STARTED pid=N}), migrates a database on it as the runtime role would be
 * used (printing {@code READY}), then waits for its standard input to close. It never closes the server itself: what
 * stops the server on a signal is the embedded PostgreSQL's own doing. With a second argument {@code owner-hook} it acts
 * as a server does once started: it asks for a grace on exit and, from an exit hook of its own, uses the database a
 * second later (printing {@code HOOK-QUERY <result>}) before closing it.
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
        if (args.length > 1 && args[1].equals("owner-hook")) {
            pg.stopOnExitAfter(java.time.Duration.ofSeconds(10));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                String result;
                try {
                    Thread.sleep(1000); // an engine finishing its work
                    result = EmbeddedPostgresTest.queryString(pg.jdbcUrl("app"), "select 'ok'");
                } catch (Exception e) {
                    result = "failed: " + e.getMessage();
                }
                System.out.println("HOOK-QUERY " + result);
                System.out.flush();
                db.close();
                pg.close();
            }));
        }
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
