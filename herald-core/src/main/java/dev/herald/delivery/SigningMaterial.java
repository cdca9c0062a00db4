package dev.herald.delivery;

import dev.herald.endpoint.EndpointRepository;
import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.sdk.SigningKey;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What signs (and, optionally, seals) one endpoint's requests at one moment: its schemes, its HMAC secrets and its
 * asymmetric signing keys — each list current first, then the previous one while a rotation lasts, all of which sign —
 * and its payload key, or null when its bodies go out in clear. {@link #toString()} shows no key material.
 *
 * @param schemes    the endpoint's signature schemes
 * @param secrets    HMAC secrets ({@code sha256} uses the first; {@code v1} signs with each); may be empty if no scheme needs one
 * @param keys       Ed25519 and RSA signing keys; each scheme uses the keys of its algorithm, in order
 * @param payloadKey the AEAD key sealing the event's {@code data}, or null
 */
public record SigningMaterial(SignatureSchemes schemes, List<String> secrets, List<SigningKey> keys, PayloadKey payloadKey) {

    public SigningMaterial {
        Objects.requireNonNull(schemes, "schemes");
        secrets = List.copyOf(secrets);
        keys = List.copyOf(keys);
    }

    /**
     * The material of a stored endpoint at {@code now}: its secret, and its previous secret while
     * {@code previousSecretUntil} is after {@code now}; with {@code schemes}, {@code keys} (the caller includes
     * previous keys only while their rotation lasts) and {@code payloadKey} (null = clear bodies).
     */
    public static SigningMaterial of(EndpointRepository.Stored stored, Instant now, SignatureSchemes schemes, List<SigningKey> keys,
                                     PayloadKey payloadKey) {
        String secret = stored.endpoint().secret();
        boolean rotating = stored.previousSecret() != null && stored.previousSecretUntil() != null && now.isBefore(stored.previousSecretUntil());
        return new SigningMaterial(schemes, rotating ? List.of(secret, stored.previousSecret()) : List.of(secret), keys, payloadKey);
    }

    /** The material every endpoint had before schemes were configurable: {@link SignatureSchemes#DEFAULT}, secrets only, clear bodies. */
    public static SigningMaterial hmacOnly(EndpointRepository.Stored stored, Instant now) {
        return of(stored, now, SignatureSchemes.DEFAULT, List.of(), null);
    }

    @Override
    public String toString() {
        return "SigningMaterial[schemes=" + schemes.names() + ", secrets=" + secrets.size() + ", keys=" + keys
                + ", sealed=" + (payloadKey != null) + "]";
    }
}
