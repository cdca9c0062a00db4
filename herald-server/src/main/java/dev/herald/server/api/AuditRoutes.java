package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.audit.AuditEntry;
import dev.herald.audit.AuditLog;
import dev.herald.seal.PageCursors;
import dev.herald.store.chain.HashChain;
import dev.herald.web.Problem;
import dev.herald.web.Params;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code /v1/audit}: the operator audit log, newest first, filtered by {@code target} (an id), {@code actor} (a key id or
 * name), {@code action} and {@code since}; a merchant's key sees only the entries about its own merchant's resources, a
 * publisher's key none (403). A merchant sees its own keys as actors; any other actor (the operator's keys) only as
 * {@value #OPERATOR}, without key id, name or client address, and its {@code actor} filter matches only its own keys.
 * {@code /v1/audit/verify} (admin only) recomputes the hash chain, against an {@code anchor} ({@code <seq>:<hash>}, a head kept
 * outside the database) when given, and answers the head now as the next anchor to keep.
 */
final class AuditRoutes implements HttpService {
    private static final int MAX_PAGE = 500;
    /** How a merchant sees an actor that is not one of its own keys. */
    static final String OPERATOR = "operator";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Herald herald;

    AuditRoutes(Herald herald) {
        this.herald = herald;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/v1/audit", (req, res) -> {
            String merchant = Access.of(req).reader();
            int limit = Params.limit(req, 100, MAX_PAGE);
            AuditLog.Query q = new AuditLog.Query(merchant, Params.query(req, "target", 128), Params.query(req, "actor", 200),
                    Params.query(req, "action", 64), Params.instant(req, "since"), Cursors.seq(herald, "audit", merchant, Params.query(req, "cursor", PageCursors.MAX_TOKEN)), limit + 1);
            List<AuditEntry> page = herald.audit().page(q);
            ArrayNode data = Responses.arr();
            boolean byActor = q.actor() != null;
            page.stream().limit(limit)
                    .filter(e -> merchant == null || !byActor || merchant.equals(e.actor().merchantId())) // no probing for operator key names
                    .forEach(e -> data.add(merchant == null ? view(e, true) : merchantView(e, merchant)));
            String next = Cursors.out(herald, "audit", merchant, page.size() > limit ? Long.toString(page.get(limit - 1).seq()) : null);
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.get("/v1/audit/verify", (req, res) -> {
            Access.of(req).requireAdmin();
            String given = Params.query(req, "anchor", 200);
            HashChain.Anchor anchor;
            try {
                anchor = given == null ? null : HashChain.Anchor.parse(given);
            } catch (IllegalArgumentException e) {
                throw Problem.invalid(e.getMessage(), "anchor");
            }
            AuditLog.Verification v = herald.audit().verify(anchor);
            Responses.json(res, 200, Responses.obj().put("ok", v.ok()).put("entries", v.entries()).put("first_bad_entry", v.firstBadEntry())
                    .put("problem", v.problem()).put("anchor", herald.audit().anchor().map(Object::toString).orElse(null)));
        });
    }

    /** An entry; the chain fields (its number and hashes, which count every merchant's changes) only for the operator. */
    static ObjectNode view(AuditEntry e, boolean withChain) {
        ObjectNode n = Responses.obj();
        if (withChain) {
            n.put("seq", e.seq());
        }
        n.put("at", e.at().toString());
        n.putObject("actor").put("key_id", e.actor().keyId()).put("name", e.actor().keyName()).put("merchant_id", e.actor().merchantId());
        n.put("action", e.action());
        n.putObject("target").put("type", e.target().type()).put("id", e.target().id()).put("merchant_id", e.target().merchantId());
        n.set("before", json(e.before()));
        n.set("after", json(e.after()));
        n.put("client_address", e.clientAddress()).put("trace_id", e.traceId());
        return withChain ? n.put("prev_hash", e.prevHash()).put("hash", e.hash()) : n;
    }

    /** An entry as merchant {@code merchant} sees it: an actor other than its own keys only as {@value #OPERATOR}, with no address. */
    private static ObjectNode merchantView(AuditEntry e, String merchant) {
        ObjectNode n = view(e, false);
        if (!merchant.equals(e.actor().merchantId())) {
            n.putObject("actor").putNull("key_id").put("name", OPERATOR).putNull("merchant_id");
            n.putNull("client_address");
        }
        return n;
    }

    private static JsonNode json(String text) {
        if (text == null) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
