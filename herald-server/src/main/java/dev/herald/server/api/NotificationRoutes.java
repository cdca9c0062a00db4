package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.delivery.Dispatcher;
import dev.herald.notification.NotificationService;
import dev.herald.notification.NotificationService.Mode;
import dev.herald.support.ConflictException;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.Set;

/**
 * {@code POST /v1/notifications}: a callback to a per-request notify_url, {@code sync} (answers with the receiver's) or
 * {@code async}; without a mode, as the merchant routes the event type.
 */
final class NotificationRoutes implements HttpService {
    private static final Set<String> FIELDS = Set.of("merchant_id", "notify_url", "event", "payload", "mode", "priority", "account_uuid");

    private final Herald herald;
    private final BodyReader bodies;

    NotificationRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.post("/v1/notifications", (req, res) -> {
            String publisher = Access.of(req).publisher();
            JsonInput.Obj o = JsonInput.object(bodies.json(req), "", FIELDS);
            String merchantId = o.string("merchant_id");
            if (publisher != null && merchantId != null && !merchantId.equals(publisher)) {
                // to a publisher of another merchant, this one is as if it did not exist
                throw Problem.invalid("no merchant " + merchantId + "; create it with PUT /v1/merchants/{id}", "merchant_id");
            }
            String mode = o.string("mode");
            if (mode != null && !mode.equals("sync") && !mode.equals("async")) {
                throw Problem.invalid("mode must be 'sync' or 'async'", "mode");
            }
            Integer priority = o.integer("priority");
            String key = Params.header(req, EventRoutes.IDEMPOTENCY_KEY, EventRoutes.MAX_KEY_HEADER);
            NotificationService.Result result;
            try {
                result = herald.notifications().notify(new NotificationService.Request(merchantId, o.string("notify_url"),
                        o.string("event"), o.object("payload"), mode == null ? null : "sync".equals(mode) ? Mode.SYNC : Mode.ASYNC, priority,
                        key, o.string("account_uuid")));
            } catch (ConflictException e) {
                throw EventRoutes.keyConflict(e, key);
            }
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
}
