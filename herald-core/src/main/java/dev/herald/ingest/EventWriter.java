package dev.herald.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.delivery.DeliveryRepository;
import dev.herald.delivery.DeliveryRepository.NewDelivery;
import dev.herald.delivery.DeliveryTask;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRegistry;
import dev.herald.event.EventInput;
import dev.herald.event.EventRepository;
import dev.herald.event.StoredEvent;
import dev.herald.support.Ids;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes one event and its fan-out (one delivery per subscribed endpoint) inside the caller's transaction.
 * The wire body is serialised here, once; every attempt sends these exact bytes.
 */
public final class EventWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventRepository events;
    private final DeliveryRepository deliveries;
    private final EndpointRegistry endpoints;
    private final String nodeId;

    public EventWriter(EventRepository events, DeliveryRepository deliveries, EndpointRegistry endpoints, String nodeId) {
        this.events = events;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.nodeId = nodeId;
    }

    /** What happened to one submitted event. {@code tasks} are the fresh deliveries to hand to the dispatcher after commit. */
    public record Written(StoredEvent event, boolean duplicate, int deliveryCount, List<DeliveryTask> tasks) {}

    /** Stores {@code in} unless its id or idempotency key is known, and creates its deliveries; only {@code onlyEndpoint} if non-null. */
    public Written write(Connection c, EventInput in, Instant now, Endpoint onlyEndpoint) throws SQLException {
        String id = in.id() != null ? in.id() : Ids.next("evt");
        Instant occurred = in.timestamp() != null ? in.timestamp() : now.truncatedTo(ChronoUnit.SECONDS);
        String traceId = in.traceId() != null ? in.traceId() : randomTraceId();
        StoredEvent event = new StoredEvent(0, null, id, in.type(), in.accountUuid(), occurred, now, body(id, in, occurred),
                in.idempotencyKey(), in.priority(), traceId, in.targetMerchant());
        if (!events.insertIfAbsent(c, event)) {
            StoredEvent existing = events.findByIdOrKey(c, id, in.idempotencyKey()).orElseThrow(
                    () -> new IllegalStateException("event " + id + " conflicted but cannot be read"));
            return new Written(existing, true, deliveries.countForEvent(c, existing.id()), List.of());
        }
        List<Endpoint> targets = onlyEndpoint != null ? List.of(onlyEndpoint) : endpoints.matching(in.type(), in.targetMerchant());
        List<NewDelivery> rows = new ArrayList<>(targets.size());
        List<DeliveryTask> tasks = new ArrayList<>(targets.size());
        for (Endpoint e : targets) {
            NewDelivery d = new NewDelivery(Ids.next("dlv"), id, e.id());
            rows.add(d);
            tasks.add(new DeliveryTask(d.id(), id, e.id(), in.type(), event.payload(), traceId, in.priority(), 0, 0));
        }
        deliveries.insertClaimed(c, rows, nodeId, now);
        return new Written(event, false, rows.size(), tasks);
    }

    /** The wire body: {@code {"id","event","timestamp","account_uuid","data"}} in that order. */
    static byte[] body(String id, EventInput in, Instant occurred) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeStringField("event", in.type());
            g.writeStringField("timestamp", DateTimeFormatter.ISO_INSTANT.format(occurred));
            g.writeStringField("account_uuid", in.accountUuid());
            g.writeFieldName("data");
            if (in.data() == null) {
                g.writeStartObject();
                g.writeEndObject();
            } else {
                JSON.writeTree(g, in.data());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String randomTraceId() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
