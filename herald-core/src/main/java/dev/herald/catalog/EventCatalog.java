package dev.herald.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import dev.herald.audit.AuditContext;
import dev.herald.audit.AuditLog;
import dev.herald.audit.Target;
import dev.herald.event.EventInput;
import dev.herald.event.EventTypes;
import dev.herald.metrics.EngineMetrics;
import dev.herald.store.Jdbc;
import dev.herald.support.ConflictException;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event catalog: each type's description, version, JSON Schema of its data and example, and the check of
 * incoming events against them. The types Herald ships are seeded at start ({@link #seed()}: an operator's change is
 * kept). Every node keeps the compiled schemas and the merchants' own modes in memory and re-checks the catalog's change
 * counter at most once a second when asked, so a change through any node applies everywhere within about a second (at
 * once on the node that made it).
 */
public final class EventCatalog {
    /** Longest description. */
    public static final int MAX_DESCRIPTION = 1000;
    /** Largest schema or example, as JSON text. */
    public static final int MAX_DOCUMENT = 64 * 1024;
    private static final Duration MAX_AGE = Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger log = LoggerFactory.getLogger(EventCatalog.class);

    /** What {@code PUT /v1/event-types/{type}} sends; every field required. */
    public record Draft(String description, Integer version, JsonNode schema, JsonNode example) {}

    /** A type as stored after a put, and whether the put made it. */
    public record Put(EventType type, boolean created) {}

    /**
     * The verdict on one event: the mode that applied and what was found (empty: nothing). With {@code enforce} and
     * findings the event is refused.
     */
    public record Verdict(ValidationMode mode, List<Finding> findings) {
        public boolean refused() {
            return mode == ValidationMode.ENFORCE && !findings.isEmpty();
        }
    }

    private record Compiled(EventType type, Schema schema) {}

    private record Snapshot(Map<String, Compiled> types, Map<String, ValidationMode> merchantModes, long version, Instant checkedAt) {}

    private final Jdbc jdbc;
    private final Clock clock;
    private final AuditLog audit;
    private final ValidationMode nodeMode;
    private final EngineMetrics metrics;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile Snapshot snapshot;

    /** {@code nodeMode}: how events of merchants without a mode of their own (and events for no merchant) are checked. */
    public EventCatalog(Jdbc jdbc, Clock clock, AuditLog audit, ValidationMode nodeMode, EngineMetrics metrics) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.audit = audit;
        this.nodeMode = nodeMode;
        this.metrics = metrics;
    }

    /** The node's mode. */
    public ValidationMode nodeMode() {
        return nodeMode;
    }

    /** The types Herald ships, from its resources, as of {@code at}. */
    public static List<EventType> shipped(Instant at) {
        List<EventType> out = new ArrayList<>();
        for (String name : EventTypes.SHIPPED) {
            try (InputStream in = EventCatalog.class.getResourceAsStream(name + ".json")) {
                JsonNode n = JSON.readTree(in);
                out.add(new EventType(n.get("type").asText(), n.get("version").asInt(), n.get("description").asText(), n.get("schema"),
                        n.get("example"), n.get("operational").asBoolean(), at));
            } catch (IOException | NullPointerException e) {
                throw new IllegalStateException("the shipped catalog entry " + name + " cannot be read", e);
            }
        }
        return out;
    }

    /** Adds the shipped types the catalog lacks; returns how many. */
    public int seed() {
        Instant now = clock.instant();
        int added = jdbc.inTransaction(c -> {
            int n = 0;
            for (EventType t : shipped(now)) {
                n += CatalogRepository.insertIfAbsent(c, t) ? 1 : 0;
            }
            return n;
        });
        snapshot = null;
        current(); // compiled now, so the first event does not wait for it
        return added;
    }

    /** Every type, by name. */
    public List<EventType> list() {
        return current().types().values().stream().map(Compiled::type).toList();
    }

    /** The type named {@code type}; {@link NotFoundException} when the catalog has none. */
    public EventType get(String type) {
        Compiled c = current().types().get(type);
        if (c == null) {
            throw new NotFoundException("no event type " + type);
        }
        return c.type();
    }

    /**
     * Creates or changes {@code type} (audited as {@code event_type.create} / {@code event_type.update}). The schema must
     * be a valid catalog schema (422 naming {@code schema}) that accepts the example (422 naming {@code example}); the
     * version may only go up (409 naming {@code version}); under the same version the new schema must accept everything
     * the old one did ({@link SchemaCompat}, 409 naming {@code schema}).
     */
    public Put put(AuditContext ctx, String type, Draft d) {
        if (type == null || type.length() > EventInput.MAX_TYPE || !EventInput.TYPE.matcher(type).matches()) {
            throw new ValidationException("type", "the type must be dotted lower-case words such as account.created, at most "
                    + EventInput.MAX_TYPE + " characters");
        }
        if (d.description() == null || d.description().isBlank() || d.description().length() > MAX_DESCRIPTION) {
            throw new ValidationException("description", "description is required, 1-" + MAX_DESCRIPTION + " characters");
        }
        if (d.version() == null || d.version() < 1) {
            throw new ValidationException("version", "version is required, a whole number from 1");
        }
        if (d.schema() == null || d.schema().toString().length() > MAX_DOCUMENT) {
            throw new ValidationException("schema", "schema is required, a JSON Schema (draft 2020-12) object of at most " + MAX_DOCUMENT + " characters");
        }
        List<String> bad = SchemaRules.problems(d.schema());
        if (!bad.isEmpty()) {
            throw new ValidationException("schema", "schema is not a valid JSON Schema (draft 2020-12): " + String.join("; ", bad));
        }
        if (d.example() == null || !d.example().isObject() || d.example().toString().length() > MAX_DOCUMENT) {
            throw new ValidationException("example", "example is required, a data object of at most " + MAX_DOCUMENT + " characters");
        }
        List<Finding> wrong = SchemaRules.check(SchemaRules.compile(d.schema()), d.example());
        if (!wrong.isEmpty()) {
            throw new ValidationException("example", "the example does not match the schema: "
                    + String.join("; ", wrong.stream().map(f -> f.detail() + " (" + f.rule() + ")").toList()));
        }
        Put put = jdbc.inTransaction(c -> {
            Optional<EventType> old = CatalogRepository.find(c, type, true);
            if (old.isPresent()) {
                EventType o = old.get();
                if (d.version() < o.version()) {
                    throw new ConflictException("version", "version may only go up: " + type + " is at version " + o.version());
                }
                if (d.version() == o.version()) {
                    List<String> breaks = SchemaCompat.breaks(o.schema(), d.schema());
                    if (!breaks.isEmpty()) {
                        throw new ConflictException("schema", "under the same version " + o.version() + " the schema may only accept more;"
                                + " this change could refuse events accepted before (" + String.join("; ", breaks) + "): send version "
                                + (o.version() + 1));
                    }
                }
            }
            EventType t = new EventType(type, d.version(), d.description(), d.schema(), d.example(), old.map(EventType::operational).orElse(false),
                    clock.instant());
            CatalogRepository.upsert(c, t);
            audit.append(c, ctx, old.isPresent() ? "event_type.update" : "event_type.create", new Target("event_type", type, null),
                    old.orElse(null), t);
            return new Put(t, old.isEmpty());
        });
        snapshot = null;
        return put;
    }

    /**
     * Sets the schema-validation mode of merchant {@code merchantId} (null: the node's), audited as
     * {@code merchant.update}; {@link NotFoundException} when there is no such merchant.
     */
    public void setMerchantMode(AuditContext ctx, String merchantId, ValidationMode mode) {
        jdbc.inTransaction(c -> {
            Optional<ValidationMode> before = CatalogRepository.merchantMode(c, merchantId, true)
                    .orElseThrow(() -> new NotFoundException("no merchant " + merchantId));
            if (before.orElse(null) == mode) {
                return null;
            }
            CatalogRepository.setMerchantMode(c, merchantId, mode);
            audit.append(c, ctx, "merchant.update", Target.merchant(merchantId), java.util.Collections.singletonMap("schema_validation", before.map(ValidationMode::wire).orElse(null)),
                    java.util.Collections.singletonMap("schema_validation", mode == null ? null : mode.wire()));
            return null;
        });
        snapshot = null;
    }

    /** The merchant's own mode, or empty when it uses the node's. */
    public Optional<ValidationMode> merchantMode(String merchantId) {
        return Optional.ofNullable(current().merchantModes().get(merchantId));
    }

    /** The mode that applies to events for {@code merchantId} (null: events for no merchant). */
    public ValidationMode modeFor(String merchantId) {
        if (merchantId == null) {
            return nodeMode;
        }
        return current().merchantModes().getOrDefault(merchantId, nodeMode);
    }

    /**
     * Checks each event of {@code batch} against its type's schema, in the mode of the merchant it targets; counts what
     * it finds on {@code herald_schema_warnings_total{rule}} (accepted) or {@code herald_schema_refused_total{rule}}.
     * Reads only the parsed data: what is stored and sent is untouched.
     */
    public List<Verdict> check(List<EventInput> batch) {
        Snapshot s = null;
        List<Verdict> out = new ArrayList<>(batch.size());
        for (EventInput in : batch) {
            ValidationMode mode = nodeMode;
            if (in.targetMerchant() != null || nodeMode != ValidationMode.OFF) {
                s = s == null ? current() : s;
                mode = in.targetMerchant() == null ? nodeMode : s.merchantModes().getOrDefault(in.targetMerchant(), nodeMode);
            }
            if (mode == ValidationMode.OFF) {
                out.add(new Verdict(mode, List.of()));
                continue;
            }
            Compiled t = s.types().get(in.type());
            List<Finding> found = t == null
                    ? List.of(new Finding("event", Finding.UNKNOWN_TYPE, "the catalog has no event type " + in.type()
                            + " (a misspelled type? GET /v1/event-types lists them; an operator adds one with PUT /v1/event-types/" + in.type() + ")"))
                    : SchemaRules.check(t.schema(), in.data());
            for (Finding f : found) {
                metrics.schemaFinding(SchemaRules.label(f.rule()), mode == ValidationMode.ENFORCE);
            }
            out.add(new Verdict(mode, found));
        }
        return out;
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        if (s != null && now.isBefore(s.checkedAt().plus(MAX_AGE))) {
            return s;
        }
        if (s == null) {
            refreshing.lock();
        } else if (!refreshing.tryLock()) {
            return s;
        }
        try {
            Snapshot latest = snapshot;
            if (latest != null && now.isBefore(latest.checkedAt().plus(MAX_AGE))) {
                return latest;
            }
            try {
                snapshot = load(latest, now);
            } catch (RuntimeException e) {
                if (latest == null) {
                    throw e;
                }
                log.warn("could not re-check the event catalog ({}); using the one read at {}", e.getMessage(), latest.checkedAt());
                snapshot = new Snapshot(latest.types(), latest.merchantModes(), latest.version(), now);
            }
            return snapshot;
        } finally {
            refreshing.unlock();
        }
    }

    private Snapshot load(Snapshot previous, Instant now) {
        return jdbc.read(c -> {
            long version = CatalogRepository.version(c);
            if (previous != null && previous.version() == version) {
                return new Snapshot(previous.types(), previous.merchantModes(), version, now);
            }
            Map<String, Compiled> types = new LinkedHashMap<>();
            Map<String, Compiled> old = previous == null ? Map.of() : previous.types();
            for (EventType t : CatalogRepository.all(c)) {
                Compiled before = old.get(t.type());
                // a schema that did not change keeps its compiled form
                types.put(t.type(), before != null && before.type().schema().equals(t.schema()) ? new Compiled(t, before.schema())
                        : new Compiled(t, SchemaRules.compile(t.schema())));
            }
            return new Snapshot(types, Map.copyOf(new HashMap<>(CatalogRepository.merchantModes(c))), version, now);
        });
    }

    /** {@code s} as a JSON tree (for tests and tools that hold a schema as text). */
    public static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
