package dev.herald.bus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InProcessBusTest extends BusContractTest {
    @Override
    protected Bus newBus() {
        return InProcessBus.create();
    }

    @Override
    protected void deleteQueue(String name) {}

    @Test
    void topicMatchingFollowsRabbitMqRules() {
        assertThat(InProcessBus.topicMatches("#", "a.b.c")).isTrue();
        assertThat(InProcessBus.topicMatches("a.#", "a")).isTrue();
        assertThat(InProcessBus.topicMatches("a.#.c", "a.c")).isTrue();
        assertThat(InProcessBus.topicMatches("a.#.c", "a.x.y.c")).isTrue();
        assertThat(InProcessBus.topicMatches("a.*", "a")).isFalse();
        assertThat(InProcessBus.topicMatches("a.*", "a.b.c")).isFalse();
        assertThat(InProcessBus.topicMatches("*.b", "a.b")).isTrue();
        assertThat(InProcessBus.topicMatches("transfer.*", "transfer.requested")).isTrue();
    }
}
