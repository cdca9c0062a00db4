package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.delivery.Dispatcher;
import dev.herald.merchant.Merchant;
import dev.herald.merchant.MerchantService;
import dev.herald.notification.NotificationService;
import dev.herald.notification.NotificationService.Mode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import java.util.Set;

/** Merchants ({@code PUT/GET /v1/merchants/{id}}) and notify_url callbacks ({@code POST /v1/notifications}). */
public final class NotificationApi {
    private static final Set<String> MERCHANT_FIELDS = Set.of("name", "ack", "rotate_secret", "max_in_flight");
    private static final Set<String> NOTIFICATION_FIELDS = Set.of("merchant_id", "notify_url", "event", "payload", "mode", "priority",
            "account_uuid");

    private final Herald herald;
    private final BodyReader bodies;

    public NotificationApi(Herald herald, long maxBodyBytes) {
        this.herald = herald;
        this.bodies = new BodyReader(maxBodyBytes);
    }

    /** Registers the routes; call before {@link HeraldApi#routing} (whose catch-all answers 404). */
    public void routing(HttpRouting.Builder r) {
        r.put("/v1/merchants/{id}", (req, res) -> {
            JsonInput.Obj o = JsonInput.object(bodies.read(req), "", MERCHANT_FIELDS);
            Boolean rotate = o.bool("rotate_secret");
            MerchantService.Put put = herald.merchants().put(req.path().pathParameters().get("id"), o.string("name"), o.string("ack"),
                    rotate != null && rotate, o.integer("max_in_flight"));
            ObjectNode view = merchant(put.merchant());
            if (put.created() || (rotate != null && rotate)) {
                view.put("secret", put.merchant().secret());
            }
            Responses.json(res, put.created() ? 201 : 200, view);
        });
        r.get("/v1/merchants/{id}", (req, res) -> Responses.json(res, 200, merchant(herald.merchants().get(req.path().pathParameters().get("id")))));
        r.post("/v1/notifications", (req, res) -> {
            JsonInput.Obj o = JsonInput.object(bodies.read(req), "", NOTIFICATION_FIELDS);
            String mode = o.string("mode");
            if (mode != null && !mode.equals("sync") && !mode.equals("async")) {
                throw Problem.invalid("mode must be 'sync' or 'async'", "mode");
            }
            Integer priority = o.integer("priority");
            String key = req.headers().first(HeaderNames.create("Idempotency-Key")).orElse(null);
            NotificationService.Result result = herald.notifications().notify(new NotificationService.Request(o.string("merchant_id"),
                    o.string("notify_url"), o.string("event"), o.object("payload"), "sync".equals(mode) ? Mode.SYNC : Mode.ASYNC,
                    priority == null ? 0 : priority, key, o.string("account_uuid")));
            ObjectNode view = Responses.obj().put("id", result.eventId()).put("delivery_id", result.deliveryId()).put("duplicate", result.duplicate());
            Dispatcher.TestResult first = result.firstTry();
            if (first == null) {
                Responses.json(res, 202, view.put("status", result.duplicate() ? "duplicate" : "pending"));
                return;
            }
            view.put("status", first.success() ? "delivered" : "pending")
                    .put("success", first.success())
                    .put("status_code", first.result().gotResponse() ? first.result().statusCode() : null)
                    .put("error_class", first.errorClass())
                    .put("duration_ms", first.result().duration().toMillis())
                    .put("response_excerpt", first.result().responseExcerpt());
            Responses.json(res, 200, view);
        });
    }

    private static ObjectNode merchant(Merchant m) {
        return Responses.obj().put("id", m.id()).put("name", m.name()).put("ack", m.ack().toString())
                .put("max_in_flight", m.maxInFlight()).put("created_at", m.createdAt().toString()).put("updated_at", m.updatedAt().toString());
    }
}
