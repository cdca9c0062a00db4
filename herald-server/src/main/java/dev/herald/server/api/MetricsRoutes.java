package dev.herald.server.api;

import dev.herald.web.ApiKeyStore;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: the Prometheus text exposition. On the API port it needs {@code Authorization: Bearer} with the
 * metrics key (compared in constant time) or an admin API key: no key or an unknown one answers 401, another API key
 * 403. On the metrics port ({@link #open}) it needs nothing.
 */
public final class MetricsRoutes implements HttpService {
    /** The Prometheus text format's media type. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Supplier<String> scrape;
    private final ApiKeyStore keys;
    private final byte[] metricsKeyHash;

    private MetricsRoutes(Supplier<String> scrape, ApiKeyStore keys, String metricsKey) {
        this.scrape = scrape;
        this.keys = keys;
        this.metricsKeyHash = metricsKey == null ? null : sha256(metricsKey);
    }

    /** For the API port: {@code metricsKey} (null: none) or an admin key of {@code keys} may read. */
    public static MetricsRoutes guarded(Supplier<String> scrape, ApiKeyStore keys, String metricsKey) {
        return new MetricsRoutes(scrape, java.util.Objects.requireNonNull(keys, "keys"), metricsKey);
    }

    /** For a listener on a private network: anyone who reaches it may read. */
    public static MetricsRoutes open(Supplier<String> scrape) {
        return new MetricsRoutes(scrape, null, null);
    }

    @Override
    public void routing(HttpRules r) {
        r.get("/metrics", this::metrics);
    }

    private void metrics(ServerRequest req, ServerResponse res) {
        if (keys != null) {
            String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
            String presented = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
            if (!(metricsKeyHash != null && presented != null && MessageDigest.isEqual(metricsKeyHash, sha256(presented)))) {
                Optional<ApiKeyStore.Key> key = keys.verify(presented);
                if (key.isEmpty()) {
                    res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                    Responses.problem(res, Problem.unauthorized("the metrics key or an admin API key is required: Authorization: Bearer <key>"));
                    return;
                }
                if (!key.get().has(Access.ADMIN)) {
                    Responses.problem(res, Problem.forbidden("only the metrics key or an admin key may read metrics", null));
                    return;
                }
            }
        }
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, CONTENT_TYPE);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(scrape.get().getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
