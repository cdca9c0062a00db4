package dev.herald.delivery;

import dev.herald.audit.AuditContext;
import dev.herald.audit.AuditLog;
import dev.herald.audit.Target;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.event.EventInput;
import dev.herald.event.EventTypes;
import dev.herald.store.Jdbc;
import dev.herald.support.ConflictException;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/** Reads the delivery log and performs the operator's actions on it: resend, recover, test. */
public final class DeliveryService {
    private final Jdbc jdbc;
    private final DeliveryRepository deliveries;
    private final EndpointService endpoints;
    private final EventWriter writer;
    private final Dispatcher dispatcher;
    private final Clock clock;
    private final AuditLog audit;
    private final WebhookRequests requests;

    /** The operator's actions are recorded in {@code audit}, in the transaction that performs them. */
    public DeliveryService(Jdbc jdbc, DeliveryRepository deliveries, EndpointService endpoints, EventWriter writer, Dispatcher dispatcher, Clock clock,
                           AuditLog audit, WebhookRequests requests) {
        this.requests = requests;
        this.jdbc = jdbc;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.writer = writer;
        this.dispatcher = dispatcher;
        this.clock = clock;
        this.audit = audit;
    }

    /** What a recover did, as the audit log records it. */
    private record Recovered(Instant since, int recovered) {}

    /** What a test sent, as the audit log records it. */
    private record Tested(String deliveryId) {}

    /** A delivery with every attempt, oldest first. */
    public record Detail(Delivery delivery, List<Attempt> attempts) {}

    /** A delivery with its attempts; one to another merchant's endpoint (when {@code merchant} is not null) is not found. */
    public Detail get(String id, String merchant) {
        return jdbc.read(c -> {
            Delivery d = orNotFound(deliveries.find(c, id, merchant), id);
            return new Detail(d, deliveries.attempts(c, id, d.partDay()));
        });
    }

    /**
     * The request a try of the delivery sends ({@link WebhookRequests#shown}: custom header values masked, per-try values
     * named as such); empty when its endpoint is gone. {@code sealed} says the body goes out sealed with the endpoint's
     * payload key (the clear body is shown).
     */
    public record SentRequest(dev.herald.http.OutboundRequest request, boolean sealed) {}

    /** The request of delivery {@code id}; one to another merchant's endpoint (when {@code merchant} is not null) is not found. */
    public java.util.Optional<SentRequest> request(String id, String merchant) {
        record Read(Delivery delivery, byte[] body) {}
        Read r = jdbc.read(c -> {
            Delivery d = orNotFound(deliveries.find(c, id, merchant), id);
            return new Read(d, deliveries.payload(c, d));
        });
        EndpointRepository.Stored ep;
        try {
            ep = endpoints.get(r.delivery().endpointId());
        } catch (NotFoundException gone) {
            return java.util.Optional.empty();
        }
        Delivery d = r.delivery();
        return java.util.Optional.of(new SentRequest(requests.shown(ep.endpoint(), d.eventId(), d.eventType(), d.id(), r.body()), ep.endpoint().sealed()));
    }

    private static Delivery orNotFound(java.util.Optional<Delivery> found, String id) {
        return found.orElseThrow(() -> new NotFoundException("no delivery " + id));
    }

    public List<Delivery> list(DeliveryRepository.Filter filter) {
        return jdbc.read(c -> deliveries.list(c, filter));
    }

    /**
     * A delivery as the audit records it: its state, not its place in the global sequence (a merchant reads its own
     * entries, and the sequence counts every merchant's deliveries).
     */
    private record Audited(String id, String eventId, String endpointId, String status, int attempts, Instant nextAttemptAt,
                           Instant lastAttemptAt, Integer lastStatusCode, Instant completedAt) {
        static Audited of(Delivery d) {
            return new Audited(d.id(), d.eventId(), d.endpointId(), d.status().wire(), d.attempts(), d.nextAttemptAt(), d.lastAttemptAt(),
                    d.lastStatusCode(), d.completedAt());
        }
    }

    /** Sends a delivery again (same webhook-id and delivery id) with a fresh retry budget; of {@code merchant}'s endpoints only when not null. */
    public Delivery resend(AuditContext ctx, String id, String merchant) {
        Instant now = clock.instant();
        Delivery d = jdbc.inTransaction(c -> {
            Delivery found = orNotFound(deliveries.find(c, id, merchant), id);
            if (found.status() == Delivery.Status.CANCELLED) {
                throw new ConflictException("delivery " + id + " was cancelled (its endpoint was deleted) and cannot be resent");
            }
            if (!deliveries.resend(c, id, found.partDay(), now)) {
                throw new ConflictException("delivery " + id + " is being sent right now; try again when this attempt ends");
            }
            Delivery after = deliveries.find(c, id).orElseThrow();
            audit.append(c, ctx, "delivery.resend", Target.delivery(id, found.merchantId()), Audited.of(found), Audited.of(after));
            return after;
        });
        dispatcher.wake();
        return d;
    }

