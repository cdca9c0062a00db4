package dev.herald.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The limit on failed console logins, per client address and key prefix, on a clock the test moves. */
class LoginThrottleTest {
    private static final String KEY = "hk_abc";
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final LoginThrottle throttle = new LoginThrottle(clock, 10, Duration.ofMinutes(10), 1000);

    /** A failed login: a try taken and not given back. */
    private void fail(LoginThrottle t, String address) {
        assertThat(t.acquire(address, KEY)).as("%s may try", address).isEmpty();
    }

    @Test
    void tenFailuresAreAllowedThenTheAddressWaitsForATokenToComeBack() {
        for (int i = 0; i < 10; i++) {
            fail(throttle, "192.0.2.7");
        }
        assertThat(throttle.acquire("192.0.2.7", KEY)).contains(Duration.ofMinutes(1));
        clock.advance(Duration.ofSeconds(45));
        assertThat(throttle.acquire("192.0.2.7", KEY)).contains(Duration.ofSeconds(15));
        clock.advance(Duration.ofSeconds(15));
        fail(throttle, "192.0.2.7"); // one try back after a minute
        assertThat(throttle.acquire("192.0.2.7", KEY)).as("and it is used up at once").contains(Duration.ofMinutes(1));
        clock.advance(Duration.ofMinutes(10));
        for (int i = 0; i < 10; i++) {
            fail(throttle, "192.0.2.7"); // all ten back after the window
        }
        assertThat(throttle.acquire("192.0.2.7", KEY)).isPresent();
    }

    @Test
    void aLoginThatDidNotFailCostsNothingAndGivesNothingMoreBack() {
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.acquire("192.0.2.9", KEY)).isEmpty();
            throttle.release("192.0.2.9", KEY); // a success
        }
        for (int i = 0; i < 9; i++) {
            fail(throttle, "192.0.2.9");
        }
        assertThat(throttle.acquire("192.0.2.9", KEY)).isEmpty(); // the last try, taken by a login in flight ...
        assertThat(throttle.acquire("192.0.2.9", KEY)).as("... so a guess sent beside it waits").isPresent();
        throttle.release("192.0.2.9", KEY); // ... which succeeds: its try comes back, and nothing more
        assertThat(throttle.acquire("192.0.2.9", KEY)).isEmpty();
        assertThat(throttle.acquire("192.0.2.9", KEY)).isPresent();
    }

    @Test
    void oneAddressesFailuresDoNotTouchAnothers() {
        for (int i = 0; i < 10; i++) {
            fail(throttle, "192.0.2.7");
        }
        assertThat(throttle.acquire("192.0.2.7", KEY)).isPresent();
        assertThat(throttle.acquire("192.0.2.8", KEY)).isEmpty();
        assertThat(throttle.acquire("2001:db8::1", KEY)).isEmpty();
    }

    @Test
    void failuresWithOneKeyPrefixDoNotHoldBackAnotherPrefixFromTheSameAddress() {
        for (int i = 0; i < 10; i++) {
            fail(throttle, "192.0.2.7"); // guesses aimed at hk_abc
        }
        assertThat(throttle.acquire("192.0.2.7", KEY)).isPresent();
        assertThat(throttle.acquire("192.0.2.7", "hk_xyz")).as("an operator behind the same NAT with another key").isEmpty();
        assertThat(throttle.acquire("192.0.2.7", LoginThrottle.UNKNOWN)).isEmpty();
        for (int i = 0; i < 9; i++) {
            assertThat(throttle.acquire("192.0.2.7", LoginThrottle.UNKNOWN)).isEmpty();
        }
        assertThat(throttle.acquire("192.0.2.7", LoginThrottle.UNKNOWN)).as("guesses that match no key share one bucket").isPresent();
        assertThat(throttle.acquire("192.0.2.7", "hk_xyz")).isEmpty();
    }

    @Test
    void anIpv6ClientCountsByItsSlash64() {
        for (int i = 0; i < 10; i++) {
            fail(throttle, "2001:db8:1:2::" + Integer.toHexString(i + 1)); // a new address of the same /64 for each guess
        }
        assertThat(throttle.acquire("2001:db8:1:2:ffff:ffff:ffff:ffff", KEY)).isPresent();
        assertThat(throttle.acquire("[2001:db8:1:2::99]", KEY)).isPresent();
        assertThat(throttle.acquire("2001:db8:1:3::1", KEY)).as("the next /64").isEmpty();
        assertThat(LoginThrottle.key("2001:db8:1:2::1")).isEqualTo(LoginThrottle.key("2001:0db8:0001:0002:0:0:0:7"));
    }

    @Test
    void memoryIsBoundedDroppingRefilledAddressesFirstThenTheLeastRecentlyTouched() {
        LoginThrottle small = new LoginThrottle(clock, 2, Duration.ofMinutes(2), 3);
        fail(small, "10.0.0.1"); // refilled a minute from now
        fail(small, "10.0.0.2");
        fail(small, "10.0.0.2"); // blocked
        clock.advance(Duration.ofMinutes(1));
        fail(small, "10.0.0.3");
        fail(small, "10.0.0.3"); // blocked
        fail(small, "10.0.0.4"); // a fourth address: 10.0.0.1, refilled, goes
        assertThat(small.buckets()).isEqualTo(3);
        assertThat(small.acquire("10.0.0.3", KEY)).isPresent();
        for (int i = 5; i < 200; i++) {
            fail(small, "10.0.1." + i);
        }
        assertThat(small.buckets()).isEqualTo(3);
    }
}
