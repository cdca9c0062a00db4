package dev.herald.server.api;

import dev.herald.Herald;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.web.BodyReader;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Herald's JSON API (snake_case, bearer keys, problem+json errors naming the field): one auth filter for {@code /v1},
 * one service per resource, one problem mapper.
 */
public final class HeraldApi {
    private final Herald herald;
    private final ApiKeyStore keys;
    private final BodyReader bodies;
    private final BooleanSupplier live;
    private final BooleanSupplier ready;
    private final MetricsRoutes metrics;

    /** {@code live} and {@code ready} answer {@code /health/live} and {@code /health/ready}; {@code metrics} {@code /metrics}. */
    public HeraldApi(Herald herald, ApiKeyStore keys, long maxBodyBytes, BooleanSupplier live, BooleanSupplier ready, MetricsRoutes metrics) {
        this.metrics = metrics;
        this.herald = herald;
        this.keys = keys;
        this.bodies = new BodyReader(maxBodyBytes);
        this.live = live;
        this.ready = ready;
    }

    /** Registers the auth filter, every route and the error mapping. */
    public void routing(HttpRouting.Builder r) {
        r.addFilter(BearerAuth.filter(keys, "/v1"));
        r.register(services().toArray(HttpService[]::new));
        r.register(new ApiDocsRoutes());
        r.any((req, res) -> Responses.problem(res, Problem.notFound("no route " + req.prologue().method().text() + " " + req.path().path(), null)));
        ApiErrors.register(r);
    }

    /** The services of the API's routes (and {@code /metrics}), the ones {@code /openapi.json} describes. */
    List<HttpService> services() {
        return List.of(new HealthRoutes(live, ready), metrics,
                new EndpointRoutes(herald, bodies),
                new EventRoutes(herald, bodies),
                new DeliveryRoutes(herald),
                new MerchantRoutes(herald, bodies),
                new NotificationRoutes(herald, bodies),
                new ApiKeyRoutes(herald, keys, bodies),
                new AuditRoutes(herald));
    }
}
