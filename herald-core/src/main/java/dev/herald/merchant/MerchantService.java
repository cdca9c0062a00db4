package dev.herald.merchant;

import static dev.herald.store.Jdbc.instant;
import static dev.herald.store.Jdbc.ts;

import dev.herald.audit.AuditContext;
import dev.herald.audit.AuditLog;
import dev.herald.audit.Target;
import dev.herald.endpoint.AckRule;
import dev.herald.endpoint.EndpointRegistry;
import dev.herald.endpoint.EndpointRepository;
import dev.herald.endpoint.EndpointService;
import dev.herald.endpoint.EndpointSigning;
import dev.herald.endpoint.EventPatterns;
import dev.herald.endpoint.SigningKeys;
import dev.herald.http.ProxySettings;
import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.endpoint.MerchantPolicy;
import dev.herald.endpoint.UrlRules;
import dev.herald.event.EventInput;
import dev.herald.sdk.WebhookSigner;
import dev.herald.seal.SealContext;
import dev.herald.seal.Vault;
import dev.herald.store.Jdbc;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Creates and changes merchants; a change of secret or ack rule reaches all of the merchant's notify_url targets, a
 * change of its cap, status or rules all of its endpoints' lanes. A rotated secret overlaps like an endpoint's: the
 * replaced one keeps signing beside the new one for {@link EndpointService#ROTATION_OVERLAP}. Both secrets are sealed
 * at rest by the {@link Vault}.
 */
public final class MerchantService {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");
    /** Highest per-merchant cap; also the migration's check. */
    public static final int MAX_IN_FLIGHT = 10_000;
    /** The longest retention a merchant may have, in days (ten years). */
    public static final int MAX_RETENTION_DAYS = 3650;
    private static final int NAME_MAX = 200;
    private static final List<String> STATUSES = List.of(MerchantPolicy.ACTIVE, MerchantPolicy.SUSPENDED, MerchantPolicy.BLOCKED);

    private final Jdbc jdbc;
    private final EndpointRepository endpoints;
    private final EndpointRegistry registry;
    private final EndpointService.Lifecycle lifecycle;
    private final SigningKeys signingKeys;
    private final boolean allowListMode;
    private final Clock clock;
    private final AuditLog audit;
    private final Vault vault;
    private final boolean thisHostNetworks;

    /**
     * {@code lifecycle} hears of each of the merchant's endpoints when the merchant stops or starts receiving; every
     * change is recorded in {@code audit}, in the transaction that makes it. {@code thisHostNetworks} lets url_rules list
     * loopback networks (see {@link UrlRules#of}).
     */
    public MerchantService(Jdbc jdbc, EndpointRepository endpoints, EndpointRegistry registry, EndpointService.Lifecycle lifecycle,
                           SigningKeys signingKeys, boolean allowListMode, boolean thisHostNetworks, Clock clock, AuditLog audit, Vault vault) {
        this.thisHostNetworks = thisHostNetworks;
        this.signingKeys = signingKeys;
        this.jdbc = jdbc;
        this.endpoints = endpoints;
        this.registry = registry;
        this.lifecycle = lifecycle;
        this.allowListMode = allowListMode;
        this.clock = clock;
        this.audit = audit;
        this.vault = java.util.Objects.requireNonNull(vault, "vault");
    }

    /**
     * The result of a put: the merchant, whether it was created (its secret is shown only then) and whether Herald made
     * its payload key now (shown only then).
     */
    public record Put(Merchant merchant, boolean created, boolean payloadKeyMade) {}

    /**
     * Creates the merchant (with a generated secret) or changes it; null fields stay as they are. A change of status or
     * allow-listing takes effect on every node before its next fan-out: a merchant that stops receiving has its waiting
     * deliveries handed back to the database (never dropped), one that starts again has them made due now.
     */
    public Put put(AuditContext ctx, String id, MerchantDraft d) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new ValidationException("id", "merchant id must be 1-128 characters of letters, digits and _-:.");
        }
        if (d.name() != null && d.name().length() > NAME_MAX) {
            throw new ValidationException("name", "name must be at most " + NAME_MAX + " characters");
        }
        AckRule rule = d.ack() == null ? null : AckRule.parse(d.ack(), "ack");
        if (d.maxInFlight() != null && (d.maxInFlight() < 0 || d.maxInFlight() > MAX_IN_FLIGHT)) {
            throw new ValidationException("max_in_flight", "max_in_flight must be 1-" + MAX_IN_FLIGHT + ", or 0 for the node's default");
        }
        if (d.retentionDays() != null && (d.retentionDays() < 0 || d.retentionDays() > MAX_RETENTION_DAYS)) {
            throw new ValidationException("retention_days", "retention_days must be 1-" + MAX_RETENTION_DAYS + ", or 0 for the node's retention");
        }
        if (d.status() != null && !STATUSES.contains(d.status())) {
            throw new ValidationException("status", "status must be one of " + String.join(", ", STATUSES));
        }
        if (d.defaultPriority() != null && (d.defaultPriority() < 0 || d.defaultPriority() > 9)) {
            throw new ValidationException("default_priority", "default_priority must be between 0 and 9");
        }
        List<String> syncTypes = d.syncTypes() == null ? null : syncTypes(d.syncTypes());
        SignatureSchemes schemes = d.signatureSchemes() == null ? null : EndpointSigning.parseSchemes(d.signatureSchemes());
        if (d.payloadKey() != null && d.rotatePayloadKey()) {
            throw new ValidationException("payload_key", "give payload_key or rotate_payload_key, not both");
        }
        PayloadKey given = d.payloadKey() == null ? null : EndpointSigning.parsePayloadKey("payload_key", d.payloadKey());
        PayloadKey made = d.rotatePayloadKey() ? PayloadKey.generate() : null;
        ProxySettings proxy = d.proxyUrl() == null || d.proxyUrl().isEmpty() ? null : new ProxySettings(d.proxyUrl());
        Instant now = clock.instant();
        record Changed(Put put, List<String> endpointIds, boolean receivingChanged) {}
        Changed changed = jdbc.inTransaction(c -> {
            Optional<Merchant> existing = find(c, id, true);
            Merchant o = existing.orElse(null);
            UrlRules rules = d.setsUrlRules()
                    ? UrlRules.of(d.hosts() != null ? d.hosts() : o == null ? null : o.urlRules().hosts(),
                            d.httpsOnly() != null ? d.httpsOnly() : o != null && o.urlRules().httpsOnly(),
                            d.privateNetworks() != null ? d.privateNetworks() : o == null ? null : o.urlRules().privateNetworks(), thisHostNetworks)
                    : o == null ? UrlRules.NONE : o.urlRules();
            if (o != null && d.setsUrlRules()) {
                refuseBrokenEndpoints(c, id, rules);
            }
            boolean rotate = o != null && d.rotateSecret();
            Merchant m = new Merchant(id,
                    d.name() != null ? d.name() : o == null ? "" : o.name(),
                    o == null || rotate ? WebhookSigner.generateSecret() : o.secret(),
                    rotate ? o.secret() : o == null ? null : o.previousSecret(),
                    rotate ? now.plus(EndpointService.ROTATION_OVERLAP) : o == null ? null : o.previousSecretUntil(),
                    rule != null ? rule : o == null ? AckRule.ANY_2XX : o.ack(),
                    cap(d.maxInFlight(), o == null ? null : o.maxInFlight()),
                    d.status() != null ? d.status() : o == null ? MerchantPolicy.ACTIVE : o.status(),
                    d.listed() != null ? d.listed() : o != null && o.listed(),
                    rules,
                    syncTypes != null ? syncTypes : o == null ? List.of() : o.syncTypes(),
                    d.defaultPriority() != null ? d.defaultPriority() : o == null ? 0 : o.defaultPriority(),
                    schemes != null ? schemes : o == null ? SignatureSchemes.DEFAULT : o.signatureSchemes(),
                    given != null ? given : made != null ? made : o == null ? null : o.payloadKey(),
                    d.tls() != null ? d.tls().resolve(o == null ? null : o.tls()) : o == null ? null : o.tls(),
                    d.proxyUrl() != null ? (proxy == null ? null : proxy.keepingPasswordOf(o == null ? null : o.proxy())) : o == null ? null : o.proxy(),
                    o == null ? now : o.createdAt(), now,
                    cap(d.retentionDays(), o == null ? null : o.retentionDays()));
            Jdbc.update(c, "insert into merchants (id, name, secret, previous_secret, previous_secret_until, ack, max_in_flight, status, listed,"
                    + " url_rules, sync_types, default_priority, signature_schemes, payload_key, tls, tls_client_key, proxy_url,"
                    + " created_at, updated_at, retention_days) values (?,?,?,?,?,?,?,?,?,?::jsonb,?,?,?,?,?::jsonb,?,?,?,?,?)"
                    + " on conflict (id) do update set name = excluded.name, secret = excluded.secret, previous_secret = excluded.previous_secret,"
                    + " previous_secret_until = excluded.previous_secret_until, ack = excluded.ack, max_in_flight = excluded.max_in_flight,"
                    + " status = excluded.status, listed = excluded.listed, url_rules = excluded.url_rules, sync_types = excluded.sync_types,"
                    + " default_priority = excluded.default_priority, signature_schemes = excluded.signature_schemes,"
                    + " payload_key = excluded.payload_key, tls = excluded.tls, tls_client_key = excluded.tls_client_key,"
                    + " proxy_url = excluded.proxy_url, updated_at = excluded.updated_at, retention_days = excluded.retention_days", ps -> {
                ps.setString(1, m.id());
                ps.setString(2, m.name());
                ps.setString(3, vault.seal(m.secret(), place("secret", m.id())));
                ps.setString(4, vault.seal(m.previousSecret(), place("previous_secret", m.id())));
                ps.setTimestamp(5, ts(m.previousSecretUntil()));
                ps.setString(6, m.ack().toString());
                ps.setObject(7, m.maxInFlight(), java.sql.Types.INTEGER);
                ps.setString(8, m.status());
                ps.setBoolean(9, m.listed());
                ps.setString(10, EndpointRepository.urlRulesJson(m.urlRules()));
                ps.setArray(11, Jdbc.textArray(c, m.syncTypes()));
                ps.setShort(12, (short) m.defaultPriority());
                ps.setArray(13, Jdbc.textArray(c, m.signatureSchemes().names()));
                ps.setString(14, vault.seal(m.payloadKey() == null ? null : m.payloadKey().encoded(), place("payload_key", id)));
                ps.setString(15, EndpointRepository.tlsJson(m.tls()));
                ps.setString(16, vault.seal(m.tls() == null ? null : m.tls().clientKey(), place("tls_client_key", id)));
                ps.setString(17, vault.seal(m.proxy() == null ? null : m.proxy().url(), place("proxy_url", id)));
                ps.setTimestamp(18, ts(m.createdAt()));
                ps.setTimestamp(19, ts(now));
                ps.setObject(20, m.retentionDays(), java.sql.Types.INTEGER);
            });
            signingKeys.ensure(c, new SigningKeys.Owner("merchant", id), m.signatureSchemes().keyAlgorithms(), now);
            if (o == null) {
                audit.append(c, ctx, "merchant.create", Target.merchant(id), null, m);
                return new Changed(new Put(m, true, made != null), List.of(), false);
            }
            endpoints.syncNotificationTargets(c, id, m.secret(), m.previousSecret(), m.previousSecretUntil(), m.ack(), m.signatureSchemes(), now);
            List<String> ids = endpoints.idsOfMerchant(c, id);
            boolean receivingChanged = o.policy().receiving(allowListMode) != m.policy().receiving(allowListMode);
            if (receivingChanged && m.policy().receiving(allowListMode)) {
                for (String endpointId : ids) {
                    lifecycle.resumed(c, endpointId, now); // waiting deliveries go out now, not at their old schedule
                }
            }
            audit.append(c, ctx, "merchant.update", Target.merchant(id), o, m);
            return new Changed(new Put(m, false, made != null), ids, receivingChanged);
        });
        registry.reload(); // notify_url targets' secret and ack, the merchant's cap, status and rules
        if (changed.receivingChanged()) {
            changed.endpointIds().forEach(lifecycle::changed); // lanes hand back waiting work, or the scanner is woken
        }
        return changed.put();
    }

    /**
     * New host or https rules must hold for the merchant's live endpoints (notify_url targets too): their URLs are
     * checked when made, so a rule they break would otherwise never be enforced for them. Withdrawn private networks
     * need no such check: addresses are vetted again at every connect.
     */
    private void refuseBrokenEndpoints(Connection c, String merchantId, UrlRules rules) throws SQLException {
        List<String> broken = endpoints.urlsOfMerchant(c, merchantId).entrySet().stream()
                .filter(e -> rules.violation(java.net.URI.create(e.getValue())) != null).map(java.util.Map.Entry::getKey).sorted().toList();
        if (!broken.isEmpty()) {
            throw new ValidationException("url_rules", broken.size() + " of this merchant's endpoints break these rules ("
                    + String.join(", ", broken.subList(0, Math.min(5, broken.size()))) + (broken.size() > 5 ? ", …" : "")
                    + "): change or delete them first");
        }
    }

    private static List<String> syncTypes(List<String> types) {
        if (types.size() > EventPatterns.MAX_PATTERNS) {
            throw new ValidationException("sync_types", "sync_types may list at most " + EventPatterns.MAX_PATTERNS + " event types");
        }
        for (int i = 0; i < types.size(); i++) {
            String t = types.get(i);
            if (t.length() > EventInput.MAX_TYPE || !EventInput.TYPE.matcher(t).matches()) {
                throw new ValidationException("sync_types[" + i + "]", "'" + t + "' is not an event type such as payment.succeeded");
            }
        }
        return List.copyOf(types);
    }

    /** A cap (or retention) after a put: {@code requested} if given (0 clears it), else the current one. */
    private static Integer cap(Integer requested, Integer current) {
        return requested == null ? current : requested == 0 ? null : requested;
    }

    public Merchant get(String id) {
        return jdbc.read(c -> find(c, id, false)).orElseThrow(() -> new NotFoundException("no merchant " + id));
    }

    /**
     * Which merchants {@link #list} answers: only {@code merchantId} when not null (a merchant's own key), those of
     * {@code status} when not null, those whose id or name contains {@code search} (case-insensitive) when not null, a
     * page of at most {@code limit} after the id {@code afterId}.
     */
    public record Filter(String merchantId, String status, String search, String afterId, int limit) {}

    /** The merchants {@code f} selects, in id order. */
    public List<Merchant> list(Filter f) {
        StringBuilder sql = new StringBuilder("select *, url_rules::text as url_rules, tls::text as tls from merchants where true");
        List<Object> args = new java.util.ArrayList<>();
        if (f.merchantId() != null) {
            sql.append(" and id = ?");
            args.add(f.merchantId());
        }
        if (f.status() != null) {
            sql.append(" and status = ?");
            args.add(f.status());
        }
        if (f.search() != null) {
            String pattern = "%" + f.search().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            sql.append(" and (id ilike ? escape '\\' or name ilike ? escape '\\')");
            args.add(pattern);
            args.add(pattern);
        }
        if (f.afterId() != null) {
            sql.append(" and id > ?");
            args.add(f.afterId());
        }
        sql.append(" order by id limit ?");
        args.add(f.limit());
        return jdbc.read(c -> Jdbc.query(c, sql.toString(), ps -> {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
        }, this::map));
    }

    /** Whether {@code status} is a merchant status a filter may name. */
    public static boolean isStatus(String status) {
        return STATUSES.contains(status);
    }

    private Optional<Merchant> find(Connection c, String id, boolean forUpdate) throws SQLException {
        return Jdbc.query(c, "select *, url_rules::text as url_rules, tls::text as tls from merchants where id = ?" + (forUpdate ? " for update" : ""), ps -> ps.setString(1, id),
                this::map).stream().findFirst();
    }

    /**
     * Seals up to {@code limit} merchants' plaintext secrets written before sealing existed, skipping rows another node
     * has locked; returns how many values it sealed.
     */
    public int sealPlaintext(Connection c, int limit) throws SQLException {
        int n = 0;
        for (String column : List.of("secret", "previous_secret", "payload_key", "tls_client_key", "proxy_url")) {
            n += vault.sealPlaintext(c, "merchants", column, limit);
        }
        return n;
    }

    private static SealContext place(String column, String id) {
        return EndpointRepository.merchantPlace(column, id);
    }

    private Merchant map(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String payloadKey = vault.open(rs.getString("payload_key"), place("payload_key", id));
        String proxy = vault.open(rs.getString("proxy_url"), place("proxy_url", id));
        return new Merchant(id, rs.getString("name"), vault.open(rs.getString("secret"), place("secret", id)),
                vault.open(rs.getString("previous_secret"), place("previous_secret", id)),
                instant(rs, "previous_secret_until"), AckRule.parse(rs.getString("ack"), "ack"), Jdbc.intOrNull(rs, "max_in_flight"),
                rs.getString("status"), rs.getBoolean("listed"), EndpointRepository.urlRules(rs.getString("url_rules")),
                Jdbc.strings(rs, "sync_types"), rs.getShort("default_priority"), SignatureSchemes.parse(Jdbc.strings(rs, "signature_schemes")),
                payloadKey == null ? null : PayloadKey.parse(payloadKey),
                EndpointRepository.tls(rs.getString("tls"), vault.open(rs.getString("tls_client_key"), place("tls_client_key", id))),
                proxy == null ? null : new ProxySettings(proxy), instant(rs, "created_at"), instant(rs, "updated_at"),
                Jdbc.intOrNull(rs, "retention_days"));
    }
}
