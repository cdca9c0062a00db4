package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A tiny soak against embedded PostgreSQL: behaviour only (days roll, retention drops them, nothing is left behind), no timing. */
class SoakScenarioTest {

    @Test
    void daysRollOverAndRetentionKeepsTheNumberOfDayPartitionsFlat() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(console, true, StandardCharsets.UTF_8);
        List<Soak.Day> days = Soak.run(TestPostgres.embedded(), new Soak.Settings(6, 240, 4, 25, 2, 256, 20), print);
        String shown = console.toString(StandardCharsets.UTF_8);

        assertThat(days).as(shown).hasSize(6);
        assertThat(days).as(shown).allSatisfy(d -> {
            assertThat(d.pending()).isZero();     // every delivery ended: delivered, or failed after its retries
            assertThat(d.defaultRows()).isZero(); // every row found its day's partition
        });
        // from the first day past retention on, each run drops what has expired and the day partitions stay bounded: the
        // retention (2 days) before today, today, 3 ahead, and at most one day kept a little longer for a late failure's
        // resend window
        assertThat(days.subList(3, 6)).as(shown).allSatisfy(d -> {
            assertThat(d.dropped()).isNotEmpty();
            assertThat(d.partitions()).isLessThanOrEqualTo(2 + 1 + 3 + 1);
        });
        assertThat(shown).contains("events/s", "total MiB");
    }
}
