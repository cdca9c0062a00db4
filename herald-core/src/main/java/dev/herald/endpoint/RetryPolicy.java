package dev.herald.endpoint;

import dev.herald.support.ValidationException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * How often and when a failed delivery is tried again: {@code attempts} retries after the first try,
 * waiting {@code schedule[i]} before retry {@code i+1} (the last step repeats), each wait jittered ±10%.
 */
public record RetryPolicy(int attempts, List<Duration> schedule, String preset) {
    public static final int MAX_ATTEMPTS = 50;
    public static final Duration MAX_STEP = Duration.ofDays(7);

    private static final Map<String, List<Duration>> PRESETS = Map.of(
            "default", seconds(60, 300, 900),
            "alipay", seconds(240, 600, 600, 3600, 7200, 21600, 54000),
            "wechatpay", seconds(15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600),
            "standard", seconds(5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400));

    public RetryPolicy {
        if (attempts < 0 || attempts > MAX_ATTEMPTS) {
            throw new ValidationException("retry_attempts", "retry_attempts must be between 0 and " + MAX_ATTEMPTS);
        }
        if (schedule.isEmpty()) {
            throw new ValidationException("retry_schedule", "retry_schedule must not be empty");
        }
        for (int i = 0; i < schedule.size(); i++) {
            Duration d = schedule.get(i);
            if (d.isNegative() || d.isZero() || d.compareTo(MAX_STEP) > 0) {
                throw new ValidationException("retry_schedule[" + i + "]", "each retry step must be between 1 second and 7 days");
            }
        }
        schedule = List.copyOf(schedule);
    }

    /** The default policy: 3 retries after 1, 5 and 15 minutes. */
    public static RetryPolicy defaults() {
        return preset("default", null);
    }

    /** A named preset ({@code default, alipay, wechatpay, standard}); attempts default to the preset's length. */
    public static RetryPolicy preset(String name, Integer attempts) {
        List<Duration> steps = PRESETS.get(name);
        if (steps == null) {
            throw new ValidationException("retry_schedule", "unknown retry preset '" + name + "'; known: " + String.join(", ", PRESETS.keySet().stream().sorted().toList()));
        }
        return new RetryPolicy(attempts != null ? attempts : steps.size(), steps, name);
    }

    /** An explicit list of waits; attempts default to the list's length. */
    public static RetryPolicy custom(List<Duration> steps, Integer attempts) {
        return new RetryPolicy(attempts != null ? attempts : steps.size(), steps, null);
    }

    /**
     * The wait before the next try after {@code triesDone} tries of this round failed, or empty when
     * the retries are exhausted. A {@code retryAfter} hint (429/503) is clamped to step … 2×step.
     */
    public Optional<Duration> nextDelay(int triesDone, Duration retryAfter, RandomGenerator random) {
        if (triesDone > attempts) {
            return Optional.empty();
        }
        Duration step = schedule.get(Math.min(triesDone - 1, schedule.size() - 1));
        if (retryAfter != null) {
            Duration max = step.multipliedBy(2);
            return Optional.of(retryAfter.compareTo(step) < 0 ? step : retryAfter.compareTo(max) > 0 ? max : retryAfter);
        }
        double factor = 0.9 + 0.2 * random.nextDouble();
        return Optional.of(Duration.ofMillis(Math.round(step.toMillis() * factor)));
    }

    /** Schedule as whole seconds, as stored. */
    public int[] scheduleSeconds() {
        return schedule.stream().mapToInt(d -> (int) d.toSeconds()).toArray();
    }

    private static List<Duration> seconds(long... s) {
        return Arrays.stream(s).mapToObj(Duration::ofSeconds).toList();
    }
}
