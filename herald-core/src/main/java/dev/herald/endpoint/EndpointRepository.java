package dev.herald.endpoint;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.http.ProxySettings;
import dev.herald.http.TlsSettings;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.seal.SealContext;
import dev.herald.seal.Vault;
import dev.herald.store.Jdbc;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQL for the {@code endpoints} table. Deleted endpoints are kept (their deliveries reference them) but never returned.
 * The secret, the previous secret and each custom header value are sealed at rest by the {@link Vault}, bound to
 * their row (and header name).
 */
public final class EndpointRepository {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TABLE = "endpoints";
    private static final String COLUMNS = "id, merchant_id, name, description, url, events, headers, secret, previous_secret, previous_secret_until,"
            + " is_active, disabled_reason, retry_attempts, retry_schedule, retry_preset, timeout_seconds, consecutive_failures, created_at, updated_at, ordering, ack, kind, rate_limit,"
            + " signature_schemes, payload_encryption, tls, tls_client_key";
    private static final String POLICY_COLUMNS = "id, max_in_flight, status, listed, url_rules::text as url_rules, tls::text as tls, tls_client_key,"
            + " proxy_url";
    private static final String READ_COLUMNS = COLUMNS + ", partition";

    private final Vault vault;

    public EndpointRepository(Vault vault) {
        this.vault = java.util.Objects.requireNonNull(vault, "vault");
    }

    /** An endpoint row with the secret being rotated out, if any. */
    public record Stored(Endpoint endpoint, String previousSecret, Instant previousSecretUntil) {}

    public void insert(Connection c, Endpoint e) throws SQLException {
        insert(c, e, null, null, "");
    }

    /**
     * Inserts the hidden endpoint of a notify_url target unless the merchant has one for that URL already (made
     * concurrently); true when this call inserted it. {@code previousSecret} signs beside the secret until {@code until}.
     */
    public boolean insertNotificationTarget(Connection c, Endpoint e, String previousSecret, Instant until) throws SQLException {
        return insert(c, e, previousSecret, until,
                " on conflict (merchant_id, url) where kind = 'notification' and deleted_at is null do nothing") == 1;
    }

    private int insert(Connection c, Endpoint e, String previousSecret, Instant until, String onConflict) throws SQLException {
        return Jdbc.update(c, "insert into endpoints (" + COLUMNS + ") values (?,?,?,?,?,?,?::jsonb,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?::jsonb,?)" + onConflict, ps -> {
            ps.setString(1, e.id());
            ps.setString(2, e.merchantId());
            ps.setString(3, e.name());
            ps.setString(4, e.description());
            ps.setString(5, e.url().toString());
            ps.setArray(6, Jdbc.textArray(c, e.events()));
            ps.setString(7, json(sealHeaders(e.id(), e.headers())));
            ps.setString(8, vault.seal(e.secret(), place("secret", e.id())));
            ps.setString(9, vault.seal(previousSecret, place("previous_secret", e.id())));
            ps.setTimestamp(10, ts(until));
            ps.setBoolean(11, e.active());
            ps.setString(12, e.disabledReason());
            ps.setInt(13, e.retryPolicy().attempts());
            ps.setArray(14, c.createArrayOf("integer", Arrays.stream(e.retryPolicy().scheduleSeconds()).boxed().toArray()));
            ps.setString(15, e.retryPolicy().preset());
            ps.setInt(16, e.timeoutSeconds());
            ps.setInt(17, e.consecutiveFailures());
            ps.setTimestamp(18, ts(e.createdAt()));
            ps.setTimestamp(19, ts(e.updatedAt()));
            ps.setString(20, e.fifo() ? "fifo" : "none");
            ps.setString(21, e.ack().toString());
            ps.setString(22, e.notification() ? "notification" : "webhook");
            ps.setObject(23, e.rateLimit());
            ps.setArray(24, Jdbc.textArray(c, e.signatureSchemes().names()));
            ps.setBoolean(25, e.sealed());
            ps.setString(26, tlsJson(e.tls()));
            ps.setString(27, vault.seal(e.tls() == null ? null : e.tls().clientKey(), place("tls_client_key", e.id())));
        });
    }

