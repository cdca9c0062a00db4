package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.catalog.EventCatalog;
import dev.herald.catalog.Finding;
import dev.herald.catalog.ValidationMode;
import dev.herald.event.EventInput;
import dev.herald.event.StoredEvent;
import dev.herald.ingest.IngestService;
import dev.herald.support.ConflictException;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Params;
import dev.herald.seal.PageCursors;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import dev.herald.web.Traceparent;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code /v1/events} (publish one or a batch; pull after a cursor) and {@code /v1/events/{id}}. */
final class EventRoutes implements HttpService {
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Longest Idempotency-Key header: room for the "#999" a batch appends per event within the stored key's 255. */
    static final int MAX_KEY_HEADER = 200;
    private static final Set<String> FIELDS = Set.of("id", "event", "timestamp", "account_uuid", "data", "priority", "trace_id",
            "merchant_id", "idempotency_key", "ordering_key");
    private static final int MAX_PAGE = 500;

    private final Herald herald;
    private final BodyReader bodies;

    EventRoutes(Herald herald, BodyReader bodies) {
        this.herald = herald;
        this.bodies = bodies;
    }

    @Override
    public void routing(HttpRules r) {
        r.post("/v1/events", this::publish);
        r.get("/v1/events", (req, res) -> {
            String merchant = Access.of(req).reader();
            int limit = Params.limit(req, 100, MAX_PAGE);
            String type = Params.query(req, "type", EventInput.MAX_TYPE);
            String after = Cursors.in(herald, "events", merchant, Params.query(req, "after", PageCursors.MAX_TOKEN), "after");
            List<StoredEvent> page = herald.events().pull(after, type, Params.instant(req, "since"), limit + 1, merchant);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(e -> data.add(Views.event(e).put("cursor", Cursors.out(herald, "events", merchant, e.cursor()))));
            boolean more = page.size() > limit;
            String next = Cursors.out(herald, "events", merchant,
                    page.isEmpty() ? (after == null ? "0-0" : after) : page.get(Math.min(limit, page.size()) - 1).cursor());
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", more));
        });
        r.get("/v1/events/{id}", (req, res) -> {
            String merchant = Access.of(req).reader();
            StoredEvent e = herald.events().get(Params.path(req, "id"), Params.query(req, "merchant_id", EventInput.MAX_ID), merchant);
            Responses.json(res, 200, Views.event(e).put("cursor", Cursors.out(herald, "events", merchant, e.cursor())));
        });
    }

