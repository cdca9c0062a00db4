package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.audit.AuditContext;
import dev.herald.audit.Target;
import dev.herald.support.NotFoundException;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * {@code /v1/api-keys} (admin only): make a key with scopes, bound to a merchant or not (the key is shown once, in the
 * answer to its creation, and stored only as its hash), list the live ones, revoke one at once on every node.
 */
final class ApiKeyRoutes implements HttpService {
    private static final Set<String> FIELDS = Set.of("name", "merchant_id", "scopes");
    private static final int MAX_PAGE = 500;

    private final Herald herald;
    private final ApiKeyStore keys;
    private final BodyReader bodies;

    ApiKeyRoutes(Herald herald, ApiKeyStore keys, BodyReader bodies) {
        this.herald = herald;
        this.keys = keys;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.post("/v1/api-keys", (req, res) -> {
            Access.of(req).requireAdmin();
            JsonInput.Obj o = JsonInput.object(bodies.json(req), "", FIELDS);
            String name = o.requiredString("name", 200);
            String merchantId = o.string("merchant_id", 128);
            List<String> scopes = Access.checkScopes(o.strings("scopes"), merchantId);
            if (merchantId != null) {
                try {
                    herald.merchants().get(merchantId);
                } catch (NotFoundException e) {
                    throw Problem.invalid("no merchant " + merchantId + "; create it with PUT /v1/merchants/{id}", "merchant_id");
                }
            }
            ApiKeyStore.Made made = keys.create(name, merchantId, scopes, "hk_", audited(req, "api_key.create"));
            Responses.json(res, 201, view(made.key()).put("key", made.secret()));
        });
        r.get("/v1/api-keys", (req, res) -> {
            Access.of(req).requireAdmin();
            int limit = Params.limit(req, 100, MAX_PAGE);
            List<ApiKeyStore.Listed> page = keys.list(Params.query(req, "merchant_id", 128), Params.query(req, "cursor", 64), limit + 1);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(k -> data.add(view(k)));
            String next = page.size() > limit ? page.get(limit - 1).id() : null;
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.delete("/v1/api-keys/{id}", (req, res) -> {
            Access.of(req).requireAdmin();
            String id = Params.path(req, "id");
            if (!keys.revoke(id, null, audited(req, "api_key.revoke"))) {
                throw new NotFoundException("no api key " + id);
            }
            res.status(204).send();
        });
    }

    /** A hook that records the key's change in the audit log, in the transaction that makes it. */
    private ApiKeyStore.ChangeHook audited(ServerRequest req, String action) {
        AuditContext ctx = Caller.of(req);
        return (c, before, after) -> herald.audit().append(c, ctx, action, Target.apiKey(after.id(), after.merchantId()), before, after);
    }

    static ObjectNode view(ApiKeyStore.Listed k) {
        ObjectNode n = Responses.obj().put("id", k.id()).put("name", k.name()).put("prefix", k.prefix()).put("merchant_id", k.merchantId());
        k.scopes().forEach(n.putArray("scopes")::add);
        return n.put("origin", k.origin()).put("created_at", ts(k.createdAt())).put("last_used_at", ts(k.lastUsedAt()));
    }

    private static String ts(Instant i) {
        return i == null ? null : i.toString();
    }
}
