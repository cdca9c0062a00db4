package dev.herald.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.support.ValidationException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventPatternsTest {
    @Test
    void matchesExactTypesPrefixesAndStar() {
        assertThat(EventPatterns.matches(List.of("transfer.completed"), "transfer.completed")).isTrue();
        assertThat(EventPatterns.matches(List.of("transfer.completed"), "transfer.failed")).isFalse();
        assertThat(EventPatterns.matches(List.of("transfer.*"), "transfer.failed")).isTrue();
        assertThat(EventPatterns.matches(List.of("transfer.*"), "transfers.failed")).isFalse();
        assertThat(EventPatterns.matches(List.of("transfer.*"), "transfer")).isFalse();
        assertThat(EventPatterns.matches(List.of("*"), "balance.low")).isTrue();
        assertThat(EventPatterns.matches(List.of("account.*", "balance.low"), "balance.low")).isTrue();
    }

    @Test
    void rejectsMalformedPatternsNamingTheEntry() {
        assertThatThrownBy(() -> EventPatterns.validate(List.of("account.created", "Transfer Created")))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("events[1]"));
        assertThatThrownBy(() -> EventPatterns.validate(List.of("*.created"))).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> EventPatterns.validate(List.of())).isInstanceOf(ValidationException.class);
    }

    @Test
    void operationalEventsStayWithinTheirMerchant() {
        Endpoint m1 = endpoint("m1", List.of("*"));
        Endpoint operator = endpoint(null, List.of("endpoint.disabled"));
        assertThat(m1.wants("endpoint.disabled", "m1")).isTrue();
        assertThat(m1.wants("endpoint.disabled", "m2")).isFalse();
        assertThat(m1.wants("endpoint.disabled", null)).isFalse();
        assertThat(operator.wants("endpoint.disabled", null)).isTrue();
        assertThat(operator.wants("endpoint.disabled", "m1")).isFalse();
        assertThat(m1.wants("account.created", null)).as("untargeted business events go to every merchant").isTrue();
        assertThat(m1.wants("account.created", "m2")).isFalse();
    }

    private static Endpoint endpoint(String merchant, List<String> events) {
        return new Endpoint("ep_1", merchant, "n", "", java.net.URI.create("https://example.com/h"), events, java.util.Map.of(), "whsec_x",
                true, null, RetryPolicy.defaults(), 30, 0, java.time.Instant.EPOCH, java.time.Instant.EPOCH, false);
    }
}
