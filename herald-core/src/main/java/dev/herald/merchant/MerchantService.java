package dev.herald.merchant;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import dev.herald.endpoint.AckRule;
import dev.herald.endpoint.EndpointRegistry;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.sdk.WebhookSigner;
import dev.herald.store.Jdbc;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Creates and changes merchants; a change of secret or ack rule reaches all of the merchant's notify_url targets, a
 * change of its in-flight cap all of its endpoints' lanes. A rotated secret overlaps like an endpoint's: the replaced
 * one keeps signing beside the new one for {@link EndpointService#ROTATION_OVERLAP}.
 */
public final class MerchantService {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");
    /** Highest per-merchant cap; also the migration's check. */
    public static final int MAX_IN_FLIGHT = 10_000;
    private static final int NAME_MAX = 200;

    private final Jdbc jdbc;
    private final EndpointRepository endpoints;
    private final EndpointRegistry registry;
    private final Clock clock;

    public MerchantService(Jdbc jdbc, EndpointRepository endpoints, EndpointRegistry registry, Clock clock) {
        this.jdbc = jdbc;
        this.endpoints = endpoints;
        this.registry = registry;
        this.clock = clock;
    }

    /** The result of a put: the merchant and whether it was created (its secret is shown only then). */
    public record Put(Merchant merchant, boolean created) {}

    /**
     * Creates the merchant (with a generated secret) or changes its name, ack rule and in-flight cap; null fields stay as
     * they are, and a {@code maxInFlight} of 0 returns the merchant to the node's default cap.
     */
    public Put put(String id, String name, String ack, boolean rotateSecret, Integer maxInFlight) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new ValidationException("id", "merchant id must be 1-128 characters of letters, digits and _-:.");
        }
        if (name != null && name.length() > NAME_MAX) {
            throw new ValidationException("name", "name must be at most " + NAME_MAX + " characters");
        }
        AckRule rule = ack == null ? null : AckRule.parse(ack, "ack");
        if (maxInFlight != null && (maxInFlight < 0 || maxInFlight > MAX_IN_FLIGHT)) {
            throw new ValidationException("max_in_flight", "max_in_flight must be 1-" + MAX_IN_FLIGHT + ", or 0 for the node's default");
        }
        Instant now = clock.instant();
        Put result = jdbc.inTransaction(c -> {
            Optional<Merchant> existing = find(c, id, true);
            if (existing.isEmpty()) {
                Merchant m = new Merchant(id, name == null ? "" : name, WebhookSigner.generateSecret(), null, null,
                        rule == null ? AckRule.ANY_2XX : rule, cap(maxInFlight, null), now, now);
                Jdbc.update(c, "insert into merchants (id, name, secret, ack, max_in_flight, created_at, updated_at) values (?,?,?,?,?,?,?)", ps -> {
                    ps.setString(1, m.id());
                    ps.setString(2, m.name());
                    ps.setString(3, m.secret());
                    ps.setString(4, m.ack().toString());
                    ps.setObject(5, m.maxInFlight(), java.sql.Types.INTEGER);
                    ps.setTimestamp(6, ts(now));
                    ps.setTimestamp(7, ts(now));
                });
                return new Put(m, true);
            }
            Merchant o = existing.get();
            Merchant m = rotateSecret
                    ? new Merchant(id, name == null ? o.name() : name, WebhookSigner.generateSecret(), o.secret(),
                            now.plus(EndpointService.ROTATION_OVERLAP), rule == null ? o.ack() : rule, cap(maxInFlight, o.maxInFlight()),
                            o.createdAt(), now)
                    : new Merchant(id, name == null ? o.name() : name, o.secret(), o.previousSecret(), o.previousSecretUntil(),
                            rule == null ? o.ack() : rule, cap(maxInFlight, o.maxInFlight()), o.createdAt(), now);
            Jdbc.update(c, "update merchants set name = ?, secret = ?, previous_secret = ?, previous_secret_until = ?, ack = ?,"
                    + " max_in_flight = ?, updated_at = ? where id = ?", ps -> {
                ps.setString(1, m.name());
                ps.setString(2, m.secret());
                ps.setString(3, m.previousSecret());
                ps.setTimestamp(4, ts(m.previousSecretUntil()));
                ps.setString(5, m.ack().toString());
                ps.setObject(6, m.maxInFlight(), java.sql.Types.INTEGER);
                ps.setTimestamp(7, ts(now));
                ps.setString(8, id);
            });
            endpoints.syncNotificationTargets(c, id, m.secret(), m.previousSecret(), m.previousSecretUntil(), m.ack(), now);
            return new Put(m, false);
        });
        registry.reload(); // notify_url targets' secret and ack, and the merchant's cap
        return result;
    }

    /** The cap after a put: {@code requested} if given (0 clears it), else the current one. */
    private static Integer cap(Integer requested, Integer current) {
        return requested == null ? current : requested == 0 ? null : requested;
    }

    public Merchant get(String id) {
        return jdbc.read(c -> find(c, id, false)).orElseThrow(() -> new NotFoundException("no merchant " + id));
    }

    private static Optional<Merchant> find(Connection c, String id, boolean forUpdate) throws SQLException {
        return Jdbc.query(c, "select * from merchants where id = ?" + (forUpdate ? " for update" : ""), ps -> ps.setString(1, id),
                MerchantService::map).stream().findFirst();
    }

    private static Merchant map(ResultSet rs) throws SQLException {
        return new Merchant(rs.getString("id"), rs.getString("name"), rs.getString("secret"), rs.getString("previous_secret"),
                instant(rs, "previous_secret_until"), AckRule.parse(rs.getString("ack"), "ack"), Jdbc.intOrNull(rs, "max_in_flight"),
                instant(rs, "created_at"), instant(rs, "updated_at"));
    }
}
