package dev.herald.delivery;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.delivery.DeliveryRepository.NewDelivery;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointRegistry;
import dev.herald.event.EventInput;
import dev.herald.event.EventRepository;
import dev.herald.event.StoredEvent;
import dev.herald.support.ConflictException;
import dev.herald.support.ForbiddenException;
import dev.herald.support.Ids;
import dev.herald.support.PartDays;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private final NodeLiveness liveness;
    private volatile Room room = (endpointId, alreadyTaken) -> true;

    /**
     * Whether this node's dispatcher has room in memory for one more fresh delivery of an endpoint, beyond
     * {@code alreadyTaken} of the same batch. A delivery it has no room for is stored unclaimed for the due-scanner, so
     * it is not first stored claimed and then handed back (a second write of the row) when it does not fit.
     */
    public interface Room {
        boolean takes(String endpointId, int alreadyTaken);
    }

    /** Fresh deliveries are claimed for this node's hot path only when it leases their endpoint's partition. */
    public EventWriter(EventRepository events, DeliveryRepository deliveries, EndpointRegistry endpoints, String nodeId, NodeLiveness liveness) {
        this.events = events;
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.nodeId = nodeId;
        this.liveness = liveness;
    }

    /** Asks {@code room} before claiming a fresh delivery for this node's hot path (by default: always). */
    public void admitBy(Room room) {
        this.room = room;
    }

    /** What happened to one submitted event. {@code tasks} are the fresh deliveries to hand to the dispatcher after commit. */
    public record Written(StoredEvent event, boolean duplicate, int deliveryCount, List<DeliveryTask> tasks) {}

    /** Stores {@code in} unless its id or idempotency key is known, and creates its deliveries; only {@code onlyEndpoint} if non-null. */
    public Written write(Connection c, EventInput in, Instant now, Endpoint onlyEndpoint) throws SQLException {
        return writeAll(c, List.of(prepare(in, now)), now, onlyEndpoint).getFirst();
    }

    /**
     * The event as it will be stored — its id, wire body and fingerprint — made on the caller's thread, so the group
     * committer's one thread only writes. {@code now} is its receive time (and its timestamp when the producer gave none).
     */
    public static StoredEvent prepare(EventInput in, Instant now) {
        String id = in.id() != null ? in.id() : Ids.next("evt");
        Instant occurred = in.timestamp() != null ? in.timestamp() : now.truncatedTo(ChronoUnit.SECONDS);
        return new StoredEvent(0, null, id, in.type(), in.accountUuid(), occurred, now, body(id, in, occurred),
                in.idempotencyKey(), in.priority(), in.traceId() != null ? in.traceId() : randomTraceId(), in.targetMerchant(),
                in.orderingKey() != null ? in.orderingKey() : in.accountUuid(), in.fingerprint());
    }

    /**
     * Stores a batch of {@link #prepare prepared} events in order (deliveries created at {@code now}) with one insert for the events and one for the deliveries. An event whose id or
     * idempotency key is already known in its scope — in the database or earlier in the batch — is answered with the
     * stored one when it is the same request (same fingerprint), and refused with a {@link ConflictException} naming
     * {@code id} or {@code idempotency_key} when it is a different one.
     */
    public List<Written> writeAll(Connection c, List<StoredEvent> candidates, Instant now, Endpoint onlyEndpoint) throws SQLException {
        // The registry must be current before fan-out: the events insert reads the endpoint change counter in its own
        // statement (no round trip of its own); a registry found behind is reloaded and the merchants' refusals checked
        // again, and one that would refuse is caught up first so a merchant unblocked elsewhere is not refused.
        if (onlyEndpoint == null && refusesAny(candidates)) {
            endpoints.catchUp(c);
            refuse(candidates);
        }
        EventRepository.Inserted written = events.insertAll(c, candidates);
        if (onlyEndpoint == null) {
            boolean reloaded = written.seqs().isEmpty() ? catchUpAlways(c) : endpoints.catchUp(c, written.endpointChanges());
            if (reloaded) {
                refuse(candidates);
            }
        }
        Map<EventRepository.Key, Long> inserted = written.seqs();
        Written[] out = new Written[candidates.size()];
        long[] seqs = new long[candidates.size()];
        List<NewDelivery> rows = new ArrayList<>();
        List<List<Endpoint>> targetsOf = new ArrayList<>(candidates.size());
        List<String> fifoEndpoints = new ArrayList<>();
        List<String> fifoKeys = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            StoredEvent e = candidates.get(i);
            Long seq = inserted.remove(new EventRepository.Key(e.scope(), e.id()));
            List<Endpoint> targets = seq == null ? null
                    : onlyEndpoint != null ? List.of(onlyEndpoint) : endpoints.matching(e.type(), e.targetMerchant());
            targetsOf.add(targets); // null: a duplicate, answered below once the batch's deliveries exist
            seqs[i] = seq == null ? -1 : seq;
            for (Endpoint t : targets == null ? List.<Endpoint>of() : targets) {
                if (t.fifo() && e.orderingKey() != null) {
                    fifoEndpoints.add(t.id());
                    fifoKeys.add(e.orderingKey());
                }
            }
        }
        // A FIFO key with an older delivery waiting in the database must not overtake it: leave the new one to the scanner.
        Set<List<String>> waiting = fifoKeys.isEmpty() ? Set.of() : deliveries.waitingKeys(c, fifoEndpoints, fifoKeys);
        Map<String, Integer> taken = new java.util.HashMap<>();
        for (int i = 0; i < candidates.size(); i++) {
            StoredEvent e = candidates.get(i);
            List<Endpoint> targets = targetsOf.get(i);
            if (targets == null) {
                continue;
            }
            List<DeliveryTask> tasks = new ArrayList<>(targets.size());
            for (Endpoint target : targets) {
                boolean held = target.fifo() && e.orderingKey() != null && waiting.contains(List.of(target.id(), e.orderingKey()));
                boolean local = !held && (onlyEndpoint != null
                        || (target.active() && endpoints.receiving(target.merchantId()) && liveness.owns(target.partition())
                        && (target.fifo() || room.takes(target.id(), taken.getOrDefault(target.id(), 0)))));
                if (local) {
                    taken.merge(target.id(), 1, Integer::sum);
                }
                // the id carries the event's receipt time, so it names the day partition the delivery shares with its event;
                // only a FIFO endpoint's deliveries carry the ordering key: the others stay out of the FIFO index
                NewDelivery d = new NewDelivery(Ids.next("dlv", e.receivedAt().toEpochMilli()), seqs[i], target.id(), target.fifo() ? e.orderingKey() : null,
                        e.priority(), local, PartDays.of(e.receivedAt()));
                rows.add(d);
                if (local) {
                    tasks.add(new DeliveryTask(d.id(), e.id(), target.id(), e.type(), e.payload(), e.traceId(), e.priority(), 0, 0, d.orderingKey(),
                            e.receivedAt(), e.traceparent(), d.partDay()));
                }
            }
            out[i] = new Written(e, false, targets.size(), tasks);
        }
        deliveries.insert(c, rows, nodeId, now);
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                StoredEvent e = candidates.get(i);
                StoredEvent existing = events.findByIdOrKey(c, e.scope(), e.id(), e.idempotencyKey()).orElseThrow(
                        () -> new IllegalStateException("event " + e.id() + " conflicted but cannot be read"));
                if (existing.fingerprint() != null && !Arrays.equals(existing.fingerprint(), e.fingerprint())) {
                    throw conflict(existing, e);
                }
                out[i] = new Written(existing, true, deliveries.countForEvent(c, existing.seq(), PartDays.of(existing.receivedAt())), List.of());
            }
        }
        return List.of(out);
    }

    private boolean refusesAny(List<StoredEvent> candidates) {
        for (StoredEvent e : candidates) {
            if (endpoints.refusesNew(e.targetMerchant())) {
                return true;
            }
        }
        return false;
    }

    private void refuse(List<StoredEvent> candidates) {
        for (StoredEvent e : candidates) {
            if (endpoints.refusesNew(e.targetMerchant())) {
                throw new ForbiddenException("merchant_id", "merchant " + e.targetMerchant() + " does not receive new events");
            }
        }
    }

    /** Only duplicates: no counter came back, so read it (a blocked merchant's duplicate is refused like its new event). */
    private boolean catchUpAlways(Connection c) throws SQLException {
        endpoints.catchUp(c);
        return true;
    }

    private static ConflictException conflict(StoredEvent existing, StoredEvent attempted) {
        boolean byId = existing.id().equals(attempted.id());
        return byId
                ? new ConflictException("id", "event id " + attempted.id() + " was already used for a different event (type or payload differ)")
                : new ConflictException("idempotency_key", "idempotency key " + attempted.idempotencyKey()
                        + " was already used for a different request (type or payload differ); use a new key for a new request");
    }

    /**
     * The wire body: {@code {"id","event","timestamp","account_uuid","data"}} in that order. With the producer's bytes
     * of {@code data} at hand they go in as posted; otherwise {@code data} is serialised from the parsed tree.
     */
    static byte[] body(String id, EventInput in, Instant occurred) {
        if (in.rawData() != null) {
            return rawBody(id, in, occurred);
        }
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

    /** As {@link #body}, the envelope written as Jackson writes it (same escaping), then the producer's {@code data} bytes. */
    private static byte[] rawBody(String id, EventInput in, Instant occurred) {
        byte[] data = in.rawData();
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 160);
        out.writeBytes(ID_FIELD);
        quoted(out, id);
        out.writeBytes(EVENT_FIELD);
        quoted(out, in.type());
        out.writeBytes(TIMESTAMP_FIELD);
        quoted(out, DateTimeFormatter.ISO_INSTANT.format(occurred));
        out.writeBytes(ACCOUNT_FIELD);
        if (in.accountUuid() == null) {
            out.writeBytes(NULL);
        } else {
            quoted(out, in.accountUuid());
        }
        out.writeBytes(DATA_FIELD);
        out.writeBytes(data);
        out.write('}');
        return out.toByteArray();
    }

    private static final byte[] ID_FIELD = "{\"id\":".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EVENT_FIELD = ",\"event\":".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TIMESTAMP_FIELD = ",\"timestamp\":".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ACCOUNT_FIELD = ",\"account_uuid\":".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DATA_FIELD = ",\"data\":".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NULL = "null".getBytes(StandardCharsets.UTF_8);

    private static void quoted(ByteArrayOutputStream out, String s) {
        out.write('"');
        out.writeBytes(JsonStringEncoder.getInstance().quoteAsUTF8(s));
        out.write('"');
    }

    private static String randomTraceId() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
