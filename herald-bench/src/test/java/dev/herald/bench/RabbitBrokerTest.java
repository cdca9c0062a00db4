package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.sdk.WebhookVerifier;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What needs no broker: a phase's AMQP URL, the loopback rule, and the hand-written consumer's signature. */
class RabbitBrokerTest {

    @Test
    void aPhaseVirtualHostKeepsTheCredentialsOfTheUrlAndReplacesItsVirtualHost() {
        RabbitBroker broker = RabbitBroker.of("amqp://bench:s3cret@127.0.0.1:5673/ignored", false);

        assertThat(broker.url("herald_bench_1_tuned")).isEqualTo("amqp://bench:s3cret@127.0.0.1:5673/herald_bench_1_tuned");
        assertThat(RabbitBroker.of("amqp://guest:guest@localhost/", false).url("a b")).isEqualTo("amqp://guest:guest@localhost:5672/a%20b");
        assertThat(broker.describe()).isEqualTo("RabbitMQ at 127.0.0.1:5673").doesNotContain("s3cret");
    }

    @Test
    void aBrokerOffThisMachineIsRefusedWithoutShowingItsPassword() {
        assertThatThrownBy(() -> RabbitBroker.of("amqp://guest:s3cret@10.0.0.5:5672/", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("this machine");
        assertThatThrownBy(() -> RabbitBroker.of("http://guest:s3cret@127.0.0.1:5672/", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
    }

    @Test
    void theHandWrittenConsumersSignatureVerifiesWithTheClassicCheckHeraldsReceiversUse() {
        String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        byte[] body = "{\"id\":\"evt_1\",\"event\":\"transfer.completed\"}".getBytes(StandardCharsets.UTF_8);

        String header = WebhookPoster.signature(secret.getBytes(StandardCharsets.UTF_8), body);

        WebhookVerifier.create(secret).verifyClassic(header, body); // throws when it does not verify
        assertThat(header).startsWith("sha256=").hasSize("sha256=".length() + 64);
    }
}