    /** Writes every mutable field of {@code e}; when the secret changed, the old one keeps signing until {@code rotationEnds}. */
    public void update(Connection c, Endpoint e, String oldSecret, Instant rotationEnds) throws SQLException {
        boolean rotated = !oldSecret.equals(e.secret());
        Jdbc.update(c, "update endpoints set merchant_id=?, name=?, description=?, url=?, events=?, headers=?::jsonb, secret=?,"
                + (rotated ? " previous_secret=?, previous_secret_until=?," : "")
                + " is_active=?, disabled_reason=?, retry_attempts=?, retry_schedule=?, retry_preset=?, timeout_seconds=?,"
                + " consecutive_failures=?, updated_at=?, ordering=?, ack=?, rate_limit=?, signature_schemes=?, payload_encryption=?,"
                + " tls=?::jsonb, tls_client_key=? where id=? and deleted_at is null", ps -> {
            int i = 1;
            ps.setString(i++, e.merchantId());
            ps.setString(i++, e.name());
            ps.setString(i++, e.description());
            ps.setString(i++, e.url().toString());
            ps.setArray(i++, Jdbc.textArray(c, e.events()));
            ps.setString(i++, json(sealHeaders(e.id(), e.headers())));
            ps.setString(i++, vault.seal(e.secret(), place("secret", e.id())));
            if (rotated) {
                ps.setString(i++, vault.seal(oldSecret, place("previous_secret", e.id())));
                ps.setTimestamp(i++, ts(rotationEnds));
            }
            ps.setBoolean(i++, e.active());
            ps.setString(i++, e.disabledReason());
            ps.setInt(i++, e.retryPolicy().attempts());
            ps.setArray(i++, c.createArrayOf("integer", Arrays.stream(e.retryPolicy().scheduleSeconds()).boxed().toArray()));
            ps.setString(i++, e.retryPolicy().preset());
            ps.setInt(i++, e.timeoutSeconds());
            ps.setInt(i++, e.consecutiveFailures());
            ps.setTimestamp(i++, ts(e.updatedAt()));
            ps.setString(i++, e.fifo() ? "fifo" : "none");
            ps.setString(i++, e.ack().toString());
            ps.setObject(i++, e.rateLimit());
            ps.setArray(i++, Jdbc.textArray(c, e.signatureSchemes().names()));
            ps.setBoolean(i++, e.sealed());
            ps.setString(i++, tlsJson(e.tls()));
            ps.setString(i++, vault.seal(e.tls() == null ? null : e.tls().clientKey(), place("tls_client_key", e.id())));
            ps.setString(i, e.id());
        });
    }

    /** The live endpoint {@code id} of either kind (what delivers needs the notify_url targets too). */
    public Optional<Stored> find(Connection c, String id, boolean forUpdate) throws SQLException {
        return Jdbc.query(c, "select " + READ_COLUMNS + " from endpoints where id=? and deleted_at is null" + (forUpdate ? " for update" : ""),
                ps -> ps.setString(1, id), this::map).stream().findFirst();
    }

    /**
     * The live webhook endpoint {@code id}, as the endpoint routes see it: a notify_url target (kind notification) is
     * internal to its merchant's settings and is not one.
     */
    public Optional<Stored> findWebhook(Connection c, String id, boolean forUpdate) throws SQLException {
        return Jdbc.query(c, "select " + READ_COLUMNS + " from endpoints where id=? and deleted_at is null and kind = 'webhook'"
                + (forUpdate ? " for update" : ""), ps -> ps.setString(1, id), this::map).stream().findFirst();
    }

