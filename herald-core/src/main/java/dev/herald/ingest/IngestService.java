package dev.herald.ingest;

import dev.herald.delivery.DeliveryTask;
import dev.herald.delivery.Dispatcher;
import dev.herald.endpoint.EventPatterns;
import dev.herald.event.EventInput;
import dev.herald.store.Jdbc;
import dev.herald.support.ValidationException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Accepts events: validates them, commits each batch with its deliveries in one transaction, and only then
 * hands the fresh deliveries to the dispatcher. A caller that got an answer can rely on the events being durable.
 */
public final class IngestService {
    public static final int MAX_BATCH = 1000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

    private final Jdbc jdbc;
    private final EventWriter writer;
    private final Dispatcher dispatcher;
    private final Clock clock;

    public IngestService(Jdbc jdbc, EventWriter writer, Dispatcher dispatcher, Clock clock) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.dispatcher = dispatcher;
        this.clock = clock;
    }

    /** Result per submitted event, in request order. */
    public record Accepted(String id, boolean duplicate, int deliveries) {}

    /** Validates and durably stores {@code batch}; all or nothing. */
    public List<Accepted> ingest(List<EventInput> batch) {
        if (batch.isEmpty()) {
            throw new ValidationException("", "at least one event is required");
        }
        if (batch.size() > MAX_BATCH) {
            throw new ValidationException("", "at most " + MAX_BATCH + " events per request");
        }
        for (int i = 0; i < batch.size(); i++) {
            validate(batch.get(i), batch.size() == 1 ? "" : "[" + i + "].");
        }
        Instant now = clock.instant();
        List<DeliveryTask> fresh = new ArrayList<>();
        List<Accepted> out = jdbc.inTransaction(c -> {
            List<Accepted> results = new ArrayList<>(batch.size());
            for (EventInput in : batch) {
                EventWriter.Written w = writer.write(c, in, now, null);
                fresh.addAll(w.tasks());
                results.add(new Accepted(w.event().id(), w.duplicate(), w.deliveryCount()));
            }
            return results;
        });
        dispatcher.submit(fresh);
        return out;
    }

    static void validate(EventInput in, String prefix) {
        if (in.type() == null) {
            throw new ValidationException(prefix + "event", "event is required (the event type, e.g. account.created)");
        }
        if (in.type().length() > 200 || !EventPatterns.EVENT_TYPE.matcher(in.type()).matches()) {
            throw new ValidationException(prefix + "event", "event must be a dotted lower-case type such as account.created");
        }
        if (in.id() != null && !ID.matcher(in.id()).matches()) {
            throw new ValidationException(prefix + "id", "id must be 1-128 characters of letters, digits and _-:.");
        }
        if (in.idempotencyKey() != null && (in.idempotencyKey().isEmpty() || in.idempotencyKey().length() > 255)) {
            throw new ValidationException(prefix + "idempotency_key", "idempotency key must be 1-255 characters");
        }
        if (in.priority() < 0 || in.priority() > 9) {
            throw new ValidationException(prefix + "priority", "priority must be between 0 and 9");
        }
        if (in.accountUuid() != null && in.accountUuid().length() > 128) {
            throw new ValidationException(prefix + "account_uuid", "account_uuid must be at most 128 characters");
        }
        if (in.traceId() != null && !TRACE_ID.matcher(in.traceId()).matches()) {
            throw new ValidationException(prefix + "trace_id", "trace_id must be 32 lower-case hex digits");
        }
        if (in.targetMerchant() != null && (in.targetMerchant().isEmpty() || in.targetMerchant().length() > 128)) {
            throw new ValidationException(prefix + "merchant_id", "merchant_id must be 1-128 characters");
        }
    }
}
