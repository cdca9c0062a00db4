package dev.herald.store;

import java.nio.file.Path;

/**
 * Another process owning an embedded PostgreSQL, for tests: starts it on the data dir given as argument, prints
 * {@code OWNER-READY port=N}, and stops it when its standard input closes (or is killed before that).
 */
public final class EmbeddedPostgresOwner {

    private EmbeddedPostgresOwner() {}

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(Path.of(args[0]))) {
            System.out.println("OWNER-READY port=" + pg.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the test to close our stdin
            }
        }
        System.exit(0);
    }
}
