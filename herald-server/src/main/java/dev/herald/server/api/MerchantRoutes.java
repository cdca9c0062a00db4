package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.catalog.ValidationMode;
import dev.herald.merchant.Merchant;
import dev.herald.merchant.MerchantDraft;
import dev.herald.merchant.MerchantService;
import dev.herald.support.NotFoundException;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /v1/merchants}: the merchants, filtered by status and a search of id and name, a page at a time (a
 * merchant's key finds its own merchant only). {@code PUT/GET /v1/merchants/{id}}: create or change a merchant (its secret is shown on creation and rotation only).
 * {@code GET /v1/merchants/{id}/signing-keys}: the public keys that sign its endpoints' requests and notify_url callbacks.
 * The operator (admin) sets everything; a merchant's own key may read its merchant and change its own settings
 * (name, ack rule, secret rotation, signature schemes, payload key), not the controls the operator sets — another
 * merchant is not found. A payload key is write-only: shown once when Herald makes it ({@code rotate_payload_key}).
 */
final class MerchantRoutes implements HttpService {
    private static final Set<String> OWN_FIELDS = Set.of("name", "ack", "rotate_secret", "signature_schemes", "payload_key", "rotate_payload_key");
    private static final Set<String> FIELDS = Set.of("name", "ack", "rotate_secret", "max_in_flight", "status", "listed", "url_rules",
            "sync_types", "default_priority", "signature_schemes", "payload_key", "rotate_payload_key", "tls", "proxy", "retention_days", "schema_validation");
    private static final int MAX_PAGE = 500;
    /** Longest {@code ?q=} of the list. */
    private static final int MAX_SEARCH = 200;
    private static final Set<String> URL_RULES = Set.of("hosts", "https_only", "private_networks");

    private final Herald herald;
    private final BodyReader bodies;

    MerchantRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.put("/v1/merchants/{id}", (req, res) -> {
            Access access = Access.of(req);
            String id = Params.path(req, "id");
            JsonInput.Obj o = JsonInput.object(bodies.json(req), "", FIELDS);
            if (!access.admin()) {
                ownMerchant(access.writer(), id);
                for (String f : FIELDS) {
                    if (!OWN_FIELDS.contains(f) && o.has(f)) {
                        throw Problem.forbidden(f + " is set by the operator", f);
                    }
                }
            }
            JsonInput.Obj rules = o.object("url_rules") == null ? null : JsonInput.object(o.object("url_rules"), "url_rules.", URL_RULES);
            MerchantDraft draft = new MerchantDraft(o.string("name"), o.string("ack", 200), Boolean.TRUE.equals(o.bool("rotate_secret")),
                    o.integer("max_in_flight"), o.string("status", 20), o.bool("listed"),
                    rules == null ? null : rules.strings("hosts"), rules == null ? null : rules.bool("https_only"),
                    rules == null ? null : rules.strings("private_networks"), o.strings("sync_types"), o.integer("default_priority"),
                    o.strings("signature_schemes"), o.string("payload_key", 200), Boolean.TRUE.equals(o.bool("rotate_payload_key")),
                    TlsFields.tls(o), TlsFields.proxyUrl(o), o.integer("retention_days"));
            ValidationMode schemaValidation = o.string("schema_validation", 20) == null ? null : ValidationMode.parse(o.string("schema_validation"), "schema_validation");
            MerchantService.Put put = herald.merchants().put(Caller.of(req), id, draft);
            if (o.has("schema_validation")) {
                herald.catalog().setMerchantMode(Caller.of(req), id, schemaValidation);
            }
            ObjectNode view = view(put.merchant());
            if (put.created() || draft.rotateSecret()) {
                view.put("secret", put.merchant().secret());
            }
            if (put.payloadKeyMade()) {
                view.put("payload_key", put.merchant().payloadKey().encoded());
            }
            Responses.json(res, put.created() ? 201 : 200, view);
        });
        r.get("/v1/merchants", (req, res) -> {
            String merchant = Access.of(req).reader();
            int limit = Params.limit(req, 100, MAX_PAGE);
            String status = Params.query(req, "status", 20);
            if (status != null && !MerchantService.isStatus(status)) {
                throw Problem.invalid("status must be one of active, suspended, blocked", "status");
            }
            String q = Params.query(req, "q", MAX_SEARCH);
            if (q != null && q.isEmpty()) {
                throw Problem.invalid("q must be 1-" + MAX_SEARCH + " characters (leave it out to match every merchant)", "q");
            }
            String cursor = Params.query(req, "cursor", 128);
            List<Merchant> page = herald.merchants().list(new MerchantService.Filter(merchant, status, q, cursor, limit + 1));
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(m -> data.add(view(m)));
            String next = page.size() > limit ? page.get(limit - 1).id() : null;
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.get("/v1/merchants/{id}", (req, res) -> {
            String id = Params.path(req, "id");
            ownMerchant(Access.of(req).reader(), id);
            Responses.json(res, 200, view(herald.merchants().get(id)));
        });
        r.get("/v1/merchants/{id}/signing-keys", (req, res) -> {
            String id = Params.path(req, "id");
            ownMerchant(Access.of(req).reader(), id);
            EndpointRoutes.signingKeys(req, res, () -> herald.endpoints().merchantSigningKeys(herald.merchants().get(id).id()));
        });
    }

    /** A merchant's key reaches its own merchant only; any other answers as a missing one. */
    private static void ownMerchant(String merchant, String id) {
        if (merchant != null && !merchant.equals(id)) {
            throw new NotFoundException("no merchant " + id);
        }
    }

    /** The merchant with its schema-check mode ({@code schema_validation}, null: the node's). */
    private ObjectNode view(Merchant m) {
        return merchant(m).put("schema_validation", herald.catalog().merchantMode(m.id()).map(ValidationMode::wire).orElse(null));
    }

    static ObjectNode merchant(Merchant m) {
        ObjectNode n = Responses.obj().put("id", m.id()).put("name", m.name()).put("ack", m.ack().toString())
                .put("status", m.status()).put("listed", m.listed())
                .put("max_in_flight", m.maxInFlight()).put("retention_days", m.retentionDays());
        ObjectNode rules = n.putObject("url_rules");
        m.urlRules().hosts().forEach(rules.putArray("hosts")::add);
        rules.put("https_only", m.urlRules().httpsOnly());
        m.urlRules().privateNetworks().forEach(rules.putArray("private_networks")::add);
        m.syncTypes().forEach(n.putArray("sync_types")::add);
        m.signatureSchemes().names().forEach(n.putArray("signature_schemes")::add);
        TlsFields.put(n, m.tls());
        TlsFields.put(n, m.proxy());
        return n.put("default_priority", m.defaultPriority()).put("has_payload_key", m.payloadKey() != null)
                .put("previous_secret_until", m.previousSecretUntil() == null ? null : m.previousSecretUntil().toString())
                .put("created_at", m.createdAt().toString()).put("updated_at", m.updatedAt().toString());
    }
}
