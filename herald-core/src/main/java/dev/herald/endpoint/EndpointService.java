package dev.herald.endpoint;

import dev.herald.audit.AuditContext;
import dev.herald.audit.AuditLog;
import dev.herald.audit.Target;
import dev.herald.http.AddressPolicy;
import dev.herald.sdk.KeyAlgorithm;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.sdk.SigningKey;
import dev.herald.sdk.WebhookSigner;
import dev.herald.store.Jdbc;
import dev.herald.support.Ids;
import dev.herald.support.NotFoundException;
import dev.herald.support.TryLaterException;
import dev.herald.support.ValidationException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * Creates, changes and deletes endpoints with every rule checked up front, keeps the {@link EndpointRegistry} current,
 * and tells the delivery engine what each change means for the endpoint's deliveries ({@link Lifecycle}).
 */
public final class EndpointService {
    /** What an endpoint's changes do to its deliveries; the delivery engine implements it. */
    public interface Lifecycle {
        /** In the transaction that re-enables the endpoint: its waiting deliveries become due now, not at their old schedule. */
        void resumed(Connection c, String endpointId, Instant now) throws SQLException;

        /** In the transaction that deletes the endpoint: its pending deliveries are cancelled; returns how many. */
        int deleted(Connection c, String endpointId, Instant now) throws SQLException;

        /** After a deletion committed that cancelled {@code count} deliveries (a rolled-back one never reports). */
        void cancelled(int count);

        /**
         * In the transaction that makes the endpoint FIFO: its pending deliveries, created without an ordering key, take
         * their event's, so they too arrive in order.
         */
        default void becameFifo(Connection c, String endpointId) throws SQLException {}

        /** After a change committed (paused, resumed, deleted, rate limit changed). */
        void changed(String endpointId);
    }

