package dev.herald.endpoint;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Fields of an endpoint as a client sends them to create or patch one; null means "not given".
 * {@code retryPreset} and {@code retrySteps} are the two spellings of {@code retry_schedule}; {@code encryption} is
 * {@code aead_aes_256_gcm} or {@code none}; {@code tls} overrides the merchant's TLS settings.
 */
public record EndpointDraft(
        String merchantId,
        String name,
        String description,
        String url,
        List<String> events,
        Map<String, String> headers,
        String secret,
        Boolean active,
        Integer retryAttempts,
        String retryPreset,
        List<Duration> retrySteps,
        Integer timeoutSeconds,
        String ordering,
        Integer rateLimit,
        List<String> signatureSchemes,
        String encryption,
        TlsDraft tls) {

    /** A draft that leaves the signing settings unchanged (or the defaults on create). */
    public EndpointDraft(String merchantId, String name, String description, String url, List<String> events, Map<String, String> headers,
                         String secret, Boolean active, Integer retryAttempts, String retryPreset, List<Duration> retrySteps, Integer timeoutSeconds,
                         String ordering, Integer rateLimit) {
        this(merchantId, name, description, url, events, headers, secret, active, retryAttempts, retryPreset, retrySteps, timeoutSeconds, ordering,
                rateLimit, null, null, null);
    }

    /** A draft that leaves the rate limit unchanged (or unlimited on create). */
    public EndpointDraft(String merchantId, String name, String description, String url, List<String> events, Map<String, String> headers,
                         String secret, Boolean active, Integer retryAttempts, String retryPreset, List<Duration> retrySteps, Integer timeoutSeconds,
                         String ordering) {
        this(merchantId, name, description, url, events, headers, secret, active, retryAttempts, retryPreset, retrySteps, timeoutSeconds, ordering, null);
    }

    /** A draft that leaves the ordering unchanged (or {@code none} on create). */
    public EndpointDraft(String merchantId, String name, String description, String url, List<String> events, Map<String, String> headers,
                         String secret, Boolean active, Integer retryAttempts, String retryPreset, List<Duration> retrySteps, Integer timeoutSeconds) {
        this(merchantId, name, description, url, events, headers, secret, active, retryAttempts, retryPreset, retrySteps, timeoutSeconds, null);
    }
}
