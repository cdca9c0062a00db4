package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Herald;
import dev.herald.stats.LatencyHistogram;
import dev.herald.stats.MinuteStats;
import dev.herald.stats.StatsRepository;
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
 * {@code GET /v1/stats?window=15m|1h|3h}: per minute (from every node's minute stats, {@link MinuteStats}: latencies
 * read from bucketed histograms, so to within a bucket's width), attempts ({@code delivered}: answered 2xx, {@code failed}: not), attempt latency and publish → receive
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
                for (StatsRepository.Minute m : herald.stats().read(c, from, merchant == null ? MinuteStats.ALL : merchant)) {
                    int i = (int) Duration.between(from, m.minute()).toMinutes();
                    if (i >= 0 && i < n) {
                        minutes[i].put("attempts", m.attempts()).put("attempts_ok", m.acknowledged()).put("delivered", m.acknowledged())
                                .put("failed", m.attempts() - m.acknowledged());
                        ms(minutes[i], "attempt_p50_ms", LatencyHistogram.quantile(m.attemptMillis(), 0.5));
                        ms(minutes[i], "attempt_p99_ms", LatencyHistogram.quantile(m.attemptMillis(), 0.99));
                        ms(minutes[i], "receive_p50_ms", LatencyHistogram.quantile(m.receiveMillis(), 0.5));
                        ms(minutes[i], "receive_p99_ms", LatencyHistogram.quantile(m.receiveMillis(), 0.99));
                    }
                }
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

    private static void ms(ObjectNode n, String field, Double v) {
        if (v == null) {
            n.putNull(field);
        } else {
            n.put(field, Math.round(v * 10) / 10.0);
        }
    }
}
