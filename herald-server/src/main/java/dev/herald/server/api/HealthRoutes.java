package dev.herald.server.api;

import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.function.BooleanSupplier;

/** {@code /health/live} (the process serves and its parts are alive) and {@code /health/ready} (it can take work). */
final class HealthRoutes implements HttpService {
    private final BooleanSupplier live;
    private final BooleanSupplier ready;

    HealthRoutes(BooleanSupplier live, BooleanSupplier ready) {
        this.live = live;
        this.ready = ready;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/health/live", (req, res) -> {
            boolean ok = live.getAsBoolean();
            Responses.json(res, ok ? 200 : 503, Responses.obj().put("status", ok ? "live" : "not_live"));
        });
        r.get("/health/ready", (req, res) -> {
            boolean ok = ready.getAsBoolean();
            Responses.json(res, ok ? 200 : 503, Responses.obj().put("status", ok ? "ready" : "not_ready"));
        });
    }
}