    /** The URL of every live endpoint of {@code merchantId} by id, notification targets included. */
    public Map<String, String> urlsOfMerchant(Connection c, String merchantId) throws SQLException {
        Map<String, String> out = new java.util.HashMap<>();
        Jdbc.query(c, "select id, url from endpoints where merchant_id = ? and deleted_at is null", ps -> ps.setString(1, merchantId),
                rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }

    /** The ids of every live endpoint of {@code merchantId}, notification targets included. */
    public List<String> idsOfMerchant(Connection c, String merchantId) throws SQLException {
        return Jdbc.query(c, "select id from endpoints where merchant_id = ? and deleted_at is null", ps -> ps.setString(1, merchantId),
                rs -> rs.getString(1));
    }

    /**
     * Which live webhook endpoints a list shows; null fields do not filter. {@code search} is a case-insensitive
     * substring of the id, name or URL, matched literally ({@code %}, {@code _} and {@code \} are no wildcards);
     * {@code active} is the endpoint's switch; {@code failing} true keeps those whose latest tries failed (a failure
     * streak, {@code consecutive_failures > 0}, as every node records it), false those without one. Rows come in id
     * order after {@code afterId}, at most {@code limit}.
     */
    public record Filter(String merchantId, String search, Boolean active, Boolean failing, String afterId, int limit) {
        /** Every live webhook endpoint (of {@code merchantId} when not null), a page after {@code afterId}. */
        public static Filter page(String merchantId, String afterId, int limit) {
            return new Filter(merchantId, null, null, null, afterId, limit);
        }
    }

    /** Live webhook endpoints as {@code f} selects them, in id order. */
    public List<Stored> list(Connection c, Filter f) throws SQLException {
        StringBuilder sql = new StringBuilder("select " + READ_COLUMNS + " from endpoints where deleted_at is null and kind = 'webhook'");
        List<Object> args = new java.util.ArrayList<>();
        if (f.merchantId() != null) {
            sql.append(" and merchant_id = ?");
            args.add(f.merchantId());
        }
        if (f.search() != null) {
            sql.append(" and (id ilike ? escape '\\' or name ilike ? escape '\\' or url ilike ? escape '\\')");
            String pattern = "%" + likeLiteral(f.search()) + "%";
            args.add(pattern);
            args.add(pattern);
            args.add(pattern);
        }
        if (f.active() != null) {
            sql.append(" and is_active = ?");
            args.add(f.active());
        }
        if (f.failing() != null) {
            sql.append(f.failing() ? " and consecutive_failures > 0" : " and consecutive_failures = 0");
        }
        if (f.afterId() != null) {
            sql.append(" and id > ?");
            args.add(f.afterId());
        }
        sql.append(" order by id limit ?");
        args.add(f.limit());
        return Jdbc.query(c, sql.toString(), ps -> {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
        }, this::map);
    }

    /** {@code text} as a LIKE pattern that matches exactly it: the escape character, {@code %} and {@code _} escaped. */
    static String likeLiteral(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** The live notification endpoint of {@code merchantId} for {@code url}, if one was made before. */
    public Optional<Stored> findNotificationTarget(Connection c, String merchantId, String url) throws SQLException {
        return Jdbc.query(c, "select " + READ_COLUMNS + " from endpoints where kind = 'notification' and deleted_at is null and merchant_id = ? and url = ?",
                ps -> {
                    ps.setString(1, merchantId);
                    ps.setString(2, url);
                }, this::map).stream().findFirst();
    }

    /**
     * Gives every notification endpoint of a merchant its current secrets (the replaced one until {@code until}), ack
     * rule and signature schemes.
     */
    public void syncNotificationTargets(Connection c, String merchantId, String secret, String previousSecret, Instant until, AckRule ack,
                                        SignatureSchemes schemes, Instant now) throws SQLException {
        List<String> ids = Jdbc.query(c, "select id from endpoints where kind = 'notification' and merchant_id = ? and deleted_at is null"
                + " order by id for update", ps -> ps.setString(1, merchantId), rs -> rs.getString(1));
        for (String id : ids) { // each row's secrets are sealed for that row
            Jdbc.update(c, "update endpoints set secret = ?, previous_secret = ?, previous_secret_until = ?, ack = ?, signature_schemes = ?,"
                    + " updated_at = ? where id = ?", ps -> {
                ps.setString(1, vault.seal(secret, place("secret", id)));
                ps.setString(2, vault.seal(previousSecret, place("previous_secret", id)));
                ps.setTimestamp(3, ts(until));
                ps.setString(4, ack.toString());
                ps.setArray(5, Jdbc.textArray(c, schemes.names()));
                ps.setTimestamp(6, ts(now));
                ps.setString(7, id);
            });
        }
    }

    /**
     * Seals up to {@code limit} endpoints' plaintext secrets and header values written before sealing existed (deleted
     * endpoints too), skipping rows another node has locked; returns how many rows it changed.
     */
    public int sealPlaintext(Connection c, int limit) throws SQLException {
        int n = vault.sealPlaintext(c, TABLE, "secret", limit) + vault.sealPlaintext(c, TABLE, "previous_secret", limit)
                + vault.sealPlaintext(c, TABLE, "tls_client_key", limit);
        record Row(String id, Map<String, String> headers) {}
        List<Row> rows = Jdbc.query(c, "select id, headers::text from endpoints e where exists (select 1 from jsonb_each_text(e.headers) h"
                + " where h.value not like 'sealed:v1:%') order by id limit ? for update skip locked", ps -> ps.setInt(1, limit),
                rs -> new Row(rs.getString(1), headers(rs.getString(2))));
        for (Row r : rows) {
            Map<String, String> sealed = new java.util.LinkedHashMap<>();
            r.headers().forEach((name, value) -> sealed.put(name,
                    Vault.isSealed(value) ? value : vault.seal(value, place("headers." + name, r.id()))));
            Jdbc.update(c, "update endpoints set headers = ?::jsonb where id = ?", ps -> {
                ps.setString(1, json(sealed));
                ps.setString(2, r.id());
            });
        }
        return n + rows.size();
    }

    /** The payload key of {@code merchantId} (its encoded form), or null when it has none. */
    public String payloadKey(Connection c, String merchantId) throws SQLException {
        List<String> keys = Jdbc.query(c, "select payload_key from merchants where id = ? and payload_key is not null",
                ps -> ps.setString(1, merchantId), rs -> vault.open(rs.getString(1), merchantPlace("payload_key", merchantId)));
        return keys.isEmpty() ? null : keys.getFirst();
    }

    /** Every merchant's payload key (encoded), for the merchants that have one. */
    public Map<String, String> payloadKeys(Connection c) throws SQLException {
        Map<String, String> out = new java.util.HashMap<>();
        Jdbc.query(c, "select id, payload_key from merchants where payload_key is not null", ps -> {}, rs -> out.put(rs.getString(1), vault.open(rs.getString(2), merchantPlace("payload_key", rs.getString(1)))));
        return out;
    }

    /** How many endpoint changes were ever committed (V8's counter); any change of configuration moves it. */
    public long changeCount(Connection c) throws SQLException {
        return Jdbc.query(c, "select version from endpoint_changes", ps -> {}, rs -> rs.getLong(1)).getFirst();
    }

    /** Every merchant's policy (cap, status, allow-listing, URL rules; merchants are endpoints' owners). */
    public Map<String, MerchantPolicy> merchantPolicies(Connection c) throws SQLException {
        Map<String, MerchantPolicy> out = new java.util.HashMap<>();
        Jdbc.query(c, "select " + POLICY_COLUMNS + " from merchants", ps -> {},
                rs -> out.put(rs.getString("id"), policy(rs)));
        return out;
    }

    /** True when {@code merchantId} has a merchant record. */
    public boolean merchantExists(Connection c, String merchantId) throws SQLException {
        return !Jdbc.query(c, "select 1 from merchants where id = ?", ps -> ps.setString(1, merchantId), rs -> 1).isEmpty();
    }

    /** The policy of {@code merchantId} as committed now ({@link MerchantPolicy#UNREGISTERED} without a merchant record). */
    public MerchantPolicy merchantPolicy(Connection c, String merchantId) throws SQLException {
        return Jdbc.query(c, "select " + POLICY_COLUMNS + " from merchants where id = ?",
                ps -> ps.setString(1, merchantId), this::policy).stream().findFirst().orElse(MerchantPolicy.UNREGISTERED);
    }

    private MerchantPolicy policy(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String proxy = vault.open(rs.getString("proxy_url"), merchantPlace("proxy_url", id));
        return new MerchantPolicy(Jdbc.intOrNull(rs, "max_in_flight"), rs.getString("status"), rs.getBoolean("listed"),
                urlRules(rs.getString("url_rules")), tls(rs.getString("tls"), vault.open(rs.getString("tls_client_key"), merchantPlace("tls_client_key", id))),
                proxy == null ? null : new ProxySettings(proxy));
    }

    /** The {@code tls} JSON of a row (everything but the client key, which has its own column), or null for none. */
    public static String tlsJson(TlsSettings t) {
        if (t == null) {
            return null;
        }
        var n = JSON.createObjectNode().put("client_certificate", t.clientCertificate()).put("ca_certificates", t.caCertificates())
                .put("min_version", t.minVersion());
        t.pinnedSpkiSha256().forEach(n.putArray("pinned_spki_sha256")::add);
        return n.toString();
    }

    /** The TLS settings of a row's {@code tls} JSON and client key, or null for none. */
    public static TlsSettings tls(String json, String clientKey) {
        if (json == null) {
            return null;
        }
        try {
            var n = JSON.readTree(json);
            List<String> pins = new java.util.ArrayList<>();
            n.path("pinned_spki_sha256").forEach(p -> pins.add(p.asText()));
            return new TlsSettings(n.path("client_certificate").textValue(), clientKey, n.path("ca_certificates").textValue(), pins,
                    n.path("min_version").textValue());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored tls settings are not JSON", e);
        }
    }

    /** The {@code url_rules} JSON of a merchant row. */
    public static UrlRules urlRules(String json) {
        try {
            var n = JSON.readTree(json);
            List<String> hosts = new java.util.ArrayList<>();
            n.path("hosts").forEach(h -> hosts.add(h.asText()));
            List<String> nets = new java.util.ArrayList<>();
            n.path("private_networks").forEach(h -> nets.add(h.asText()));
            return new UrlRules(hosts, n.path("https_only").asBoolean(false), nets);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** {@code rules} as the {@code url_rules} JSON of a merchant row. */
    public static String urlRulesJson(UrlRules rules) {
        var n = JSON.createObjectNode();
        rules.hosts().forEach(n.putArray("hosts")::add);
        n.put("https_only", rules.httpsOnly());
        rules.privateNetworks().forEach(n.putArray("private_networks")::add);
        return n.toString();
    }

    public List<Stored> all(Connection c) throws SQLException {
        return Jdbc.query(c, "select " + READ_COLUMNS + " from endpoints where deleted_at is null", ps -> {}, this::map);
    }

    public boolean softDelete(Connection c, String id, Instant now) throws SQLException {
        return Jdbc.update(c, "update endpoints set deleted_at=?, is_active=false, updated_at=? where id=? and deleted_at is null", ps -> {
            ps.setTimestamp(1, ts(now));
            ps.setTimestamp(2, ts(now));
            ps.setString(3, id);
        }) == 1;
    }

    /**
     * A batch's effect on one endpoint's failure streak: reset by a success, then {@code failures} more (written with the
     * batch's deliveries, see {@code DeliveryRepository.finishTries}).
     */
    public record StreakChange(String endpointId, boolean reset, int failures) {}

    /** Disables a live, active endpoint; true when this call disabled it. */
    public boolean disable(Connection c, String id, String reason, Instant now) throws SQLException {
        return Jdbc.update(c, "update endpoints set is_active=false, disabled_reason=?, updated_at=? where id=? and is_active and deleted_at is null", ps -> {
            ps.setString(1, reason);
            ps.setTimestamp(2, ts(now));
            ps.setString(3, id);
        }) == 1;
    }

    private Stored map(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        Integer[] steps = (Integer[]) rs.getArray("retry_schedule").getArray();
        List<Duration> schedule = Arrays.stream(steps).map(s -> Duration.ofSeconds(s)).toList();
        Endpoint e = new Endpoint(
                id,
                rs.getString("merchant_id"),
                rs.getString("name"),
                rs.getString("description"),
                URI.create(rs.getString("url")),
                Jdbc.strings(rs, "events"),
                openHeaders(id, headers(rs.getString("headers"))),
                vault.open(rs.getString("secret"), place("secret", id)),
                rs.getBoolean("is_active"),
                rs.getString("disabled_reason"),
                new RetryPolicy(rs.getInt("retry_attempts"), schedule, rs.getString("retry_preset")),
                rs.getInt("timeout_seconds"),
                rs.getInt("consecutive_failures"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                "fifo".equals(rs.getString("ordering")),
                AckRule.parse(rs.getString("ack"), "ack"),
                "notification".equals(rs.getString("kind")),
                Jdbc.intOrNull(rs, "rate_limit"),
                rs.getInt("partition"),
                SignatureSchemes.parse(Jdbc.strings(rs, "signature_schemes")),
                rs.getBoolean("payload_encryption"),
                tls(rs.getString("tls"), vault.open(rs.getString("tls_client_key"), place("tls_client_key", id))));
        return new Stored(e, vault.open(rs.getString("previous_secret"), place("previous_secret", id)), instant(rs, "previous_secret_until"));
    }

    private static SealContext place(String column, String id) {
        return new SealContext(TABLE, column, id);
    }

    /** Where a merchant's sealed value lives (its row in {@code merchants}); {@code MerchantService} seals with the same. */
    public static SealContext merchantPlace(String column, String merchantId) {
        return new SealContext("merchants", column, merchantId);
    }

    /** Custom header values are write-only secrets: each sealed, bound to the row and the header's name. */
    private Map<String, String> sealHeaders(String id, Map<String, String> headers) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        headers.forEach((name, value) -> out.put(name, vault.seal(value, place("headers." + name, id))));
        return out;
    }

    private Map<String, String> openHeaders(String id, Map<String, String> headers) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        headers.forEach((name, value) -> out.put(name, vault.open(value, place("headers." + name, id))));
        return Map.copyOf(out);
    }

    private static String json(Map<String, String> headers) {
        try {
            return JSON.writeValueAsString(headers);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Map<String, String> headers(String json) {
        try {
            return Map.copyOf(JSON.readValue(json, new TypeReference<Map<String, String>>() {}));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
