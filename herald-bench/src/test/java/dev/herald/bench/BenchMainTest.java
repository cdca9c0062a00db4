package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What {@code ./herald bench} tells its user: whole help texts, and which database a run uses. */
class BenchMainTest {

    @Test
    void helpShowsEveryCommandsWholeDescriptionOnLinesThatFitTheWidth() {
        CommandLine root = new CommandLine(new BenchMain());
        String rootHelp = root.getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(rootHelp.replaceAll("\\s+", "")).contains(description(root));
        for (CommandLine sub : root.getSubcommands().values()) {
            assertThat(rootHelp.replaceAll("\\s+", "")).as("the list entry of %s", sub.getCommandName()).contains(description(sub));
            String help = sub.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(help.replaceAll("\\s+", "")).as("bench %s --help", sub.getCommandName()).contains(description(sub));
            assertThat(help.lines()).as("bench %s --help", sub.getCommandName()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
        }
        assertThat(rootHelp.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
    }

    /** The command's description as written (picocli's %% shown as %), without whitespace, where picocli may wrap it. */
    private static String description(CommandLine c) {
        return String.join(" ", c.getCommandSpec().usageMessage().description()).replace("%%", "%").replaceAll("\\s+", "");
    }

    @Test
    void smokeWithoutADatabaseFlagRunsOnAnEmbeddedPostgresqlAndSaysWhere(@TempDir Path out) {
        assumeTrue(System.getenv(DatabaseOptions.ENV) == null, DatabaseOptions.ENV + " is set: the run would use that server");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            exit = new CommandLine(new BenchMain()).execute("smoke", "--events", "100", "--duration", "2", "--out", out.toString());
        } finally {
            System.setOut(original);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(printed).isZero();
        assertThat(printed.lines().filter(l -> l.startsWith("database: "))).as(printed)
                .singleElement().asString().matches("database: embedded PostgreSQL at .*herald-bench-pg-\\S+ \\(port \\d+\\)");
        assertThat(printed.indexOf("database: ")).as("said before the run starts").isLessThan(printed.indexOf("fleet: "));
        String line = printed.lines().filter(l -> l.startsWith("database: ")).findFirst().orElseThrow();
        Path dir = Path.of(line.substring("database: embedded PostgreSQL at ".length(), line.lastIndexOf(" (port")));
        assertThat(Files.exists(dir)).as("the embedded data dir is deleted after the run").isFalse();
    }

    @Test
    void aDatabaseUrlIsUsedAsGivenAndShownWithoutItsPassword() throws Exception {
        try (PgServer pg = database("--database-url", "postgresql://bench:s3cret@127.0.0.1:5432/test").open(false, Map.of())) {
            assertThat(pg.isEmbedded()).isFalse();
            assertThat(pg.describe()).isEqualTo("PostgreSQL at postgresql://bench@127.0.0.1:5432/test");
        }
        try (PgServer pg = database().open(false, Map.of(DatabaseOptions.ENV, "postgresql://ops:s3cret@127.0.0.1:5433/postgres"))) {
            assertThat(pg.describe()).isEqualTo("PostgreSQL at postgresql://ops@127.0.0.1:5433/postgres");
        }
        assertThatThrownBy(() -> database("--embedded", "--database-url", "postgresql://bench@127.0.0.1:5432/test").open(false, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--embedded and --database-url");
    }

    private static DatabaseOptions database(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "smoke";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult pr = new CommandLine(new BenchMain()).parseArgs(all);
        return ((BenchMain.Scenario) pr.subcommand().commandSpec().userObject()).common.database;
    }
}
