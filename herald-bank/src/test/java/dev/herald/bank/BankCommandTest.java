package dev.herald.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BankCommandTest {

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new BankCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void anUnreachableBrokerFailsTheStartWithoutShowingItsPassword() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "--amqp-url", "amqp://bank:s3cret-pw@127.0.0.1:1/", "--data-dir", "target/never-started")).isEqualTo(1);
        assertThat(err.toString()).contains("bank failed to start").doesNotContain("s3cret-pw");
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("target/never-started"))).isFalse();
    }

    @Test
    void aShortApiKeyIsRefusedBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "--api-key", "short")).isEqualTo(2);
        assertThat(err.toString()).contains("BANK_API_KEY must be");
    }

    @Test
    void secretsGivenAsArgumentsAreWarnedAboutWithoutBeingShown() {
        StringWriter err = new StringWriter();
        String key = "bank-cli-key-0123456789abcdef";
        assertThat(run(err, "--api-key", key, "--amqp-url", "amqp://bank:s3cret-pw@127.0.0.1:1/",
                "--database-url", "postgresql://bank:db-pw-123@127.0.0.1:1/bank", "--data-dir", "target/never-started")).isEqualTo(1);
        assertThat(err.toString()).contains(
                "WARNING: --api-key on the command line is visible to every user of this machine (ps); set BANK_API_KEY or use --api-key-file instead",
                "WARNING: --amqp-url on the command line is visible to every user of this machine (ps); set BANK_AMQP_URL or use --amqp-url-file instead",
                "WARNING: --database-url on the command line is visible to every user of this machine (ps); set BANK_DATABASE_URL or use --database-url-file instead");
        assertThat(err.toString()).doesNotContain(key).doesNotContain("s3cret-pw").doesNotContain("db-pw-123");
    }

    @Test
    void secretsComeFromFilesAndAFileOthersCanReadIsWarnedAbout(@TempDir Path dir) throws IOException {
        Path keyFile = Files.writeString(dir.resolve("api-key"), "bank-file-key-0123456789abcdef\n");
        Path dbFile = Files.writeString(dir.resolve("database-url"), "postgresql://bank:db-pw-123@db:5432/bank");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dbFile, PosixFilePermissions.fromString("rw-rw----"));
        BankCommand cmd = new BankCommand();
        new CommandLine(cmd).parseArgs("--api-key-file", keyFile.toString(), "--database-url-file", dbFile.toString());
        StringWriter warnings = new StringWriter();
        cmd.resolveSecrets(new PrintWriter(warnings, true));
        assertThat(cmd.apiKey).isEqualTo("bank-file-key-0123456789abcdef");
        assertThat(cmd.databaseUrl).isEqualTo("postgresql://bank:db-pw-123@db:5432/bank");
        assertThat(warnings.toString()).isEqualTo("WARNING: database-url-file " + dbFile + " can be read by other users; restrict it with chmod 600"
                + System.lineSeparator());

        StringWriter err = new StringWriter();
        assertThat(run(err, "--api-key", "bank-cli-key-0123456789abcdef", "--api-key-file", keyFile.toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("bank: invalid configuration: api-key and api-key-file are both set; give one of them" + System.lineSeparator());
    }

    @Test
    void connectionLimitsAreValidatedBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "--idle-timeout", "forever")).isEqualTo(2);
        assertThat(err.toString()).contains("idle-timeout must be a duration such as 30s, 500ms or 2m, got 'forever'");
    }

    @Test
    void helpListsTheOptions() {
        CommandLine cl = new CommandLine(new BankCommand());
        assertThat(cl.getUsageMessage()).contains("--port", "--database-url", "--data-dir", "--amqp-url", "--api-key", "--api-key-file",
                "--database-url-file", "--amqp-url-file", "--max-connections", "--idle-timeout", "--header-timeout");
    }
}
