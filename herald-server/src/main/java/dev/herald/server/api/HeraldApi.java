package dev.herald.server.api;

import dev.herald.Herald;
import dev.herald.store.Jdbc;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.server.console.ConsoleRoutes;
import dev.herald.server.console.ConsoleSessionRoutes;
import dev.herald.web.BodyReader;
import dev.herald.web.ConsoleSessions;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import java.util.ArrayList;
import java.util.List;
import java.time.Clock;
import java.util.function.BooleanSupplier;

/**
 * Herald's JSON API (snake_case, bearer keys, problem+json errors naming the field): one auth filter for {@code /v1},
 * one service per resource, one problem mapper.
 */
public final class HeraldApi {
    private final Herald herald;
    private final ApiKeyStore keys;
    private final ConsoleSessions sessions;
    private final Jdbc jdbc;
    private final Clock clock;
    private final BodyReader bodies;
    private final BooleanSupplier live;
    private final BooleanSupplier ready;
    private final MetricsRoutes metrics;
    private final ConsoleSessionRoutes consoleSession;

    /**
     * {@code live} and {@code ready} answer {@code /health/live} and {@code /health/ready}; {@code sessions} are the
     * console's, which {@code /v1} also accepts in place of a bearer key; {@code jdbc} answers {@code /v1/stats};
     * {@code metrics} serves {@code /metrics}.
     */
    public HeraldApi(Herald herald, ApiKeyStore keys, ConsoleSessions sessions, Jdbc jdbc, Clock clock, long maxBodyBytes, BooleanSupplier live,
                     BooleanSupplier ready, MetricsRoutes metrics) {
        this.metrics = metrics;
        this.herald = herald;
        this.keys = keys;
        this.sessions = sessions;
        this.jdbc = jdbc;
        this.clock = clock;
        this.bodies = new BodyReader(maxBodyBytes);
        this.live = live;
        this.ready = ready;
        this.consoleSession = new ConsoleSessionRoutes(herald, keys, sessions, bodies, clock);
    }

    /** Registers the auth filter, every route, the answer to a request no route takes and the error mapping. */
    public void routing(HttpRouting.Builder r) {
        r.addFilter(BearerAuth.filter(keys, sessions, "/v1"));
        KnownRoutes known = new KnownRoutes();
        List<HttpService> all = new ArrayList<>(services());
        all.add(new ApiDocsRoutes());
        all.add(new ConsoleRoutes());
        r.register(all.stream().map(known::recording).toArray(HttpService[]::new));
        r.any(known::unrouted); // a known path with another method: 405 with Allow; else 404
        ApiErrors.register(r);
    }

    /**
     * The services of the API's routes (and {@code /metrics} and the console's session), the ones {@code /openapi.json}
     * describes.
     */
    List<HttpService> services() {
        return List.of(new HealthRoutes(live, ready), metrics,
                new EndpointRoutes(herald, bodies),
                new EventRoutes(herald, bodies),
                new EventTypeRoutes(herald, bodies),
                new DeliveryRoutes(herald),
                new MerchantRoutes(herald, bodies),
                new NotificationRoutes(herald, bodies),
                new ApiKeyRoutes(herald, keys, bodies),
                new AuditRoutes(herald),
                new StatsRoutes(herald, jdbc, clock),
                consoleSession);
    }
}