    public static final int MAX_TIMEOUT_SECONDS = 300;
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;
    /** How long a replaced secret keeps signing alongside the new one. */
    public static final Duration ROTATION_OVERLAP = Duration.ofHours(24);
    /** The longest a replaced secret may keep signing after {@link #rotateSecret}. */
    public static final Duration MAX_ROTATION_GRACE = Duration.ofDays(7);
    /** Longest URL (endpoint or notify_url). */
    public static final int MAX_URL = 2048;
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,100}");
    private static final Pattern LISTEN_URL = Pattern.compile("listen:[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Pattern MERCHANT = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");

    private final Jdbc jdbc;
    private final EndpointRepository repository;
    private final EndpointRegistry registry;
    private final AddressPolicy addressPolicy;
    private final boolean httpsOnly;
    private final Clock clock;
    private final Lifecycle lifecycle;
    private final SigningKeys signingKeys;
    private final AuditLog audit;

    /** Every change is recorded in {@code audit}, in the transaction that makes it. */
    public EndpointService(Jdbc jdbc, EndpointRepository repository, EndpointRegistry registry, SigningKeys signingKeys, AddressPolicy addressPolicy,
                           boolean httpsOnly, Clock clock, Lifecycle lifecycle, AuditLog audit) {
        this.signingKeys = signingKeys;
        this.jdbc = jdbc;
        this.repository = repository;
        this.registry = registry;
        this.addressPolicy = addressPolicy;
        this.httpsOnly = httpsOnly;
        this.clock = clock;
        this.lifecycle = lifecycle;
        this.audit = audit;
    }

    /** Creates an endpoint; {@code url} and {@code events} are required, a {@code whsec_} secret is generated when absent. */
    public Endpoint create(AuditContext ctx, EndpointDraft d) {
        if (d.url() == null) {
            throw new ValidationException("url", "url is required");
        }
        if (d.events() == null) {
            throw new ValidationException("events", "events is required (event types, 'prefix.*' patterns or '*')");
        }
        Instant now = clock.instant();
        String merchantId = merchant(d.merchantId());
        Endpoint e = jdbc.inTransaction(c -> {
            UrlRules rules = merchantId == null ? UrlRules.NONE : repository.merchantPolicy(c, merchantId).urlRules();
            URI url = endpointUrl(d.url(), rules); // a listen:<name> URL has no host: its name is the endpoint's
            SignatureSchemes schemes = EndpointSigning.parseSchemes(d.signatureSchemes());
            boolean sealed = d.encryption() != null && sealed(d.encryption());
            Endpoint made = new Endpoint(Ids.next("ep"), merchantId, name(d.name() != null ? d.name() : url.getHost() != null ? url.getHost() : url.getSchemeSpecificPart()),
                    text("description", d.description() == null ? "" : d.description(), 2000), url, EventPatterns.validate(d.events()),
                    headers(d.headers() == null ? Map.of() : d.headers(), Map.of()), d.secret() != null ? secret(d.secret()) : WebhookSigner.generateSecret(),
                    d.active() == null || d.active(), d.active() == null || d.active() ? null : "manual",
                    retryPolicy(d, RetryPolicy.defaults()), timeout(d.timeoutSeconds() == null ? DEFAULT_TIMEOUT_SECONDS : d.timeoutSeconds()), 0, now, now,
                    d.ordering() != null && fifo(d.ordering()), AckRule.ANY_2XX, false, rateLimit(d.rateLimit())).withSigning(schemes, sealed)
                    .withTls(d.tls() == null ? null : d.tls().resolve(null));
            checkTls(made);
            prepareSigning(c, made, now);
            repository.insert(c, made);
            audit.append(c, ctx, "endpoint.create", Target.endpoint(made.id(), made.merchantId()), null, made);
            return made;
        });
        changed(e.id());
        return e;
    }

    /** Applies the given fields; a new secret starts a 24 h rotation during which both secrets sign. */
    public Endpoint update(AuditContext ctx, String id, EndpointDraft d) {
        return change(ctx, "endpoint.update", id, d);
    }

    private Endpoint change(AuditContext ctx, String action, String id, EndpointDraft d) {
        Endpoint e = jdbc.inTransaction(c -> {
            EndpointRepository.Stored s = repository.findWebhook(c, id, true).orElseThrow(() -> notFound(id));
            Endpoint o = s.endpoint();
            boolean active = d.active() != null ? d.active() : o.active();
            Instant now = clock.instant();
            String merchantId = d.merchantId() != null ? merchant(d.merchantId()) : o.merchantId();
            UrlRules rules = merchantId == null ? UrlRules.NONE : repository.merchantPolicy(c, merchantId).urlRules();
            Endpoint n = new Endpoint(o.id(),
                    merchantId,
                    d.name() != null ? name(d.name()) : o.name(),
                    d.description() != null ? text("description", d.description(), 2000) : o.description(),
                    d.url() != null ? endpointUrl(d.url(), rules) : d.merchantId() != null ? endpointUrl(o.url().toString(), rules) : o.url(),
                    d.events() != null ? EventPatterns.validate(d.events()) : o.events(),
                    d.headers() != null ? headers(d.headers(), o.headers()) : o.headers(),
                    d.secret() != null ? secret(d.secret()) : o.secret(),
                    active,
                    active ? null : o.active() ? "manual" : o.disabledReason(),
                    retryPolicy(d, o.retryPolicy()),
                    d.timeoutSeconds() != null ? timeout(d.timeoutSeconds()) : o.timeoutSeconds(),
                    active && !o.active() ? 0 : o.consecutiveFailures(),
                    o.createdAt(), now,
                    d.ordering() != null ? fifo(d.ordering()) : o.fifo(),
                    o.ack(), o.notification(),
                    d.rateLimit() == null ? o.rateLimit() : rateLimit(d.rateLimit()), o.partition(),
                    d.signatureSchemes() != null ? EndpointSigning.parseSchemes(d.signatureSchemes()) : o.signatureSchemes(),
                    d.encryption() != null ? sealed(d.encryption()) : o.sealed(),
                    d.tls() != null ? d.tls().resolve(o.tls()) : o.tls());
            checkTls(n);
            if (d.signatureSchemes() != null || d.encryption() != null || d.merchantId() != null) {
                prepareSigning(c, n, now);
            }
            repository.update(c, n, o.secret(), now.plus(ROTATION_OVERLAP));
            if (n.fifo() && !o.fifo()) {
                lifecycle.becameFifo(c, id);
            }
            if (n.active() && !o.active()) {
                lifecycle.resumed(c, id, now);
            }
            audit.append(c, ctx, action, Target.endpoint(id, n.merchantId()), o, n);
            return n;
        });
        changed(id);
        return e;
    }

    /**
     * A secret made by Herald, as {@link #rotateSecret} answers it: shown to the caller this once. {@code previousSecretUntil}
     * is when the replaced secret stops signing. {@link #toString()} shows no secret.
     */
    public record SecretRotation(String endpointId, String secret, Instant previousSecretUntil) {
        @Override
        public String toString() {
            return "SecretRotation[endpointId=" + endpointId + ", previousSecretUntil=" + previousSecretUntil + "]";
        }
    }

    /** What the audit log records of a secret rotation (the secrets redacted there). */
    private record SecretState(String secret, Instant previousSecretUntil) {}

    /**
     * Gives the endpoint a new secret, generated as on create; the current one keeps signing beside it for {@code grace}
     * (null: {@link #ROTATION_OVERLAP}; 0 ends it at once; at most {@link #MAX_ROTATION_GRACE}). A secret still in an
     * earlier rotation's grace stops signing now, as with a changed {@code secret}. Both are sealed at rest; the change
     * is audited with the secrets redacted.
     */
    public SecretRotation rotateSecret(AuditContext ctx, String id, Duration grace) {
        Duration overlap = grace == null ? ROTATION_OVERLAP : grace;
        if (overlap.isNegative() || overlap.compareTo(MAX_ROTATION_GRACE) > 0) {
            throw new ValidationException("grace_seconds", "grace_seconds must be between 0 and " + MAX_ROTATION_GRACE.toSeconds());
        }
        SecretRotation done = jdbc.inTransaction(c -> {
            EndpointRepository.Stored s = repository.findWebhook(c, id, true).orElseThrow(() -> notFound(id));
            Endpoint o = s.endpoint();
            Instant now = clock.instant();
            Endpoint n = o.withSecret(WebhookSigner.generateSecret(), now);
            Instant until = now.plus(overlap);
            repository.update(c, n, o.secret(), until);
            audit.append(c, ctx, "endpoint.rotate_secret", Target.endpoint(id, o.merchantId()), new SecretState(o.secret(), s.previousSecretUntil()),
                    new SecretState(n.secret(), until));
            return new SecretRotation(id, n.secret(), until);
        });
        changed(id);
        return done;
    }

    /**
     * The notify_url as Herald will call it, checked like an endpoint's URL and against the merchant's {@code rules};
     * problems are reported against {@code field}.
     */
    public URI notifyUrl(String raw, UrlRules rules, String field) {
        URI url;
        try {
            url = url(raw, rules);
        } catch (ValidationException e) {
            throw new ValidationException(field, e.getMessage());
        }
        checkRules(url, rules, field);
        return url;
    }

    /**
     * Makes the asymmetric keys {@code e}'s schemes need (its owner's, current ones) and checks that a sealed endpoint's
     * merchant has a payload key.
     */
    private void prepareSigning(Connection c, Endpoint e, Instant now) throws SQLException {
        if (e.sealed() && (e.merchantId() == null || repository.payloadKey(c, e.merchantId()) == null)) {
            throw new ValidationException("encryption", "sealed bodies need the endpoint's merchant to have a payload key"
                    + " (PUT /v1/merchants/{id} with rotate_payload_key or payload_key)");
        }
        signingKeys.ensure(c, SigningKeys.Owner.of(e), e.signatureSchemes().keyAlgorithms(), now);
    }

    /** TLS settings of an endpoint would go unused on a plain http URL: refused, so nobody believes they apply. */
    private static void checkTls(Endpoint e) {
        if (e.tls() != null && !"https".equalsIgnoreCase(e.url().getScheme())) {
            throw new ValidationException("tls", "tls settings need an https url");
        }
    }

    /** {@code aead_aes_256_gcm} (sealed bodies) or {@code none}. */
    private static boolean sealed(String encryption) {
        return switch (encryption) {
            case "aead_aes_256_gcm" -> true;
            case "none" -> false;
            default -> throw new ValidationException("encryption", "encryption must be 'aead_aes_256_gcm' or 'none'");
        };
    }

    /**
     * Rotates the asymmetric signing keys of {@code id}'s owner (its merchant, else the endpoint); the old ones sign on for
     * {@link #ROTATION_OVERLAP}, at most {@link SigningKeys#MAX_SIGNING_PER_ALGORITHM} keys of an algorithm at once (a
     * rotation retires the oldest overlapping key). An owner rotates at most {@link SigningKeys#MAX_ROTATIONS} times in
     * {@link SigningKeys#ROTATION_WINDOW}: past that, {@link TryLaterException#limited} says when it may again. The new
     * keys are made before the transaction, off the request's thread; an owner's rotations run one at a time.
     */
    public int rotateSigningKeys(AuditContext ctx, String id) {
        List<KeyAlgorithm> algorithms = jdbc.read(c -> {
            SigningKeys.Owner owner = SigningKeys.Owner.of(repository.find(c, id, false).orElseThrow(() -> notFound(id)).endpoint());
            refuseTooSoon(c, owner, clock.instant());
            return signingKeys.currentAlgorithms(c, owner);
        });
        Map<KeyAlgorithm, SigningKey> fresh = SigningKeys.make(algorithms); // a refused rotation costs no key
        int n = jdbc.inTransaction(c -> {
            Endpoint e = repository.find(c, id, false).orElseThrow(() -> notFound(id)).endpoint();
            SigningKeys.Owner owner = SigningKeys.Owner.of(e);
            signingKeys.lock(c, owner);
            Instant now = clock.instant();
            refuseTooSoon(c, owner, now); // a rotation that ran meanwhile counts
            List<String> before = currentKids(c, owner, now);
            int rotated = signingKeys.rotate(c, owner, now, now.plus(ROTATION_OVERLAP), fresh);
            audit.append(c, ctx, "endpoint.rotate_signing_keys", Target.endpoint(id, e.merchantId()),
                    Map.of("owner", owner.type() + ":" + owner.id(), "current_kids", before),
                    Map.of("owner", owner.type() + ":" + owner.id(), "current_kids", currentKids(c, owner, now)));
            return rotated;
        });
        registry.reload(); // every endpoint of the owner signs with the new keys
        return n;
    }

    private void refuseTooSoon(Connection c, SigningKeys.Owner owner, Instant now) throws SQLException {
        Optional<Instant> next = signingKeys.nextRotation(c, owner, now);
        if (next.isPresent()) {
            throw TryLaterException.limited("signing keys may be rotated at most " + SigningKeys.MAX_ROTATIONS + " times an hour; the next"
                    + " rotation is possible at " + next.get(), Duration.between(now, next.get()));
        }
    }

    private List<String> currentKids(Connection c, SigningKeys.Owner owner, Instant now) throws SQLException {
        return signingKeys.of(c, owner, now).stream().filter(h -> h.retiresAt() == null).map(h -> h.key().kid()).toList();
    }

    /** The keys that sign {@code id}'s requests now (its owner's), current first; public halves only leave through them. */
    public List<SigningKeys.Held> signingKeys(String id, String merchant) {
        Endpoint e = get(id, merchant).endpoint();
        return jdbc.read(c -> signingKeys.of(c, SigningKeys.Owner.of(e), clock.instant()));
    }

    /**
     * The keys that sign the requests of {@code merchantId}'s endpoints and of its notify_url callbacks now, current
     * first (the merchant owns them; its notify_url targets are not endpoints one could ask).
     */
    public List<SigningKeys.Held> merchantSigningKeys(String merchantId) {
        return jdbc.read(c -> signingKeys.of(c, new SigningKeys.Owner("merchant", merchantId), clock.instant()));
    }

    /** Refuses {@code url} when it breaks the merchant's host, port or https rules. */
    private static void checkRules(URI url, UrlRules rules, String field) {
        String violation = rules.violation(url);
        if (violation != null) {
            throw new ValidationException(field, violation);
        }
    }

    /**
     * In the caller's transaction: the hidden endpoint that carries {@code merchantId}'s notifications to {@code url},
     * made on first use with the merchant's secrets, ack rule and signature schemes (a failed transaction leaves none
     * behind). Call {@link #loaded} with its id once the transaction committed.
     */
    public EndpointRepository.Stored notificationTarget(Connection c, String merchantId, String secret, String previousSecret,
                                                        Instant previousSecretUntil, AckRule ack, SignatureSchemes schemes, URI url,
                                                        Instant now) throws SQLException {
        String key = url.toString();
        Optional<EndpointRepository.Stored> found = repository.findNotificationTarget(c, merchantId, key);
        if (found.isPresent()) {
            return found.get();
        }
        Endpoint e = new Endpoint(Ids.next("ep"), merchantId, "notify " + url.getHost(), "notify_url target", url, List.of(), Map.of(), secret,
                true, null, RetryPolicy.defaults(), DEFAULT_TIMEOUT_SECONDS, 0, now, now, false, ack, true, null).withSigning(schemes, false);
        repository.insertNotificationTarget(c, e, previousSecret, previousSecretUntil); // or one made concurrently wins
        return repository.findNotificationTarget(c, merchantId, key).orElseThrow();
    }

    /** Makes an endpoint committed in a caller's transaction known to this node, if it is not yet. */
    public void loaded(String id) {
        if (registry.get(id).isEmpty()) {
            registry.refresh(id);
        }
    }

    /** Re-enables an endpoint and clears its failure streak; its waiting deliveries resume. */
    public Endpoint enable(AuditContext ctx, String id) {
        return change(ctx, "endpoint.enable", id, activeOnly(true));
    }

    /** Pauses an endpoint; nothing is dropped, its deliveries wait. */
    public Endpoint disable(AuditContext ctx, String id) {
        return change(ctx, "endpoint.disable", id, activeOnly(false));
    }

    public EndpointRepository.Stored get(String id) {
        return get(id, null);
    }

    /**
     * The webhook endpoint {@code id}; one of another merchant (when {@code merchant} is not null) is not found, as a
     * missing one, and so is a notify_url target (its merchant's settings manage it).
     */
    public EndpointRepository.Stored get(String id, String merchant) {
        return jdbc.read(c -> repository.findWebhook(c, id, false))
                .filter(s -> merchant == null || merchant.equals(s.endpoint().merchantId()))
                .orElseThrow(() -> notFound(id));
    }

    public List<EndpointRepository.Stored> list(String merchantId, String afterId, int limit) {
        return list(EndpointRepository.Filter.page(merchantId, afterId, limit));
    }

    /** The live webhook endpoints {@code filter} selects, in id order. */
    public List<EndpointRepository.Stored> list(EndpointRepository.Filter filter) {
        return jdbc.read(c -> repository.list(c, filter));
    }

    /** Deletes an endpoint: it stops receiving, and its pending deliveries are cancelled. */
    public void delete(AuditContext ctx, String id) {
        int cancelled = jdbc.inTransaction(c -> {
            Instant now = clock.instant();
            Optional<EndpointRepository.Stored> before = repository.findWebhook(c, id, true);
            if (before.isEmpty() || !repository.softDelete(c, id, now)) {
                return -1;
            }
            int n = lifecycle.deleted(c, id, now);
            audit.append(c, ctx, "endpoint.delete", Target.endpoint(id, before.get().endpoint().merchantId()), before.get().endpoint(), null);
            return n;
        });
        if (cancelled < 0) {
            throw notFound(id);
        }
        lifecycle.cancelled(cancelled);
        changed(id);
    }

    private void changed(String id) {
        registry.refresh(id);
        lifecycle.changed(id);
    }

    private static EndpointDraft activeOnly(boolean active) {
        return new EndpointDraft(null, null, null, null, null, null, null, active, null, null, null, null, null, null);
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException("no endpoint " + id);
    }

    /**
     * An endpoint's URL: {@code listen:<name>} (its tries go to a {@code herald listen} connection of a key of its
     * merchant, so the network rules do not apply), or a URL Herald may call that keeps the merchant's {@code rules}.
     */
    private URI endpointUrl(String raw, UrlRules rules) {
        if (raw.startsWith(Endpoint.LISTEN_SCHEME + ":")) {
            if (!LISTEN_URL.matcher(raw).matches()) {
                throw new ValidationException("url", "a listen url is listen:<name>, the name 1-100 letters, digits and ._-");
            }
            return URI.create(raw);
        }
        URI url = url(raw, rules);
        checkRules(url, rules, "url");
        return url;
    }

    /**
     * A URL Herald may call, in its ASCII form (non-ASCII characters %-encoded), at most {@value #MAX_URL} characters; an
     * IP literal in a private range only where the address policy allows it or it lies in {@code rules}' private networks.
     */
    private URI url(String raw, UrlRules rules) {
        if (raw.isBlank() || raw.length() > MAX_URL) {
            throw new ValidationException("url", "url must be 1-" + MAX_URL + " characters");
        }
        URI uri;
        try {
            uri = new URI(new URI(raw).toASCIIString());
        } catch (URISyntaxException e) {
            throw new ValidationException("url", "url is not a valid URL: " + e.getReason());
        }
        if (uri.toString().length() > MAX_URL) {
            throw new ValidationException("url", "url must be at most " + MAX_URL + " characters once non-ASCII characters are %-encoded");
        }
        Optional<String> rejected = addressPolicy.rejectUrl(uri, httpsOnly);
        if (rejected.isPresent()) {
            boolean merchantsNetwork = uri.getHost() != null && AddressPolicy.parseIpLiteral(uri.getHost()).map(rules::allowsPrivate).orElse(false)
                    && AddressPolicy.create(true).rejectUrl(uri, httpsOnly).isEmpty();
            if (!merchantsNetwork) {
                throw new ValidationException("url", rejected.get());
            }
        }
        if (uri.getHost() != null && uri.getHost().length() > 253) {
            throw new ValidationException("url", "url host must be a DNS name of at most 253 characters");
        }
        if (uri.getHost() != null && uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
            throw new ValidationException("url", "url port must be between 1 and 65535");
        }
        if (uri.getFragment() != null) {
            throw new ValidationException("url", "url must not have a #fragment");
        }
        return uri;
    }

    private static String merchant(String m) {
        if (m != null && !MERCHANT.matcher(m).matches()) {
            throw new ValidationException("merchant_id", "merchant_id must be 1-128 characters of letters, digits and _-:.");
        }
        return m;
    }

    private static String name(String n) {
        if (n == null || n.isBlank()) {
            throw new ValidationException("name", "name must not be blank");
        }
        return text("name", n, 200);
    }

    private static String text(String field, String v, int max) {
        if (v.length() > max) {
            throw new ValidationException(field, field + " must be at most " + max + " characters");
        }
        return v;
    }

    /**
     * Checked custom headers; a value of {@link Endpoint#MASKED_HEADER_VALUE} (as a read shows it) keeps the value the
     * header has in {@code current}.
     */
    private static Map<String, String> headers(Map<String, String> h, Map<String, String> current) {
        if (h.size() > 20) {
            throw new ValidationException("headers", "at most 20 custom headers");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : h.entrySet()) {
            String name = e.getKey();
            String value = e.getValue();
            if (Endpoint.MASKED_HEADER_VALUE.equals(value)) {
                value = current.get(name);
                if (value == null) {
                    throw new ValidationException("headers." + name, "header " + name + " has no stored value to keep; send its value");
                }
            }
            if (!HEADER_NAME.matcher(name).matches()) {
                String shown = name.length() <= 100 ? name : name.substring(0, 100) + "…";
                throw new ValidationException("headers." + shown, "'" + shown + "' is not a valid header name (1-100 characters of letters,"
                        + " digits and !#$%&'*+-.^_`|~)");
            }
            if (Endpoint.isReservedHeader(name)) {
                throw new ValidationException("headers." + name, "header " + name + " is set by Herald and cannot be overridden");
            }
            if (value == null || value.length() > 1000 || value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t' || ch == 0x7f)) {
                throw new ValidationException("headers." + name, "header values must be at most 1000 printable characters");
            }
            if (out.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name))) {
                throw new ValidationException("headers." + name, "header " + name + " is given twice");
            }
            out.put(name, value);
        }
        return Map.copyOf(out);
    }

    private static String secret(String s) {
        if (!s.startsWith(WebhookSigner.SECRET_PREFIX)) {
            throw new ValidationException("secret", "secret must look like whsec_<base64 of 24-64 random bytes>");
        }
        try {
            int n = Base64.getDecoder().decode(s.substring(WebhookSigner.SECRET_PREFIX.length())).length;
            if (n < 24 || n > 64) {
                throw new ValidationException("secret", "secret must encode 24-64 random bytes (got " + n + ")");
            }
        } catch (IllegalArgumentException e) {
            throw new ValidationException("secret", "secret must look like whsec_<base64 of 24-64 random bytes>");
        }
        return s;
    }

    /** A rate limit of 1-100,000 requests a second; 0 in a patch removes the limit. */
    private static Integer rateLimit(Integer r) {
        if (r == null || r == 0) {
            return null;
        }
        if (r < 0 || r > 100_000) {
            throw new ValidationException("rate_limit", "rate_limit must be between 1 and 100000 requests a second (0 removes it)");
        }
        return r;
    }

    private static boolean fifo(String ordering) {
        return switch (ordering) {
            case "fifo" -> true;
            case "none" -> false;
            default -> throw new ValidationException("ordering", "ordering must be 'none' or 'fifo'");
        };
    }

    private static int timeout(int t) {
        if (t < 1 || t > MAX_TIMEOUT_SECONDS) {
            throw new ValidationException("timeout_seconds", "timeout_seconds must be between 1 and " + MAX_TIMEOUT_SECONDS);
        }
        return t;
    }

    private static RetryPolicy retryPolicy(EndpointDraft d, RetryPolicy current) {
        if (d.retryPreset() != null) {
            return RetryPolicy.preset(d.retryPreset().toLowerCase(Locale.ROOT), d.retryAttempts());
        }
        if (d.retrySteps() != null) {
            return RetryPolicy.custom(d.retrySteps(), d.retryAttempts());
        }
        if (d.retryAttempts() != null) {
            return new RetryPolicy(d.retryAttempts(), current.schedule(), current.preset());
        }
        return current;
    }
}
