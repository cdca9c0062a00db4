package dev.herald.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.support.ValidationException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final RandomGenerator random = new SplittableRandom(7);

    @Test
    void defaultPolicyRetriesThreeTimesAfterOneFiveAndFifteenMinutes() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(p.attempts()).isEqualTo(3);
        assertThat(p.schedule()).containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15));
        assertThat(p.nextDelay(4, null, random)).isEmpty();
    }

    @Test
    void jitterStaysWithinTenPercentOfTheStep() {
        RetryPolicy p = RetryPolicy.defaults();
        for (int i = 0; i < 1000; i++) {
            Duration d = p.nextDelay(1, null, random).orElseThrow();
            assertThat(d).isBetween(Duration.ofSeconds(54), Duration.ofSeconds(66));
        }
    }

    @Test
    void jitterActuallyVaries() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(java.util.stream.IntStream.range(0, 50).mapToObj(i -> p.nextDelay(2, null, random).orElseThrow()).distinct().count())
                .isGreaterThan(10);
    }

    @Test
    void lastStepRepeatsWhenAttemptsExceedTheSchedule() {
        RetryPolicy p = RetryPolicy.custom(List.of(Duration.ofSeconds(10), Duration.ofSeconds(100)), 5);
        assertThat(p.nextDelay(5, null, random).orElseThrow()).isBetween(Duration.ofSeconds(90), Duration.ofSeconds(110));
        assertThat(p.nextDelay(6, null, random)).isEmpty();
    }

    @Test
    void presetsHaveTheirPublishedSchedules() {
        assertThat(RetryPolicy.preset("alipay", null).schedule()).extracting(Duration::toSeconds)
                .containsExactly(240L, 600L, 600L, 3600L, 7200L, 21600L, 54000L);
        assertThat(RetryPolicy.preset("wechatpay", null).attempts()).isEqualTo(15);
        assertThat(RetryPolicy.preset("standard", null).schedule().getFirst()).isEqualTo(Duration.ofSeconds(5));
        assertThat(RetryPolicy.preset("standard", 2).attempts()).isEqualTo(2);
    }

    @Test
    void retryAfterIsClampedBetweenTheStepAndTwiceTheStep() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(p.nextDelay(1, Duration.ofSeconds(5), random)).contains(Duration.ofSeconds(60));
        assertThat(p.nextDelay(1, Duration.ofSeconds(90), random)).contains(Duration.ofSeconds(90));
        assertThat(p.nextDelay(1, Duration.ofHours(5), random)).contains(Duration.ofSeconds(120));
    }

    @Test
    void rejectsUnknownPresetsAndOutOfRangeSteps() {
        assertThatThrownBy(() -> RetryPolicy.preset("forever", null)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("unknown retry preset 'forever'");
        assertThatThrownBy(() -> RetryPolicy.custom(List.of(Duration.ofSeconds(-1)), null))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("retry_schedule[0]"));
        assertThatThrownBy(() -> RetryPolicy.custom(List.of(), null)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> RetryPolicy.custom(List.of(Duration.ofDays(8)), null)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> RetryPolicy.custom(List.of(Duration.ofSeconds(1)), 51)).isInstanceOf(ValidationException.class);
    }
}
