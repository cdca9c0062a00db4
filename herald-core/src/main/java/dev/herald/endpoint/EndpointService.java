package dev.herald.endpoint;

import dev.herald.http.AddressPolicy;
import dev.herald.sdk.WebhookSigner;
import dev.herald.store.Jdbc;
import dev.herald.support.Ids;
import dev.herald.support.NotFoundException;
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
import dev.herald.store.StoreException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Creates, changes and deletes endpoints with every rule checked up front, keeps the {@link EndpointRegistry} current,
 * and tells {@code onChange} which endpoint changed (the dispatcher pauses or resumes its lane).
 */
public final class EndpointService {
    public static final int MAX_TIMEOUT_SECONDS = 300;
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;
    /** How long a replaced secret keeps signing alongside the new one. */
    public static final Duration ROTATION_OVERLAP = Duration.ofHours(24);
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,100}");
    private static final Pattern MERCHANT = Pattern.compile("[A-Za-z0-9_\\-:.]{1,128}");

    private final Jdbc jdbc;
    private final EndpointRepository repository;
    private final EndpointRegistry registry;
    private final dev.herald.delivery.DeliveryRepository deliveries;
    private final AddressPolicy addressPolicy;
    private final boolean httpsOnly;
    private final Clock clock;
    private final Consumer<String> onChange;

    public EndpointService(Jdbc jdbc, EndpointRepository repository, EndpointRegistry registry, dev.herald.delivery.DeliveryRepository deliveries,
                           AddressPolicy addressPolicy, boolean httpsOnly, Clock clock, Consumer<String> onChange) {
        this.jdbc = jdbc;
        this.repository = repository;
        this.registry = registry;
        this.deliveries = deliveries;
        this.addressPolicy = addressPolicy;
        this.httpsOnly = httpsOnly;
        this.clock = clock;
        this.onChange = onChange;
    }

    /** Creates an endpoint; {@code url} and {@code events} are required, a {@code whsec_} secret is generated when absent. */
    public Endpoint create(EndpointDraft d) {
        if (d.url() == null) {
            throw new ValidationException("url", "url is required");
        }
        if (d.events() == null) {
            throw new ValidationException("events", "events is required (event types, 'prefix.*' patterns or '*')");
        }
        Instant now = clock.instant();
        URI url = url(d.url());
        Endpoint e = new Endpoint(Ids.next("ep"), merchant(d.merchantId()), name(d.name() != null ? d.name() : url.getHost()),
                text("description", d.description() == null ? "" : d.description(), 2000), url, EventPatterns.validate(d.events()),
                headers(d.headers() == null ? Map.of() : d.headers()), d.secret() != null ? secret(d.secret()) : WebhookSigner.generateSecret(),
                d.active() == null || d.active(), d.active() == null || d.active() ? null : "manual",
                retryPolicy(d, RetryPolicy.defaults()), timeout(d.timeoutSeconds() == null ? DEFAULT_TIMEOUT_SECONDS : d.timeoutSeconds()), 0, now, now,
                d.ordering() != null && fifo(d.ordering()), AckRule.ANY_2XX, false, rateLimit(d.rateLimit()));
        jdbc.inTransaction(c -> {
            repository.insert(c, e);
            return null;
        });
        changed(e.id());
        return e;
    }

    /** Applies the given fields; a new secret starts a 24 h rotation during which both secrets sign. */
    public Endpoint update(String id, EndpointDraft d) {
        Endpoint e = jdbc.inTransaction(c -> {
            EndpointRepository.Stored s = repository.find(c, id, true).orElseThrow(() -> notFound(id));
            Endpoint o = s.endpoint();
            boolean active = d.active() != null ? d.active() : o.active();
            Instant now = clock.instant();
            Endpoint n = new Endpoint(o.id(),
                    d.merchantId() != null ? merchant(d.merchantId()) : o.merchantId(),
                    d.name() != null ? name(d.name()) : o.name(),
                    d.description() != null ? text("description", d.description(), 2000) : o.description(),
                    d.url() != null ? url(d.url()) : o.url(),
                    d.events() != null ? EventPatterns.validate(d.events()) : o.events(),
                    d.headers() != null ? headers(d.headers()) : o.headers(),
                    d.secret() != null ? secret(d.secret()) : o.secret(),
                    active,
                    active ? null : o.active() ? "manual" : o.disabledReason(),
                    retryPolicy(d, o.retryPolicy()),
                    d.timeoutSeconds() != null ? timeout(d.timeoutSeconds()) : o.timeoutSeconds(),
                    active && !o.active() ? 0 : o.consecutiveFailures(),
                    o.createdAt(), now,
                    d.ordering() != null ? fifo(d.ordering()) : o.fifo(),
                    o.ack(), o.notification(),
                    d.rateLimit() == null ? o.rateLimit() : rateLimit(d.rateLimit()), o.partition());
            repository.update(c, n, o.secret(), now.plus(ROTATION_OVERLAP));
            if (n.active() && !o.active()) {
                deliveries.resumeEndpoint(c, id, now); // waiting retries go out now, not at their old schedule
            }
            return n;
        });
        changed(id);
        return e;
    }

    /**
     * The hidden endpoint that carries {@code merchantId}'s notifications to {@code rawUrl}, made on first use with the
     * merchant's secret and ack rule. URL problems are reported against {@code urlField}.
     */
    public EndpointRepository.Stored notificationTarget(String merchantId, String secret, AckRule ack, String rawUrl, String urlField) {
        URI url;
        try {
            url = url(rawUrl);
        } catch (ValidationException e) {
            throw new ValidationException(urlField, e.getMessage());
        }
        String key = url.toString();
        Optional<EndpointRepository.Stored> found = jdbc.read(c -> repository.findNotificationTarget(c, merchantId, key));
        if (found.isPresent()) {
            return found.get();
        }
        Instant now = clock.instant();
        Endpoint e = new Endpoint(Ids.next("ep"), merchantId, "notify " + url.getHost(), "notify_url target", url, List.of(), Map.of(), secret,
                true, null, RetryPolicy.defaults(), DEFAULT_TIMEOUT_SECONDS, 0, now, now, false, ack, true, null);
        try {
            jdbc.inTransaction(c -> {
                repository.insert(c, e);
                return null;
            });
        } catch (StoreException ex) {
            if (!"23505".equals(ex.sqlState())) {
                throw ex;
            }
            // made concurrently by another request: use that one
        }
        EndpointRepository.Stored made = jdbc.read(c -> repository.findNotificationTarget(c, merchantId, key)).orElseThrow();
        registry.refresh(made.endpoint().id());
        return made;
    }

    /** Re-enables an endpoint and clears its failure streak; its waiting deliveries resume. */
    public Endpoint enable(String id) {
        return update(id, activeOnly(true));
    }

    /** Pauses an endpoint; nothing is dropped, its deliveries wait. */
    public Endpoint disable(String id) {
        return update(id, activeOnly(false));
    }

    public EndpointRepository.Stored get(String id) {
        return jdbc.read(c -> repository.find(c, id, false)).orElseThrow(() -> notFound(id));
    }

    public List<EndpointRepository.Stored> list(String merchantId, String afterId, int limit) {
        return jdbc.read(c -> repository.list(c, merchantId, afterId, limit));
    }

    /** Deletes an endpoint: it stops receiving, and its pending deliveries are cancelled. */
    public void delete(String id) {
        boolean deleted = jdbc.inTransaction(c -> {
            Instant now = clock.instant();
            if (!repository.softDelete(c, id, now)) {
                return false;
            }
            deliveries.cancelPending(c, id, now);
            return true;
        });
        if (!deleted) {
            throw notFound(id);
        }
        changed(id);
    }

    private void changed(String id) {
        registry.refresh(id);
        onChange.accept(id);
    }

    private static EndpointDraft activeOnly(boolean active) {
        return new EndpointDraft(null, null, null, null, null, null, null, active, null, null, null, null, null, null);
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException("no endpoint " + id);
    }

    private URI url(String raw) {
        if (raw.isBlank() || raw.length() > 2048) {
            throw new ValidationException("url", "url must be 1-2048 characters");
        }
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new ValidationException("url", "url is not a valid URL: " + e.getReason());
        }
        addressPolicy.rejectUrl(uri, httpsOnly).ifPresent(reason -> {
            throw new ValidationException("url", reason);
        });
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

    private static Map<String, String> headers(Map<String, String> h) {
        if (h.size() > 20) {
            throw new ValidationException("headers", "at most 20 custom headers");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : h.entrySet()) {
            String name = e.getKey();
            String value = e.getValue();
            if (!HEADER_NAME.matcher(name).matches()) {
                throw new ValidationException("headers." + name, "'" + name + "' is not a valid header name");
            }
            if (dev.herald.delivery.WebhookRequests.isReserved(name)) {
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
