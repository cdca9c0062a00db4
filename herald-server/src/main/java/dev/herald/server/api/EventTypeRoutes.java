package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.catalog.EventCatalog;
import dev.herald.catalog.EventType;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.Set;

/**
 * The event catalog: {@code GET /v1/event-types} and {@code GET /v1/event-types/{type}} for any key (admin, merchant,
 * publisher); {@code PUT /v1/event-types/{type}} creates or changes a type, admin only, audited (see
 * {@link EventCatalog#put}).
 */
final class EventTypeRoutes implements HttpService {
    private static final Set<String> FIELDS = Set.of("description", "version", "schema", "example");

    private final Herald herald;
    private final BodyReader bodies;

    EventTypeRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/v1/event-types", (req, res) -> {
            ArrayNode data = Responses.arr();
            herald.catalog().list().forEach(t -> data.add(view(t)));
            Responses.json(res, 200, Responses.obj().set("data", data));
        });
        r.get("/v1/event-types/{type}", (req, res) -> Responses.json(res, 200, view(herald.catalog().get(Params.path(req, "type")))));
        r.put("/v1/event-types/{type}", (req, res) -> {
            Access.of(req).requireAdmin();
            String type = Params.path(req, "type");
            JsonInput.Obj o = JsonInput.object(bodies.json(req), "", FIELDS);
            EventCatalog.Put put = herald.catalog().put(Caller.of(req), type,
                    new EventCatalog.Draft(o.string("description", EventCatalog.MAX_DESCRIPTION), o.integer("version"), o.raw("schema"), o.raw("example")));
            Responses.json(res, put.created() ? 201 : 200, view(put.type()));
        });
    }

    /** The API view of a type. */
    static ObjectNode view(EventType t) {
        ObjectNode n = Responses.obj().put("type", t.type()).put("version", t.version()).put("description", t.description());
        n.set("schema", t.schema());
        n.set("example", t.example());
        return n.put("operational", t.operational()).put("updated_at", t.updatedAt().toString());
    }
}
