package dev.herald.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The limit on failed console logins, per client address, on a clock the test moves. */
class LoginThrottleTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final LoginThrottle throttle = new LoginThrottle(clock, 10, Duration.ofMinutes(10), 1000);

    @Test
    void tenFailuresAreAllowedThenTheAddressWaitsForATokenToComeBack() {
        for (int i = 0; i < 10; i++) {
            assertThat(throttle.retryAfter("192.0.2.7")).as("before failure %d", i + 1).isEmpty();
            throttle.failed("192.0.2.7");
        }
        assertThat(throttle.retryAfter("192.0.2.7")).contains(Duration.ofMinutes(1));
        clock.advance(Duration.ofSeconds(45));
        assertThat(throttle.retryAfter("192.0.2.7")).contains(Duration.ofSeconds(15));
        clock.advance(Duration.ofSeconds(15));
        assertThat(throttle.retryAfter("192.0.2.7")).as("one try back after a minute").isEmpty();
        throttle.failed("192.0.2.7");
        assertThat(throttle.retryAfter("192.0.2.7")).as("and it is used up at once").contains(Duration.ofMinutes(1));
        clock.advance(Duration.ofMinutes(10));
        for (int i = 0; i < 10; i++) {
            assertThat(throttle.retryAfter("192.0.2.7")).as("all ten back after the window").isEmpty();
            throttle.failed("192.0.2.7");
        }
        assertThat(throttle.retryAfter("192.0.2.7")).isPresent();
    }

    @Test
    void oneAddressesFailuresDoNotTouchAnothers() {
        for (int i = 0; i < 10; i++) {
            throttle.failed("192.0.2.7");
        }
        assertThat(throttle.retryAfter("192.0.2.7")).isPresent();
        assertThat(throttle.retryAfter("192.0.2.8")).isEmpty();
        assertThat(throttle.retryAfter("2001:db8::1")).isEmpty();
    }

    @Test
    void anIpv6ClientCountsByItsSlash64() {
        for (int i = 0; i < 10; i++) {
            throttle.failed("2001:db8:1:2::" + Integer.toHexString(i + 1)); // a new address of the same /64 for each guess
        }
        assertThat(throttle.retryAfter("2001:db8:1:2:ffff:ffff:ffff:ffff")).isPresent();
        assertThat(throttle.retryAfter("[2001:db8:1:2::99]")).isPresent();
        assertThat(throttle.retryAfter("2001:db8:1:3::1")).as("the next /64").isEmpty();
        assertThat(LoginThrottle.key("2001:db8:1:2::1")).isEqualTo(LoginThrottle.key("2001:0db8:0001:0002:0:0:0:7"));
    }

    @Test
    void memoryIsBoundedDroppingRefilledAddressesFirstThenTheLeastRecentlyTouched() {
        LoginThrottle small = new LoginThrottle(clock, 2, Duration.ofMinutes(2), 3);
        small.failed("10.0.0.1"); // refilled a minute from now
        small.failed("10.0.0.2");
        small.failed("10.0.0.2"); // blocked
        clock.advance(Duration.ofMinutes(1));
        small.failed("10.0.0.3");
        small.failed("10.0.0.3"); // blocked
        small.failed("10.0.0.4"); // a fourth address: 10.0.0.1, refilled, goes
        assertThat(small.addresses()).isEqualTo(3);
        assertThat(small.retryAfter("10.0.0.3")).isPresent();
        for (int i = 5; i < 200; i++) {
            small.failed("10.0.1." + i);
        }
        assertThat(small.addresses()).isEqualTo(3);
    }
}