    private void publish(ServerRequest req, ServerResponse res) {
        String publisher = Access.of(req).publisher();
        byte[] body = bodies.bytes(req);
        JsonNode root = JsonInput.parse(body);
        // The producer's bytes of each event's data, stored as posted (the parsed tree is still what is validated)
        List<byte[]> rawData = JsonInput.objectMemberBytes(body, "data");
        String key = Params.header(req, IDEMPOTENCY_KEY, MAX_KEY_HEADER);
        String traceparent = req.headers().first(HeaderNames.create("traceparent")).orElse(null);
        String trace = Traceparent.traceId(traceparent).orElse(null);
        List<EventInput> batch = new ArrayList<>();
        if (root.isArray()) {
            if (root.isEmpty() || root.size() > IngestService.MAX_BATCH) {
                throw Problem.invalid("an array must hold 1-" + IngestService.MAX_BATCH + " events", null);
            }
            for (int i = 0; i < root.size(); i++) {
                batch.add(forPublisher(eventInput(root.get(i), "[" + i + "].", key == null ? null : key + "#" + i, trace,
                        i < rawData.size() ? rawData.get(i) : null), publisher, "[" + i + "]."));
            }
        } else {
            batch.add(forPublisher(eventInput(root, "", key, trace, rawData.isEmpty() ? null : rawData.getFirst()), publisher, ""));
        }
        boolean array = root.isArray();
        List<EventCatalog.Verdict> verdicts = herald.catalog().check(batch);
        List<EventInput> kept = new ArrayList<>(batch.size());
        ArrayNode refusals = Responses.arr();
        for (int i = 0; i < batch.size(); i++) {
            if (verdicts.get(i).refused()) {
                refusals.add(refusal(verdicts.get(i).findings(), array ? "[" + i + "]." : ""));
            } else {
                kept.add(batch.get(i));
            }
        }
        if (kept.isEmpty()) { // nothing to store: one problem, naming the first finding and listing every one
            ObjectNode first = (ObjectNode) refusals.get(0);
            if (array) {
                ArrayNode all = Responses.arr();
                refusals.forEach(r -> all.addAll((ArrayNode) r.get("errors")));
                first.put("detail", "every event of the batch breaks its type's schema: " + first.get("detail").asText()).set("errors", all);
            }
            res.status(422);
            res.header(HeaderNames.CONTENT_TYPE, "application/problem+json");
            res.send(Responses.bytes(first));
            return;
        }
        List<IngestService.Accepted> accepted;
        try {
            accepted = herald.ingest().ingest(kept, trace == null ? null : traceparent); // the ingest spans' parent
        } catch (ConflictException e) {
            throw keyConflict(e, key);
        }
        ObjectNode answer;
        if (array) {
            ArrayNode data = Responses.arr();
            int next = 0;
            int refused = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (verdicts.get(i).refused()) {
                    data.addObject().set("error", refusals.get(refused++));
                } else {
                    data.add(Views.accepted(accepted.get(next++)));
                }
            }
            answer = Responses.obj().<ObjectNode>set("data", data)
                    .put("deliveries", accepted.stream().mapToInt(IngestService.Accepted::deliveries).sum());
            if (refused > 0) {
                answer.put("refused", refused);
            }
        } else {
            answer = Views.accepted(accepted.getFirst());
        }
        answer.set("warnings", warnings(batch, verdicts, array));
        Responses.json(res, 202, answer);
    }

    /** The problem of an event the schema check refused: 422 naming its first finding's field and rule, every finding in {@code errors}. */
    private static ObjectNode refusal(List<Finding> findings, String prefix) {
        Finding first = findings.getFirst();
        ObjectNode p = Responses.problemBody(Problem.invalid(first.detail() + " (rule " + first.rule() + ")"
                + (findings.size() > 1 ? " and " + (findings.size() - 1) + " more in errors" : ""), prefix + first.field()));
        p.put("rule", first.rule());
        ArrayNode errors = p.putArray("errors");
        findings.forEach(f -> errors.add(finding(f, prefix)));
        return p;
    }

    private static ObjectNode finding(Finding f, String prefix) {
        return Responses.obj().put("field", prefix + f.field()).put("rule", f.rule()).put("detail", f.detail());
    }

    /**
     * What was accepted but is most likely a mistake: a merchant_id no merchant has, and (in {@code warn} mode) what an
     * event breaks of its type's schema, or a type the catalog lacks.
     */
    private ArrayNode warnings(List<EventInput> batch, List<EventCatalog.Verdict> verdicts, boolean array) {
        ArrayNode out = Responses.arr();
        for (int i = 0; i < batch.size(); i++) {
            if (verdicts.get(i).mode() == ValidationMode.WARN) {
                String prefix = array ? "[" + i + "]." : "";
                verdicts.get(i).findings().forEach(f -> out.add(finding(f, prefix)));
            }
        }
        for (int i : herald.ingest().unknownMerchants(batch)) {
            if (verdicts.get(i).refused()) {
                continue;
            }
            String m = batch.get(i).targetMerchant();
            out.addObject().put("field", (array ? "[" + i + "]." : "") + "merchant_id")
                    .put("detail", "no merchant " + m + " is registered (a misspelled id?): the event was stored for merchant_id " + m
                            + " and goes only to that merchant id's endpoints; PUT /v1/merchants/" + m + " registers it");
        }
        return out;
    }

    /** A publisher bound to a merchant publishes for that merchant only: its events target it. */
    private static EventInput forPublisher(EventInput in, String merchant, String path) {
        if (merchant == null) {
            return in;
        }
        if (in.targetMerchant() != null && !in.targetMerchant().equals(merchant)) {
            throw Problem.invalid("this key publishes for merchant " + merchant + " only", path + "merchant_id");
        }
        return new EventInput(in.id(), in.type(), in.timestamp(), in.accountUuid(), in.data(), in.idempotencyKey(), in.priority(), in.traceId(),
                merchant, in.orderingKey(), in.rawData());
    }

    /** A conflict about the idempotency key names the header when the key came from it. */
    static ConflictException keyConflict(ConflictException e, String headerKey) {
        return headerKey != null && "idempotency_key".equals(e.field()) ? new ConflictException(IDEMPOTENCY_KEY, e.getMessage()) : e;
    }

    /**
     * The event in {@code n}, with the producer's bytes of its data ({@code rawData}, null: none); the body's
     * idempotency_key and trace_id win over the header's.
     */
    static EventInput eventInput(JsonNode n, String path, String headerKey, String trace, byte[] rawData) {
        JsonInput.Obj o = JsonInput.object(n, path, FIELDS);
        String bodyKey = o.string("idempotency_key");
        Integer priority = o.integer("priority");
        String traceId = o.string("trace_id");
        return new EventInput(o.string("id"), o.string("event"), o.instant("timestamp"), o.string("account_uuid"), o.object("data"),
                bodyKey != null ? bodyKey : headerKey, priority == null ? 0 : priority, traceId != null ? traceId : trace, o.string("merchant_id"),
                o.string("ordering_key"), o.object("data") == null ? null : rawData);
    }
}