    /** The most deliveries one {@link #resendAll} may send again. */
    public static final int MAX_BULK_RESEND = 1000;

    /**
     * What a bulk resend did: how many deliveries the filter selected, which of them were sent again, and for a page
     * ({@link #resendPage}) the position below which the next page starts (null: there is none).
     */
    public record BulkResent(int matched, List<String> resent, Long nextBeforeSeq) {
        public BulkResent(int matched, List<String> resent) {
            this(matched, resent, null);
        }
    }

    /**
     * Sends every delivery {@code filter} selects again (as {@link #resend}, each with a fresh retry budget and an audit
     * entry {@code delivery.bulk_resend}), in one transaction. Cancelled deliveries and those being sent right now are
     * left as they are. A filter that selects more than {@code max} (at most {@link #MAX_BULK_RESEND}) deliveries sends
     * none and is refused, so an operator narrows it rather than resending a surprise.
     *
     * @throws ValidationException (field {@code limit}) when the filter selects more than {@code max}
     */
    public BulkResent resendAll(AuditContext ctx, DeliveryRepository.Filter filter, int max) {
        return resend(ctx, filter, max, false);
    }

    /**
     * One page of a bulk resend that goes on: as {@link #resendAll}, of the newest {@code max} (at most
     * {@link #MAX_BULK_RESEND}) deliveries {@code filter} selects below its {@code beforeSeq}; when more match, the answer's
     * {@code nextBeforeSeq} is where the next page starts. Paging by position, a page's resends (which change a
     * delivery's status, not its position) never move deliveries in or out of the pages still to come.
     */
    public BulkResent resendPage(AuditContext ctx, DeliveryRepository.Filter filter, int max) {
        return resend(ctx, filter, max, true);
    }

    private BulkResent resend(AuditContext ctx, DeliveryRepository.Filter filter, int max, boolean page) {
        Instant now = clock.instant();
        int bound = Math.min(max, MAX_BULK_RESEND);
        DeliveryRepository.Filter f = new DeliveryRepository.Filter(filter.status(), filter.endpointId(), filter.eventId(), filter.eventType(),
                filter.since(), filter.until(), filter.beforeSeq(), bound + 1, filter.merchantId());
        BulkResent done = jdbc.inTransaction(c -> {
            List<Delivery> found = deliveries.list(c, f);
            if (found.size() > bound && !page) {
                throw new ValidationException("limit", "the filter selects more than " + bound + " deliveries; narrow it (status, endpoint_id,"
                        + " event, since, until) or raise limit (at most " + MAX_BULK_RESEND + ")");
            }
            List<Delivery> selected = found.subList(0, Math.min(bound, found.size()));
            List<String> resent = new java.util.ArrayList<>();
            for (Delivery d : selected) {
                if (d.status() == Delivery.Status.CANCELLED || !deliveries.resend(c, d.id(), d.partDay(), now)) {
                    continue;
                }
                Delivery after = deliveries.find(c, d.id()).orElseThrow();
                audit.append(c, ctx, "delivery.bulk_resend", Target.delivery(d.id(), d.merchantId()), Audited.of(d), Audited.of(after));
                resent.add(d.id());
            }
            return new BulkResent(selected.size(), List.copyOf(resent), found.size() > bound ? selected.getLast().seq() : null);
        });
        if (!done.resent().isEmpty()) {
            dispatcher.wake();
        }
        return done;
    }

    /** Resends every delivery of the endpoint that failed at or after {@code since}; returns how many. */
    public int recover(AuditContext ctx, String endpointId, Instant since) {
        EndpointRepository.Stored ep = endpoints.get(endpointId);
        int n = jdbc.inTransaction(c -> {
            int recovered = deliveries.recoverFailed(c, endpointId, since, clock.instant());
            audit.append(c, ctx, "endpoint.recover", Target.endpoint(endpointId, ep.endpoint().merchantId()), null,
                    new Recovered(since, recovered));
            return recovered;
        });
        dispatcher.wake();
        return n;
    }

    /** Sends a {@code webhook.test} event to one endpoint now and returns the attempt (recorded, not retried). */
    public Dispatcher.TestResult test(AuditContext ctx, String endpointId) {
        EndpointRepository.Stored ep = endpoints.get(endpointId);
        Instant now = clock.instant();
        var data = JsonNodeFactory.instance.objectNode()
                .put("endpoint_id", endpointId)
                .put("message", "This is a test event from Herald.");
        EventInput in = new EventInput(null, EventTypes.WEBHOOK_TEST, now, null, data, null, 9, null, ep.endpoint().merchantId());
        EventWriter.Written w = jdbc.inTransaction(c -> {
            EventWriter.Written written = writer.write(c, in, now, ep.endpoint());
            audit.append(c, ctx, "endpoint.test", Target.endpoint(endpointId, ep.endpoint().merchantId()), null,
                    new Tested(written.tasks().getFirst().deliveryId()));
            return written;
        });
        return dispatcher.sendNow(w.tasks().getFirst(), ep);
    }
}
