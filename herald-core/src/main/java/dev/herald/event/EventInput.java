package dev.herald.event;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.support.ValidationException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An event as a producer submits it. {@code id} and {@code timestamp} may be null (Herald assigns them);
 * {@code data} is the event's payload object; {@code orderingKey} (default: the account) groups events that FIFO
 * endpoints receive strictly in order; {@code targetMerchant} (null: every subscriber) is also the scope in which the
 * id and the idempotency key are unique. {@code rawData}, when not null, is the producer's own UTF-8 bytes of
 * {@code data} (the same JSON object as posted), which the stored body then carries as they are.
 */
public record EventInput(
        String id,
        String type,
        Instant timestamp,
        String accountUuid,
        ObjectNode data,
        String idempotencyKey,
        int priority,
        String traceId,
        String targetMerchant,
        String orderingKey,
        byte[] rawData) {

    /** An event whose {@code data} is stored as Herald serialises it. */
    public EventInput(String id, String type, Instant timestamp, String accountUuid, ObjectNode data, String idempotencyKey,
                      int priority, String traceId, String targetMerchant, String orderingKey) {
        this(id, type, timestamp, accountUuid, data, idempotencyKey, priority, traceId, targetMerchant, orderingKey, null);
    }

    /** Longest event type. */
    public static final int MAX_TYPE = 200;
    /** Longest client-supplied id, merchant id and account. */
    public static final int MAX_ID = 128;
    /** Longest idempotency key and ordering key (well inside PostgreSQL's index row limit, in any UTF-8). */
    public static final int MAX_KEY = 255;

    /** Event types are dotted lower-case words, e.g. {@code account.created}. */
    public static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1," + MAX_ID + "}");
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An event without an explicit ordering key (FIFO endpoints then order by {@code accountUuid}). */
    public EventInput(String id, String type, Instant timestamp, String accountUuid, ObjectNode data, String idempotencyKey,
                      int priority, String traceId, String targetMerchant) {
        this(id, type, timestamp, accountUuid, data, idempotencyKey, priority, traceId, targetMerchant, null);
    }

    /**
     * Checks every rule of a stored event up front, so no value ever reaches the database that it would refuse;
     * {@code prefix} goes before field names ("[3]." for the fourth event of a batch).
     */
    public void validate(String prefix) {
        if (type == null) {
            throw new ValidationException(prefix + "event", "event is required (the event type, e.g. account.created)");
        }
        if (type.length() > MAX_TYPE || !TYPE.matcher(type).matches()) {
            throw new ValidationException(prefix + "event", "event must be a dotted lower-case type such as account.created, at most "
                    + MAX_TYPE + " characters");
        }
        if (id != null && !ID.matcher(id).matches()) {
            throw new ValidationException(prefix + "id", "id must be 1-" + MAX_ID + " characters of letters, digits and _-:.");
        }
        if (idempotencyKey != null && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_KEY)) {
            throw new ValidationException(prefix + "idempotency_key", "idempotency key must be 1-" + MAX_KEY + " characters");
        }
        if (priority < 0 || priority > 9) {
            throw new ValidationException(prefix + "priority", "priority must be between 0 and 9");
        }
        if (accountUuid != null && accountUuid.length() > MAX_ID) {
            throw new ValidationException(prefix + "account_uuid", "account_uuid must be at most " + MAX_ID + " characters");
        }
        if (orderingKey != null && (orderingKey.isEmpty() || orderingKey.length() > MAX_KEY)) {
            throw new ValidationException(prefix + "ordering_key", "ordering_key must be 1-" + MAX_KEY + " characters");
        }
        if (traceId != null && !TRACE_ID.matcher(traceId).matches()) {
            throw new ValidationException(prefix + "trace_id", "trace_id must be 32 lower-case hex digits");
        }
        if (targetMerchant != null && !ID.matcher(targetMerchant).matches()) {
            throw new ValidationException(prefix + "merchant_id", "merchant_id must be 1-" + MAX_ID + " characters of letters, digits and _-:.");
        }
    }

    /**
     * SHA-256 of what the producer asked for — type, account, data, ordering key, priority, and the id and timestamp
     * when it gave them — in a canonical form (object keys sorted), so a retry of the same request matches whatever its
     * key order or trace, and a different request under the same idempotency key or id does not.
     */
    public byte[] fingerprint() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (JsonGenerator g = JSON.createGenerator(new DigestOutputStream(OutputStream.nullOutputStream(), sha))) {
            g.writeStartObject();
            g.writeStringField("account_uuid", accountUuid);
            g.writeFieldName("data");
            canonical(g, data);
            g.writeStringField("event", type);
            g.writeStringField("id", id);
            g.writeStringField("ordering_key", orderingKey);
            g.writeNumberField("priority", priority);
            g.writeStringField("timestamp", timestamp == null ? null : timestamp.toString());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sha.digest();
    }

    private static void canonical(JsonGenerator g, JsonNode n) throws IOException {
        if (n == null || n.isNull()) {
            g.writeNull();
        } else if (n.isObject()) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            names.sort(null);
            g.writeStartObject();
            for (String name : names) {
                g.writeFieldName(name);
                canonical(g, n.get(name));
            }
            g.writeEndObject();
        } else if (n.isArray()) {
            g.writeStartArray();
            for (JsonNode item : n) {
                canonical(g, item);
            }
            g.writeEndArray();
        } else {
            JSON.writeTree(g, n);
        }
    }
}
