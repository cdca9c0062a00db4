package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.delivery.Attempt;
import dev.herald.delivery.Delivery;
import dev.herald.delivery.DeliveryRepository;
import dev.herald.delivery.DeliveryService;
import dev.herald.event.EventInput;
import dev.herald.event.TypeFilter;
import dev.herald.web.Params;
import dev.herald.seal.PageCursors;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/** {@code /v1/deliveries}: the delivery log, one delivery with its attempts, resend. */
final class DeliveryRoutes implements HttpService {
    private static final int MAX_PAGE = 500;

    private final Herald herald;

    DeliveryRoutes(Herald herald) {
        this.herald = herald;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/v1/deliveries", (req, res) -> {
            String merchant = Access.of(req).reader();
            int limit = Params.limit(req, 100, MAX_PAGE);
            DeliveryRepository.Filter f = filter(req, merchant,
                    Cursors.seq(herald, "deliveries", merchant, Params.query(req, "cursor", PageCursors.MAX_TOKEN)), limit + 1);
            if (f == null) {
                Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", Responses.arr()).putNull("next_cursor").put("has_more", false));
                return; // another merchant's deliveries, to this key, are as if there were none
            }
            List<Delivery> page = herald.deliveries().list(f);
            ArrayNode data = Responses.arr();
            page.stream().limit(limit).forEach(d -> data.add(Views.delivery(d)));
            String next = Cursors.out(herald, "deliveries", merchant, page.size() > limit ? Long.toString(page.get(limit - 1).seq()) : null);
            Responses.json(res, 200, Responses.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        r.post("/v1/deliveries/resend", (req, res) -> {
            String merchant = Access.of(req).writer();
            int max = Params.limit(req, 100, DeliveryService.MAX_BULK_RESEND);
            boolean page = Boolean.TRUE.equals(Params.flag(req, "page"));
            DeliveryRepository.Filter f = filter(req, merchant,
                    Cursors.seq(herald, "deliveries", merchant, Params.query(req, "cursor", PageCursors.MAX_TOKEN)), max);
            DeliveryService.BulkResent done = f == null ? new DeliveryService.BulkResent(0, List.of())
                    : page ? herald.deliveries().resendPage(Caller.of(req), f, max) : herald.deliveries().resendAll(Caller.of(req), f, max);
            ArrayNode ids = Responses.arr();
            done.resent().forEach(ids::add);
            ObjectNode answer = Responses.obj().put("matched", done.matched()).put("resent", done.resent().size()).set("delivery_ids", ids);
            if (page) {
                String next = Cursors.out(herald, "deliveries", merchant, done.nextBeforeSeq() == null ? null : done.nextBeforeSeq().toString());
                answer.put("next_cursor", next).put("has_more", next != null);
            }
            Responses.json(res, 202, answer);
        });
        // the literal path before the {id} one, so GET /v1/deliveries/resend is 405, not a search for a delivery named "resend"
        r.route(Method.predicate(Method.GET, Method.PUT, Method.PATCH, Method.DELETE), PathMatchers.exact("/v1/deliveries/resend"), (req, res) -> {
            res.header(HeaderNames.ALLOW, "POST");
            Responses.problem(res, new Problem(405, "Method not allowed", "/v1/deliveries/resend does not take " + req.prologue().method().text()
                    + "; it takes POST", null));
        });
        r.get("/v1/deliveries/{id}", (req, res) -> {
            DeliveryService.Detail d = herald.deliveries().get(Params.path(req, "id"), Access.of(req).reader());
            ArrayNode attempts = Responses.arr();
            for (Attempt a : d.attempts()) {
                attempts.add(Views.attempt(a));
            }
            Responses.json(res, 200, Views.delivery(d.delivery()).set("attempts", attempts));
        });
        r.get("/v1/deliveries/{id}/request", (req, res) -> {
            ObjectNode n = herald.deliveries().request(Params.path(req, "id"), Access.of(req).reader())
                    .map(DeliveryRoutes::request)
                    .orElseThrow(() -> Problem.notFound("the endpoint of this delivery was deleted", null));
            Responses.json(res, 200, n);
        });
        r.post("/v1/deliveries/{id}/resend", (req, res) -> Responses.json(res, 202, Views.delivery(herald.deliveries().resend(Caller.of(req), Params.path(req, "id"), Access.of(req).writer()))));
    }

    /**
     * The list's filters of the query (status, endpoint_id, merchant_id, event: an event id, a type or a 'prefix.*' pattern,
     * since, until), for {@code merchant}'s key
     * when not null; null when such a key names another merchant (whose deliveries are, to it, as if there were none).
     */
    private DeliveryRepository.Filter filter(ServerRequest req, String merchant, Long beforeSeq, int limit) {
        String merchantFilter = Params.query(req, "merchant_id", 128);
        String event = Params.query(req, "event", EventInput.MAX_TYPE);
        boolean byId = event != null && !TypeFilter.isPattern(event) && isEventId(event, merchant);
        Instant since = Params.instant(req, "since");
        Instant until = Params.instant(req, "until");
        if (since != null && until != null && until.isBefore(since)) {
            throw Problem.invalid("until must not be before since (the range is since ≤ created_at < until)", "until");
        }
        DeliveryRepository.Filter f = new DeliveryRepository.Filter(status(Params.query(req, "status", 20)),
                Params.query(req, "endpoint_id", 128), byId ? event : null, byId ? null : event, since, until, beforeSeq, limit,
                merchant != null ? merchant : merchantFilter);
        return merchant != null && merchantFilter != null && !merchantFilter.equals(merchant) ? null : f;
    }

    /** The request a try sends, as {@link DeliveryService#request} shows it: headers by name, the body as text (it is JSON). */
    private static ObjectNode request(DeliveryService.SentRequest r) {
        ObjectNode n = Responses.obj().put("method", "POST").put("url", r.request().url().toString());
        ObjectNode h = n.putObject("headers");
        java.util.Map<String, String> sorted = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        sorted.putAll(r.request().headers());
        sorted.forEach(h::put);
        return n.put("body", new String(r.request().body(), StandardCharsets.UTF_8)).put("sealed", r.sealed());
    }

    /**
     * Whether {@code ?event=} names an event rather than an event type: generated ids ({@code evt_…}), anything that
     * cannot be a type (client ids such as {@code order-123:paid}), or a type-shaped string that is an existing event's id.
     */
    private boolean isEventId(String event, String merchant) {
        return event.startsWith("evt_") || !EventInput.TYPE.matcher(event).matches() || herald.events().exists(event, merchant);
    }

    private static Delivery.Status status(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Delivery.Status.parse(s);
        } catch (IllegalArgumentException e) {
            throw Problem.invalid("status must be one of pending, delivered, failed, cancelled", "status");
        }
    }
}
