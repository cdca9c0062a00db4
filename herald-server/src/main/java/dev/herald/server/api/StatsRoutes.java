package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.store.Jdbc;
import dev.herald.web.Params;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * {@code GET /v1/stats?window=15m|1h|3h}: per minute, attempts ({@code delivered}: answered 2xx, {@code failed}: not), attempt latency and publish → receive
 * latency (p50, p99); now, the pending backlog and its oldest delivery, failing endpoints and open circuit breakers. A
 * merchant's key sees its own merchant's numbers, an admin key everyone's.
 */
final class StatsRoutes implements HttpService {
    private static final Map<String, Duration> WINDOWS = Map.of("15m", Duration.ofMinutes(15), "1h", Duration.ofHours(1), "3h", Duration.ofHours(3));
    private static final String MERCHANT = " and (?::text is null or ep.merchant_id = ?)";

    private final Herald herald;
    private final Jdbc jdbc;
    private final Clock clock;

    StatsRoutes(Herald herald, Jdbc jdbc, Clock clock) {
        this.herald = herald;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/v1/stats", (req, res) -> {
            String merchant = Access.of(req).reader();
            String w = Params.query(req, "window", 5);
            Duration window = WINDOWS.get(w == null ? "1h" : w);
            if (window == null) {
                throw Problem.invalid("window must be one of 15m, 1h, 3h", "window");
            }
            Instant now = clock.instant();
            Instant from = now.truncatedTo(ChronoUnit.MINUTES).minus(window).plus(Duration.ofMinutes(1));
            Responses.json(res, 200, jdbc.read(c -> {
                ObjectNode out = Responses.obj().put("window", w == null ? "1h" : w).put("from", from.toString()).put("now", now.toString());
                int n = (int) window.toMinutes();
                ObjectNode[] minutes = new ObjectNode[n];
                for (int i = 0; i < n; i++) {
                    minutes[i] = Responses.obj().put("minute", from.plus(Duration.ofMinutes(i)).toString()).put("attempts", 0).put("attempts_ok", 0)
                            .put("delivered", 0).put("failed", 0).putNull("attempt_p50_ms").putNull("attempt_p99_ms")
                            .putNull("receive_p50_ms").putNull("receive_p99_ms");
                }
                Jdbc.query(c, "select date_trunc('minute', a.started_at) as m, count(*) as total,"
                        + " count(*) filter (where a.error_class is null and a.status_code between 200 and 299) as ok,"
                        + " percentile_cont(0.5) within group (order by a.duration_ms) as p50, percentile_cont(0.99) within group (order by a.duration_ms) as p99,"
                        + " percentile_cont(0.5) within group (order by extract(epoch from a.started_at - ev.received_at) * 1000 + a.duration_ms)"
                        + "   filter (where a.error_class is null and a.status_code between 200 and 299) as r50,"
                        + " percentile_cont(0.99) within group (order by extract(epoch from a.started_at - ev.received_at) * 1000 + a.duration_ms)"
                        + "   filter (where a.error_class is null and a.status_code between 200 and 299) as r99"
                        + " from attempts a join deliveries d on d.id = a.delivery_id and d.part_day = a.part_day join endpoints ep on ep.id = d.endpoint_id"
                        + " join events ev on ev.seq = d.event_seq and ev.part_day = d.part_day"
                        + " where a.started_at >= ?" + MERCHANT + " group by 1", ps -> {
                    ps.setTimestamp(1, Jdbc.ts(from));
                    ps.setString(2, merchant);
                    ps.setString(3, merchant);
                }, rs -> {
                    int i = (int) Duration.between(from, Jdbc.instant(rs, "m")).toMinutes();
                    if (i >= 0 && i < n) {
                        minutes[i].put("attempts", rs.getLong("total")).put("attempts_ok", rs.getLong("ok")).put("delivered", rs.getLong("ok"))
                                .put("failed", rs.getLong("total") - rs.getLong("ok"));
                        ms(minutes[i], "attempt_p50_ms", rs, "p50");
                        ms(minutes[i], "attempt_p99_ms", rs, "p99");
                        ms(minutes[i], "receive_p50_ms", rs, "r50");
                        ms(minutes[i], "receive_p99_ms", rs, "r99");
                    }
                    return null;
                });
                ArrayNode list = out.putArray("minutes");
                for (ObjectNode m : minutes) {
                    list.add(m);
                }
                Jdbc.query(c, "select count(*) as n, min(d.created_at) as oldest from deliveries d join endpoints ep on ep.id = d.endpoint_id"
                        + " where d.status = 'pending'" + MERCHANT, ps -> {
                    ps.setString(1, merchant);
                    ps.setString(2, merchant);
                }, rs -> {
                    Instant oldest = Jdbc.instant(rs, "oldest");
                    out.putObject("pending").put("count", rs.getLong("n"))
                            .put("oldest_age_seconds", oldest == null ? null : Math.max(0, Duration.between(oldest, now).toSeconds()));
                    return null;
                });
                ArrayNode failing = out.putArray("failing_endpoints");
                ArrayNode open = out.putArray("open_breakers");
                Jdbc.query(c, "select ep.id, ep.name, ep.consecutive_failures from endpoints ep where ep.deleted_at is null and ep.consecutive_failures > 0"
                        + MERCHANT + " order by ep.consecutive_failures desc, ep.id limit 100", ps -> {
                    ps.setString(1, merchant);
                    ps.setString(2, merchant);
                }, rs -> {
                    String id = rs.getString("id");
                    failing.addObject().put("id", id).put("name", rs.getString("name")).put("consecutive_failures", rs.getInt("consecutive_failures"));
                    herald.dispatcher().circuit(id).filter(x -> !x.state().equals("closed")).ifPresent(x -> open.add(id));
                    return null;
                });
                return out;
            }));
        });
    }

    private static void ms(ObjectNode n, String field, java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        double v = rs.getDouble(column);
        if (rs.wasNull()) {
            n.putNull(field);
        } else {
            n.put(field, Math.round(v * 10) / 10.0);
        }
    }
}
