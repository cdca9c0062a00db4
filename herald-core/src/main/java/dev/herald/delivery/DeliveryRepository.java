package dev.herald.delivery;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.intOrNull;
import static dev.herald.store.Jdbc.ts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.delivery.Delivery.Status;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import dev.herald.support.PartDays;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQL for {@code deliveries} and {@code attempts}. A pending delivery is either claimed by a node
 * ({@code claimed_by}, held in that node's memory) or unclaimed and waiting for {@code next_attempt_at}.
 * Both tables live in day partitions shared with the delivery's event ({@code part_day}, V21): a statement about one
 * delivery names its {@code part_day} (from its id, see {@link PartDays#ofId}, or from the task that holds it), so it
 * reads one partition; a join to the event matches {@code part_day} too.
 */
public final class DeliveryRepository {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "d.seq, d.id, ev.id as event_id, ev.type as event_type, d.endpoint_id, ep.merchant_id, d.status, d.attempts,"
            + " d.next_attempt_at,"
            + " d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at, d.completed_at";
    private static final String JOINED = " from deliveries d join events ev on ev.seq = d.event_seq and ev.part_day = d.part_day"
            + " join endpoints ep on ep.id = d.endpoint_id";

    /**
     * A delivery to create. A claimed one belongs to the creating node's hot path at birth; an unclaimed one waits for
     * the scanner (a FIFO key whose older delivery is still pending). {@code orderingKey} is set only for a FIFO endpoint.
     */
    public record NewDelivery(String id, long eventSeq, String endpointId, String orderingKey, int priority, boolean claimed, LocalDate partDay) {}

    /**
     * The end of one try: the delivery's next state ({@code next} is set only for pending), the try as an attempts row
     * would hold it, and {@code partDay}, the delivery's partition.
     */
    public record TryResult(String deliveryId, Status status, Instant next, Integer statusCode, String error, Attempt attempt, LocalDate partDay) {
        /** The result of a try of a delivery in the partition its id names. */
        public TryResult(String deliveryId, Status status, Instant next, Integer statusCode, String error, Attempt attempt) {
            this(deliveryId, status, next, statusCode, error, attempt, PartDays.ofId(deliveryId));
        }
    }

    /**
     * Filters for listing; null fields do not filter ({@code eventId} matches the event id in every scope; {@code eventType}
     * is a type or a pattern, see {@link dev.herald.event.TypeFilter};
     * {@code merchantId} keeps the deliveries to that merchant's endpoints; {@code since} and {@code until} bound the
     * creation time, {@code since} included, {@code until} not).
     */
    public record Filter(Status status, String endpointId, String eventId, String eventType, Instant since, Instant until, Long beforeSeq,
                         int limit, String merchantId) {
        /** A filter of every merchant's deliveries, without an end. */
        public Filter(Status status, String endpointId, String eventId, String eventType, Instant since, Long beforeSeq, int limit) {
            this(status, endpointId, eventId, eventType, since, null, beforeSeq, limit, null);
        }
    }

    public void insert(Connection c, Collection<NewDelivery> rows, String nodeId, Instant now) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("insert into deliveries (id, event_seq, endpoint_id, status, next_attempt_at, claimed_by,"
                + " created_at, updated_at, ordering_key, priority, part_day) values (?,?,?,'pending',?,?,?,?,?,?,?)")) {
            for (NewDelivery d : rows) {
                ps.setString(1, d.id());
                ps.setLong(2, d.eventSeq());
                ps.setString(3, d.endpointId());
                ps.setTimestamp(4, ts(now));
                ps.setString(5, d.claimed() ? nodeId : null);
                ps.setTimestamp(6, ts(now));
                ps.setTimestamp(7, ts(now));
                ps.setString(8, d.orderingKey());
                ps.setShort(9, (short) d.priority());
                ps.setObject(10, d.partDay());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Claims up to {@code limit} due, unclaimed deliveries of active endpoints for {@code nodeId}, oldest due first,
     * skipping rows another transaction holds and endpoints in {@code skipEndpoints}. Endpoint by endpoint: each live
     * endpoint of {@code partitions} (those this node leases, of merchants that receive now: active, and listed in
     * allow-list mode) with due work gives at most its fair part of {@code limit} and never more than {@code perEndpoint},
     * so one endpoint's backlog neither crowds out the others nor makes the claim read it. For a FIFO endpoint only a
     * key's oldest pending delivery is claimable, so a key never overtakes itself. {@code more} is true when an endpoint
     * gave all of its part, so it may have more due work than this claim took.
     */
    public Claimed claimDue(Connection c, String nodeId, Instant now, int limit, int perEndpoint, Collection<String> skipEndpoints,
                                       Collection<Integer> partitions, boolean allowListMode) throws SQLException {
        // "has due work" is a lateral probe of the ready index that stops at its first row: written as exists, the planner
        // turns it into a semi-join whose bitmap scan reads every ready row of the endpoint (~4x slower under a backlog)
        String sql = "with ready as (select e.id, e.ordering from endpoints e cross join lateral (select 1 from deliveries d"
                + " where d.endpoint_id = e.id and d.status = 'pending' and d.claimed_by is null and d.next_attempt_at <= ?"
                + " order by d.next_attempt_at limit 1) due_now"
                + " where e.is_active and e.deleted_at is null and not (e.id = any (?)) and e.partition = any (?)"
                + " and (e.merchant_id is null or not exists (select 1 from merchants m where m.id = e.merchant_id"
                + " and (m.status <> 'active' or (? and not m.listed))))"
                + " and (not ? or e.merchant_id is null or exists (select 1 from merchants m where m.id = e.merchant_id and m.listed))),"
                + " n as (select count(*) as n from ready),"
                + " due as (select d.id, d.part_day from ready r cross join n cross join lateral (select d.id, d.part_day, d.next_attempt_at"
                + " from deliveries d where d.endpoint_id = r.id and d.status = 'pending' and d.claimed_by is null and d.next_attempt_at <= ?"
                + " and (r.ordering <> 'fifo' or d.ordering_key is null or not exists (select 1 from deliveries h where h.endpoint_id = d.endpoint_id"
                + " and h.ordering_key = d.ordering_key and h.status = 'pending' and h.seq < d.seq))"
                + " order by d.next_attempt_at limit least(?, (? + n.n - 1) / n.n) for update of d skip locked) d"
                + " order by d.next_attempt_at limit ?),"
                + " claimed as (update deliveries d set claimed_by = ? from due where d.id = due.id and d.part_day = due.part_day"
                + " returning d.id, d.event_seq, d.endpoint_id, d.attempts, d.round_attempts, d.ordering_key, d.part_day)"
                + " select cl.*, ev.id as event_id, ev.type, ev.payload, ev.trace_id, ev.traceparent, ev.priority, ev.received_at,"
                + " (select n from n) as ready_endpoints from claimed cl join events ev on ev.seq = cl.event_seq and ev.part_day = cl.part_day";
        long[] ready = {0};
        List<DeliveryTask> tasks = Jdbc.query(c, sql, ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setArray(2, Jdbc.textArray(c, List.copyOf(skipEndpoints)));
            ps.setArray(3, c.createArrayOf("int4", partitions.toArray()));
            ps.setBoolean(4, allowListMode);
            ps.setBoolean(5, allowListMode);
            ps.setTimestamp(6, ts(now));
            ps.setInt(7, perEndpoint);
            ps.setInt(8, limit);
            ps.setInt(9, limit);
            ps.setString(10, nodeId);
        }, rs -> {
            ready[0] = rs.getLong("ready_endpoints");
            return new DeliveryTask(rs.getString("id"), rs.getString("event_id"), rs.getString("endpoint_id"), rs.getString("type"),
                    rs.getBytes("payload"), rs.getString("trace_id"), rs.getShort("priority"), rs.getInt("attempts"), rs.getInt("round_attempts"),
                    rs.getString("ordering_key"), rs.getTimestamp("received_at").toInstant(), rs.getString("traceparent"),
                    rs.getObject("part_day", LocalDate.class));
        });
        if (tasks.isEmpty()) {
            return new Claimed(tasks, false);
        }
        long part = Math.min(perEndpoint, (limit + ready[0] - 1) / ready[0]);
        Map<String, Integer> perEndpointClaimed = new java.util.HashMap<>();
        tasks.forEach(t -> perEndpointClaimed.merge(t.endpointId(), 1, Integer::sum));
        return new Claimed(tasks, perEndpointClaimed.values().stream().anyMatch(n -> n >= part));
    }

    /** What one {@link #claimDue} took, and whether an endpoint may have more due work than it gave. */
    public record Claimed(List<DeliveryTask> tasks, boolean more) {}

    /** The (endpoint, ordering key) pairs among {@code pairs} that have a pending delivery nobody holds in memory. */
    public java.util.Set<java.util.List<String>> waitingKeys(Connection c, List<String> endpointIds, List<String> keys) throws SQLException {
        java.util.Set<java.util.List<String>> out = new java.util.HashSet<>();
        Jdbc.query(c, "select distinct d.endpoint_id, d.ordering_key from deliveries d join unnest(?::text[], ?::text[]) as p(endpoint_id, ordering_key)"
                + " on d.endpoint_id = p.endpoint_id and d.ordering_key = p.ordering_key where d.status = 'pending' and d.claimed_by is null", ps -> {
            ps.setArray(1, Jdbc.textArray(c, endpointIds));
            ps.setArray(2, Jdbc.textArray(c, keys));
        }, rs -> out.add(List.of(rs.getString(1), rs.getString(2))));
        return out;
    }

    /** Hands deliveries that {@code nodeId} claimed back (e.g. their endpoint was paused) so any node may pick them up when due. */
    public void release(Connection c, Collection<String> ids, String nodeId) throws SQLException {
        Jdbc.update(c, "update deliveries set claimed_by = null where id = any (?) and status = 'pending' and claimed_by = ?", ps -> {
            ps.setArray(1, Jdbc.textArray(c, List.copyOf(ids)));
            ps.setString(2, nodeId);
        });
    }

    /** Inserts many attempt rows in one round trip, each in the partition of its delivery (in the id's, where not given). */
    public void insertAttempts(Connection c, List<Attempt> rows) throws SQLException {
        insertAttempts(c, rows, rows.stream().map(a -> PartDays.ofId(a.deliveryId())).toList());
    }

    /** Inserts many attempt rows in one round trip; {@code partDays.get(i)} is the partition of row i's delivery. */
    public void insertAttempts(Connection c, List<Attempt> rows, List<LocalDate> partDays) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into attempts (delivery_id, attempt_no, started_at, duration_ms, status_code,"
                + " error_class, error_message, response_excerpt, response_headers, part_day) values (?,?,?,?,?,?,?,?,?::jsonb,?)")) {
            for (int i = 0; i < rows.size(); i++) {
                Attempt a = rows.get(i);
                ps.setString(1, a.deliveryId());
                ps.setInt(2, a.attemptNo());
                ps.setTimestamp(3, ts(a.startedAt()));
                ps.setInt(4, a.durationMs());
                ps.setObject(5, a.statusCode());
                ps.setString(6, a.errorClass());
                ps.setString(7, a.errorMessage());
                ps.setString(8, a.responseExcerpt());
                ps.setString(9, json(a.responseHeaders()));
                ps.setObject(10, partDays.get(i));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** What {@link #finishTries} did: the deliveries whose try is kept in their row, and each changed endpoint's streak. */
    public record Finished(java.util.Set<String> inRow, Map<String, Integer> streaks) {}

    /**
     * Records the end of many tries in one statement: new state, counters advanced, claims released, and the endpoints'
     * failure streaks advanced ({@code streaks}: reset by a success, then more failures; an endpoint whose streak is and
     * stays 0 is not written). Only deliveries still claimed by {@code nodeId} change, so a late result cannot overwrite
     * the work of a node that took over. A delivery's first recorded try, when it succeeded, is kept in the delivery's
     * row. Every other try of {@code rows} (a failure, a later try, or one whose claim was lost) must be inserted as an
     * attempts row by the caller, in the same transaction.
     */
    public Finished finishTries(Connection c, List<TryResult> rows, List<dev.herald.endpoint.EndpointRepository.StreakChange> streaks,
                                String nodeId, Instant now) throws SQLException {
        Map<LocalDate, List<TryResult>> byDay = new java.util.LinkedHashMap<>();
        for (TryResult r : rows) {
            byDay.computeIfAbsent(r.partDay(), d -> new ArrayList<>()).add(r);
        }
        java.util.Set<String> inRow = new java.util.HashSet<>();
        Map<String, Integer> current = new java.util.HashMap<>();
        List<dev.herald.endpoint.EndpointRepository.StreakChange> pending = streaks;
        for (Map.Entry<LocalDate, List<TryResult>> day : byDay.entrySet()) { // nearly always one: today's
            Finished f = finishTries(c, day.getValue(), day.getKey(), pending, nodeId, now);
            inRow.addAll(f.inRow());
            current.putAll(f.streaks());
            pending = List.of(); // the streaks advance once per batch
        }
        return new Finished(inRow, current);
    }

    private Finished finishTries(Connection c, List<TryResult> rows, LocalDate partDay, List<dev.herald.endpoint.EndpointRepository.StreakChange> streaks,
                                 String nodeId, Instant now) throws SQLException {
        int n = rows.size();
        String[] ids = new String[n];
        String[] statuses = new String[n];
        java.sql.Timestamp[] next = new java.sql.Timestamp[n];
        Integer[] codes = new Integer[n];
        String[] errors = new String[n];
        java.sql.Timestamp[] started = new java.sql.Timestamp[n];
        Integer[] durations = new Integer[n];
        String[] excerpts = new String[n];
        String[] headers = new String[n];
        for (int i = 0; i < n; i++) {
            TryResult r = rows.get(i);
            ids[i] = r.deliveryId();
            statuses[i] = r.status().wire();
            next[i] = ts(r.next());
            codes[i] = r.statusCode();
            errors[i] = r.error();
            started[i] = ts(r.attempt().startedAt());
            durations[i] = r.attempt().durationMs();
            excerpts[i] = r.attempt().responseExcerpt();
            headers[i] = json(r.attempt().responseHeaders());
        }
        // In the row: this try succeeded and no try was recorded before it.
        String inRow = "(v.status = 'delivered' and d.attempts = 0)";
        java.util.Set<String> kept = new java.util.HashSet<>();
        Map<String, Integer> current = new java.util.HashMap<>();
        Jdbc.query(c, "with streaks as (update endpoints e set consecutive_failures = case when s.reset then s.failures"
                + " else e.consecutive_failures + s.failures end from unnest(?::text[], ?::boolean[], ?::int[]) as s(id, reset, failures)"
                + " where e.id = s.id and (s.failures > 0 or e.consecutive_failures <> 0) returning e.id, e.consecutive_failures),"
                + " finished as (update deliveries d set status = v.status, attempts = d.attempts + 1, round_attempts = d.round_attempts + 1,"
                + " next_attempt_at = coalesce(v.next, d.next_attempt_at), claimed_by = null, last_attempt_at = ?, last_status_code = v.code,"
                + " last_error = v.err, updated_at = ?, completed_at = case when v.status = 'pending' then null else ?::timestamptz end,"
                + " first_try_started_at = case when " + inRow + " then v.started else d.first_try_started_at end,"
                + " first_try_duration_ms = case when " + inRow + " then v.duration else d.first_try_duration_ms end,"
                + " first_try_status_code = case when " + inRow + " then v.code else d.first_try_status_code end,"
                + " first_try_response_excerpt = case when " + inRow + " then v.excerpt else d.first_try_response_excerpt end,"
                + " first_try_response_headers = case when " + inRow + " then v.headers::jsonb else d.first_try_response_headers end"
                + " from unnest(?::text[], ?::text[], ?::timestamptz[], ?::int[], ?::text[], ?::timestamptz[], ?::int[], ?::text[], ?::text[])"
                + " as v(id, status, next, code, err, started, duration, excerpt, headers)"
                + " where d.part_day = ? and d.id = v.id and d.claimed_by = ?"
                // after the update: one try recorded, and it is the one in the row
                + " returning d.id, d.attempts = 1 and d.first_try_started_at is not null as in_row)"
                + " select id, in_row, null::int from finished union all select id, null, consecutive_failures from streaks", ps -> {
            ps.setArray(1, c.createArrayOf("text", streaks.stream().map(s -> s.endpointId()).toArray()));
            ps.setArray(2, c.createArrayOf("bool", streaks.stream().map(s -> s.reset()).toArray()));
            ps.setArray(3, c.createArrayOf("int4", streaks.stream().map(s -> s.failures()).toArray()));
            ps.setTimestamp(4, ts(now));
            ps.setTimestamp(5, ts(now));
            ps.setTimestamp(6, ts(now));
            ps.setArray(7, c.createArrayOf("text", ids));
            ps.setArray(8, c.createArrayOf("text", statuses));
            ps.setArray(9, c.createArrayOf("timestamptz", next));
            ps.setArray(10, c.createArrayOf("int4", codes));
            ps.setArray(11, c.createArrayOf("text", errors));
            ps.setArray(12, c.createArrayOf("timestamptz", started));
            ps.setArray(13, c.createArrayOf("int4", durations));
            ps.setArray(14, c.createArrayOf("text", excerpts));
            ps.setArray(15, c.createArrayOf("text", headers));
            ps.setObject(16, partDay);
            ps.setString(17, nodeId);
        }, rs -> {
            int streak = rs.getInt(3);
            if (!rs.wasNull()) {
                current.put(rs.getString(1), streak);
            } else if (rs.getBoolean(2)) {
                kept.add(rs.getString(1));
            }
            return null;
        });
        return new Finished(kept, current);
    }

    /**
     * The delivery with {@code id}, read from the one partition its id names. Rows from before V21 may sit a day off (their
     * id and their event's receipt time were taken apart), so a miss looks in the day on either side (three partitions).
     */
    public Optional<Delivery> find(Connection c, String id) throws SQLException {
        return find(c, id, null);
    }

    /**
     * As {@link #find(Connection, String)}, of {@code merchant}'s endpoints only when it is not null. The merchant is part
     * of each statement, so another merchant's delivery runs the same statements as a missing one (no timing tells them
     * apart).
     */
    public Optional<Delivery> find(Connection c, String id, String merchant) throws SQLException {
        LocalDate day = PartDays.ofId(id);
        if (day == null) {
            return Optional.empty();
        }
        Optional<Delivery> found = findIn(c, id, day, day, merchant);
        return found.isPresent() ? found : findIn(c, id, day.minusDays(1), day.plusDays(1), merchant);
    }

    private Optional<Delivery> findIn(Connection c, String id, LocalDate from, LocalDate to, String merchant) throws SQLException {
        return Jdbc.query(c, "select " + COLUMNS + ", d.part_day" + JOINED + " where d.id = ? and d.part_day between ? and ?"
                + " and (?::text is null or ep.merchant_id = ?)", ps -> {
            ps.setString(1, id);
            ps.setObject(2, from);
            ps.setObject(3, to);
            ps.setString(4, merchant);
            ps.setString(5, merchant);
        }, DeliveryRepository::map).stream().findFirst();
    }

    /** Newest first; page with {@code beforeSeq} = the last row's seq. */
    public List<Delivery> list(Connection c, Filter f) throws SQLException {
        StringBuilder sql = new StringBuilder("select " + COLUMNS + ", d.part_day" + JOINED + " where true");
        List<Object> args = new ArrayList<>();
        if (f.status() != null) { sql.append(" and d.status = ?"); args.add(f.status().wire()); }
        if (f.endpointId() != null) { sql.append(" and d.endpoint_id = ?"); args.add(f.endpointId()); }
        if (f.merchantId() != null) { sql.append(" and ep.merchant_id = ?"); args.add(f.merchantId()); }
        if (f.eventId() != null) { sql.append(" and ev.id = ?"); args.add(f.eventId()); }
        dev.herald.event.TypeFilter type = dev.herald.event.TypeFilter.of(f.eventType());
        if (type.exact() != null) { sql.append(" and ev.type = ?"); args.add(type.exact()); }
        if (type.prefix() != null) { sql.append(" and starts_with(ev.type, ?)"); args.add(type.prefix()); }
        if (f.since() != null) { sql.append(" and d.created_at >= ?"); args.add(ts(f.since())); }
        if (f.until() != null) { sql.append(" and d.created_at < ?"); args.add(ts(f.until())); }
        if (f.beforeSeq() != null) { sql.append(" and d.seq < ?"); args.add(f.beforeSeq()); }
        sql.append(" order by d.seq desc limit ?");
        args.add(f.limit());
        return Jdbc.query(c, sql.toString(), ps -> {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
        }, DeliveryRepository::map);
    }

    /**
     * Every recorded try of a delivery: the attempts rows in the order they were recorded, and a first try kept in the
     * delivery's row (see {@link #finishTries}) as attempt 1, placed before the rows of tries that did not start before it;
     * {@code partDay} is the delivery's partition ({@link Delivery#partDay()}).
     */
    public List<Attempt> attempts(Connection c, String deliveryId, LocalDate partDay) throws SQLException {
        List<Attempt> out = new ArrayList<>(Jdbc.query(c, "select * from attempts where delivery_id = ? and part_day = ? order by id", ps -> {
                    ps.setString(1, deliveryId);
                    ps.setObject(2, partDay);
                },
                rs -> new Attempt(rs.getString("delivery_id"), rs.getInt("attempt_no"), instant(rs, "started_at"), rs.getInt("duration_ms"),
                        intOrNull(rs, "status_code"), rs.getString("error_class"), rs.getString("error_message"), rs.getString("response_excerpt"),
                        headers(rs.getString("response_headers")))));
        List<Attempt> first = Jdbc.query(c, "select first_try_started_at, first_try_duration_ms, first_try_status_code, first_try_response_excerpt,"
                + " first_try_response_headers from deliveries where id = ? and part_day = ? and first_try_started_at is not null", ps -> {
                    ps.setString(1, deliveryId);
                    ps.setObject(2, partDay);
                },
                rs -> new Attempt(deliveryId, 1, instant(rs, "first_try_started_at"), rs.getInt("first_try_duration_ms"),
                        intOrNull(rs, "first_try_status_code"), null, null, rs.getString("first_try_response_excerpt"),
                        headers(rs.getString("first_try_response_headers"))));
        if (!first.isEmpty()) {
            Attempt a = first.getFirst();
            int at = 0;
            while (at < out.size() && out.get(at).startedAt().isBefore(a.startedAt())) {
                at++;
            }
            out.add(at, a);
        }
        return out;
    }

    /** The stored event (the body Herald sends, before any sealing) of delivery {@code d}. */
    public byte[] payload(Connection c, Delivery d) throws SQLException {
        return Jdbc.query(c, "select ev.payload from deliveries d join events ev on ev.seq = d.event_seq and ev.part_day = d.part_day"
                + " where d.id = ? and d.part_day = ?", ps -> {
                    ps.setString(1, d.id());
                    ps.setObject(2, d.partDay());
                }, rs -> rs.getBytes(1)).stream().findFirst().orElseThrow(() -> new IllegalStateException("delivery " + d.id() + " has no event"));
    }

    /** How many deliveries the event {@code eventSeq} of partition {@code partDay} has. */
    public int countForEvent(Connection c, long eventSeq, LocalDate partDay) throws SQLException {
        return Jdbc.query(c, "select count(*) from deliveries where event_seq = ? and part_day = ?", ps -> {
            ps.setLong(1, eventSeq);
            ps.setObject(2, partDay);
        }, rs -> rs.getInt(1)).getFirst();
    }

    /** Makes a delivery due now with a fresh retry budget; a claimed (in-flight) delivery is left alone. True when changed. */
    public boolean resend(Connection c, String id, LocalDate partDay, Instant now) throws SQLException {
        return Jdbc.update(c, "update deliveries set status='pending', round_attempts=0, next_attempt_at=?, completed_at=null, updated_at=?"
                + " where id=? and part_day=? and status <> 'cancelled' and claimed_by is null", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setTimestamp(2, ts(now));
            ps.setString(3, id);
            ps.setObject(4, partDay);
        }) == 1;
    }

    /** Resends every delivery of the endpoint that failed at or after {@code since}; returns how many. */
    public int recoverFailed(Connection c, String endpointId, Instant since, Instant now) throws SQLException {
        return Jdbc.update(c, "update deliveries set status='pending', round_attempts=0, next_attempt_at=?, completed_at=null, updated_at=?"
                + " where endpoint_id=? and status='failed' and completed_at >= ?", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setTimestamp(2, ts(now));
            ps.setString(3, endpointId);
            ps.setTimestamp(4, ts(since));
        });
    }

    /** Makes every waiting delivery of the endpoint due now (used when an endpoint is re-enabled). */
    public int resumeEndpoint(Connection c, String endpointId, Instant now) throws SQLException {
        return Jdbc.update(c, "update deliveries set next_attempt_at=? where endpoint_id=? and status='pending' and next_attempt_at > ?", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setString(2, endpointId);
            ps.setTimestamp(3, ts(now));
        });
    }

    /**
     * Gives the endpoint's pending deliveries that have no ordering key their event's (deliveries carry one only while
     * their endpoint is FIFO); used when the endpoint becomes FIFO. Returns how many.
     */
    public int adoptOrderingKeys(Connection c, String endpointId) throws SQLException {
        return Jdbc.update(c, "update deliveries d set ordering_key = ev.ordering_key from events ev"
                + " where d.endpoint_id = ? and d.status = 'pending' and d.ordering_key is null and ev.seq = d.event_seq and ev.ordering_key is not null",
                ps -> ps.setString(1, endpointId));
    }

    /** Cancels the endpoint's pending deliveries (the endpoint was deleted); returns how many. */
    public int cancelPending(Connection c, String endpointId, Instant now) throws SQLException {
        return Jdbc.update(c, "update deliveries set status='cancelled', claimed_by=null, completed_at=?, updated_at=? where endpoint_id=? and status='pending'", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setTimestamp(2, ts(now));
            ps.setString(3, endpointId);
        });
    }

    /** How many deliveries are pending, and when the oldest of them (by creation order) was created. */
    public record Backlog(long pending, Instant oldestCreatedAt) {}

    /** The pending backlog, from two index scans (the pending partial index, then the status index). */
    public Backlog backlog(Connection c) throws SQLException {
        return Jdbc.query(c, "select (select count(*) from deliveries where status='pending') as pending,"
                + " (select created_at from deliveries where status='pending' order by seq limit 1) as oldest", ps -> {},
                rs -> new Backlog(rs.getLong("pending"), instant(rs, "oldest"))).getFirst();
    }

    private static Delivery map(ResultSet rs) throws SQLException {
        return new Delivery(rs.getLong("seq"), rs.getString("id"), rs.getString("event_id"), rs.getString("event_type"), rs.getString("endpoint_id"),
                rs.getString("merchant_id"),
                Status.parse(rs.getString("status")), rs.getInt("attempts"), instant(rs, "next_attempt_at"), instant(rs, "last_attempt_at"),
                intOrNull(rs, "last_status_code"), rs.getString("last_error"), instant(rs, "created_at"), instant(rs, "updated_at"),
                instant(rs, "completed_at"), rs.getObject("part_day", LocalDate.class));
    }

    private static String json(Map<String, String> headers) {
        try {
            return headers == null ? null : JSON.writeValueAsString(headers);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> headers(String json) {
        try {
            return json == null ? Map.of() : JSON.readValue(json, new TypeReference<java.util.LinkedHashMap<String, String>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
