package dev.herald.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
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
    void helpListsTheOptions() {
        CommandLine cl = new CommandLine(new BankCommand());
        assertThat(cl.getUsageMessage()).contains("--port", "--database-url", "--data-dir", "--amqp-url", "--api-key");
    }
}
