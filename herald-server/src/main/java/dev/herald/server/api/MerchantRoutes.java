package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.merchant.Merchant;
import dev.herald.merchant.MerchantService;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.Set;

/** {@code PUT/GET /v1/merchants/{id}}: create or change a merchant (its secret is shown on creation and rotation only). */
final class MerchantRoutes implements HttpService {
    private static final Set<String> FIELDS = Set.of("name", "ack", "rotate_secret", "max_in_flight");

    private final Herald herald;
    private final BodyReader bodies;

    MerchantRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.put("/v1/merchants/{id}", (req, res) -> {
            JsonInput.Obj o = JsonInput.object(bodies.json(req), "", FIELDS);
            boolean rotate = Boolean.TRUE.equals(o.bool("rotate_secret"));
            MerchantService.Put put = herald.merchants().put(Params.path(req, "id"), o.string("name"), o.string("ack", 200), rotate,
                    o.integer("max_in_flight"));
            ObjectNode view = merchant(put.merchant());
            if (put.created() || rotate) {
                view.put("secret", put.merchant().secret());
            }
            Responses.json(res, put.created() ? 201 : 200, view);
        });
        r.get("/v1/merchants/{id}", (req, res) -> Responses.json(res, 200, merchant(herald.merchants().get(Params.path(req, "id")))));
    }

    private static ObjectNode merchant(Merchant m) {
        return Responses.obj().put("id", m.id()).put("name", m.name()).put("ack", m.ack().toString())
                .put("max_in_flight", m.maxInFlight())
                .put("previous_secret_until", m.previousSecretUntil() == null ? null : m.previousSecretUntil().toString())
                .put("created_at", m.createdAt().toString()).put("updated_at", m.updatedAt().toString());
    }
}
