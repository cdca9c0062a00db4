package dev.herald.notification;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.delivery.DeliveryTask;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.event.EventInput;
import dev.herald.delivery.EventWriter;
import dev.herald.merchant.Merchant;
import dev.herald.merchant.MerchantService;
import dev.herald.store.Jdbc;
import dev.herald.support.ForbiddenException;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;

/**
 * Ad-hoc callbacks to a URL given per request (the {@code notify_url} of a payment API). The notification is durable
 * before anything is sent. {@code async} returns at once; {@code sync} makes the first try on the caller's thread and
 * returns the receiver's answer — a failure is already recorded and continues on the retry schedule.
 */
public final class NotificationService {
    /** How the caller waits. */
    public enum Mode { SYNC, ASYNC }

    /**
     * A notification as requested. {@code type} defaults to {@code notification.sent}; without a {@code mode} it is sent
     * synchronously when the merchant routes its type so ({@code sync_types}), else asynchronously; without a
     * {@code priority}, the merchant's default.
     */
    public record Request(String merchantId, String notifyUrl, String type, ObjectNode payload, Mode mode, Integer priority,
                          String idempotencyKey, String accountUuid) {}

    /** What the caller learns: ids, and for sync mode the first try's outcome. */
    public record Result(String eventId, String deliveryId, boolean duplicate, Dispatcher.TestResult firstTry) {}

    private final Jdbc jdbc;
    private final MerchantService merchants;
    private final EndpointService endpoints;
    private final EventWriter writer;
    private final Dispatcher dispatcher;
    private final boolean allowListMode;
    private final Clock clock;

    public NotificationService(Jdbc jdbc, MerchantService merchants, EndpointService endpoints, EventWriter writer, Dispatcher dispatcher,
                               boolean allowListMode, Clock clock) {
        this.allowListMode = allowListMode;
        this.jdbc = jdbc;
        this.merchants = merchants;
        this.endpoints = endpoints;
        this.writer = writer;
        this.dispatcher = dispatcher;
        this.clock = clock;
    }

    /**
     * Stores the notification (and, on first use of its URL, the merchant's hidden endpoint for it) in one transaction,
     * then sends it: now on the caller's thread ({@code sync}) or through the dispatcher. Every field is checked first
     * with the rules of an ingested event.
     */
    public Result notify(Request r) {
        if (r.merchantId() == null) {
            throw new ValidationException("merchant_id", "merchant_id is required");
        }
        if (r.notifyUrl() == null) {
            throw new ValidationException("notify_url", "notify_url is required");
        }
        String type = r.type() == null ? "notification.sent" : r.type();
        EventInput checked = new EventInput(null, type, null, r.accountUuid(), r.payload(), r.idempotencyKey(),
                r.priority() == null ? 0 : r.priority(), null, r.merchantId());
        checked.validate("");
        Merchant m;
        try {
            m = merchants.get(r.merchantId());
        } catch (NotFoundException e) {
            throw new ValidationException("merchant_id", "no merchant " + r.merchantId() + "; create it with PUT /v1/merchants/{id}");
        }
        if (m.policy().refusesNew(allowListMode)) {
            throw new ForbiddenException("merchant_id", "merchant " + m.id() + " does not receive new notifications");
        }
        URI url = endpoints.notifyUrl(r.notifyUrl(), m.urlRules(), "notify_url");
        EventInput in = new EventInput(null, type, null, r.accountUuid(), r.payload(), r.idempotencyKey(),
                r.priority() != null ? r.priority() : m.defaultPriority(), null, m.id());
        Mode mode = r.mode() != null ? r.mode() : m.syncTypes().contains(type) ? Mode.SYNC : Mode.ASYNC;
        Instant now = clock.instant();
        record Stored(EndpointRepository.Stored target, EventWriter.Written written) {}
        Stored s = jdbc.inTransaction(c -> {
            EndpointRepository.Stored target = endpoints.notificationTarget(c, m.id(), m.secret(), m.previousSecret(), m.previousSecretUntil(),
                    m.ack(), m.signatureSchemes(), url, now);
            return new Stored(target, writer.write(c, in, now, target.endpoint()));
        });
        endpoints.loaded(s.target().endpoint().id());
        EventWriter.Written w = s.written();
        if (w.duplicate()) {
            return new Result(w.event().id(), null, true, null);
        }
        DeliveryTask task = w.tasks().getFirst();
        if (mode == Mode.SYNC && s.target().endpoint().active() && m.policy().receiving(allowListMode)) {
            return new Result(w.event().id(), task.deliveryId(), false, dispatcher.sendSync(task, s.target()));
        }
        dispatcher.submit(w.tasks());
        return new Result(w.event().id(), task.deliveryId(), false, null);
    }
}
