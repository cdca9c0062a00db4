package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code herald demo}: every event the bank commits reaches the merchant through outbox, in-process bus and Herald, verified. */
class DemoTest {

    @Test
    void theDemoStoryDeliversEveryBankEventSignedAndTheBooksReconcile() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"demo", "--timeout", "60"}, Map.of(), new PrintWriter(out), new PrintWriter(err));

        String printed = out.toString();
        assertThat(code).as(printed + err).isZero();
        assertThat(printed).contains("14 of 14 events the bank committed arrived at the merchant; 0 with an invalid signature.")
                .contains("books balance, chains verify, every event published")
                .doesNotContain("INVALID");
        for (String type : new String[] {"account.created", "transaction.created", "transaction.reversed", "transfer.created",
                "transfer.completed", "transfer.failed", "balance.low", "risk.alert"}) {
            assertThat(printed).as(type).contains("merchant <- " + type);
        }
    }
}
