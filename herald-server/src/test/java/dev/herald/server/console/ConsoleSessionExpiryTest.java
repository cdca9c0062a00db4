package dev.herald.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import dev.herald.testing.MutableClock;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A console session ends after 30 minutes without use and 12 hours after login however much it is used. */
class ConsoleSessionExpiryTest {
    private final MutableClock clock = MutableClock.startingNow();
    private TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(false, clock);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String login() {
        Response r = server.send(HttpRequest.newBuilder(server.uri("/console/session")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(Map.of("key", TestServer.ADMIN_KEY)))).build());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String c = r.header("Set-Cookie");
        assertThat(c).contains("Max-Age=" + Duration.ofHours(12).toSeconds());
        return c.substring(0, c.indexOf(';'));
    }

    private int endpoints(String cookie) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/endpoints")).header("Cookie", cookie).GET().build()).status();
    }

    @Test
    void aSessionUnusedForHalfAnHourEnds() {
        String cookie = login();
        clock.advance(Duration.ofMinutes(29));
        assertThat(endpoints(cookie)).isEqualTo(200);
        clock.advance(Duration.ofMinutes(29)); // 58 minutes after login, 29 after its last use
        assertThat(endpoints(cookie)).isEqualTo(200);
        clock.advance(Duration.ofMinutes(31));
        assertThat(endpoints(cookie)).isEqualTo(401);
    }

    @Test
    void aSessionInUseEndsTwelveHoursAfterLogin() {
        String cookie = login();
        for (int i = 0; i < 12 * 3 - 1; i++) { // used every 20 minutes
            clock.advance(Duration.ofMinutes(20));
            assertThat(endpoints(cookie)).as("after %d minutes", (i + 1) * 20).isEqualTo(200);
        }
        clock.advance(Duration.ofMinutes(20));
        assertThat(endpoints(cookie)).isEqualTo(401);
    }
}
