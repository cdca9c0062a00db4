package dev.herald.bench;

import java.io.IOException;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Which PostgreSQL a run uses: Herald's embedded PostgreSQL in a temp dir, unless {@code --database-url} (or
 * {@value #ENV}) names a server. The run prints its choice ({@link PgServer#describe()}) before it starts.
 */
final class DatabaseOptions {
    static final String ENV = "HERALD_BENCH_DATABASE_URL";

    @Option(names = "--database-url",
            description = "PostgreSQL server (postgresql://user@host:port/db) to create a fresh database on for each phase; "
                    + "its db is used to create and drop it. Or set " + ENV + ". Without either: Herald's embedded PostgreSQL in a temp dir.")
    String url;
    @Option(names = "--embedded", description = "Use Herald's embedded PostgreSQL in a temp dir even when " + ENV + " is set (the default otherwise).")
    boolean embedded;

    /**
     * The server the flags choose, else the one {@code env} names, else a new embedded one (its directory deleted on close
     * unless {@code keep}).
     *
     * @throws IllegalArgumentException if both flags are given, or the URL is not a PostgreSQL URL
     */
    PgServer open(boolean keep, Map<String, String> env) throws IOException {
        if (embedded && url != null) {
            throw new IllegalArgumentException("--embedded and --database-url are both given; give one of them");
        }
        String chosen = embedded ? null : url != null ? url : env.get(ENV);
        return chosen == null || chosen.isBlank() ? PgServer.embedded(keep) : PgServer.of(chosen);
    }
}
