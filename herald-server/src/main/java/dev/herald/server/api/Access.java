package dev.herald.server.api;

import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.web.Problem;
import io.helidon.webserver.http.ServerRequest;
import java.util.List;
import java.util.Set;

/**
 * What the caller's key may do. {@code admin} may do everything; {@code merchant:read} and {@code merchant:write} are
 * bound to one merchant and see only its resources — anything else answers 404 exactly as a missing resource would;
 * {@code events:publish} may post events and notifications (for its merchant only, when it is bound to one). A route
 * the key's scopes do not cover answers 403, which says nothing about any resource.
 */
final class Access {
    static final String ADMIN = "admin";
    static final String MERCHANT_WRITE = "merchant:write";
    static final String MERCHANT_READ = "merchant:read";
    static final String PUBLISH = "events:publish";
    /** Every scope a key may hold. */
    static final List<String> SCOPES = List.of(ADMIN, MERCHANT_WRITE, MERCHANT_READ, PUBLISH);

    private final ApiKeyStore.Key key;

    private Access(ApiKeyStore.Key key) {
        this.key = key;
    }

    /** The access of the key that authenticated {@code req} (the auth filter ran for every /v1 route). */
    static Access of(ServerRequest req) {
        return new Access(BearerAuth.key(req).orElseThrow(() -> Problem.unauthorized("a valid API key is required")));
    }

    ApiKeyStore.Key key() {
        return key;
    }

    boolean admin() {
        return key.has(ADMIN);
    }

    /** For the operator's routes (keys, merchants' controls): admin only. */
    void requireAdmin() {
        if (!admin()) {
            throw forbidden("only an admin key may do this");
        }
    }

    /** Reading merchant resources: null for admin (every merchant), else the key's merchant; 403 without a read scope. */
    String reader() {
        if (admin()) {
            return null;
        }
        if (key.merchantId() != null && (key.has(MERCHANT_READ) || key.has(MERCHANT_WRITE))) {
            return key.merchantId();
        }
        throw forbidden("this key may not read merchant resources (scope merchant:read or merchant:write needed)");
    }

    /** Changing merchant resources: null for admin, else the key's merchant; 403 without merchant:write. */
    String writer() {
        if (admin()) {
            return null;
        }
        if (key.merchantId() != null && key.has(MERCHANT_WRITE)) {
            return key.merchantId();
        }
        throw forbidden("this key may not change merchant resources (scope merchant:write needed)");
    }

    /**
     * Publishing events and notifications: null for admin or an unbound publisher (any merchant), the merchant a bound
     * publisher publishes for; 403 without events:publish.
     */
    String publisher() {
        if (admin()) {
            return null;
        }
        if (key.has(PUBLISH)) {
            return key.merchantId();
        }
        throw forbidden("this key may not publish (scope events:publish needed)");
    }

    /** The scopes a key may be made with, checked: known, merchant scopes bound to a merchant, admin unbound. */
    static List<String> checkScopes(List<String> scopes, String merchantId) {
        if (scopes == null || scopes.isEmpty()) {
            throw Problem.invalid("scopes must list at least one of " + String.join(", ", SCOPES), "scopes");
        }
        for (int i = 0; i < scopes.size(); i++) {
            if (!SCOPES.contains(scopes.get(i))) {
                throw Problem.invalid("unknown scope; scopes are " + String.join(", ", SCOPES), "scopes[" + i + "]");
            }
        }
        Set<String> set = Set.copyOf(scopes);
        if (set.contains(ADMIN) && merchantId != null) {
            throw Problem.invalid("an admin key cannot be bound to a merchant", "merchant_id");
        }
        if ((set.contains(MERCHANT_READ) || set.contains(MERCHANT_WRITE)) && merchantId == null) {
            throw Problem.invalid("merchant:read and merchant:write keys must name their merchant_id", "merchant_id");
        }
        return scopes.stream().distinct().toList();
    }

    private static Problem forbidden(String detail) {
        return Problem.forbidden(detail, null);
    }
}
