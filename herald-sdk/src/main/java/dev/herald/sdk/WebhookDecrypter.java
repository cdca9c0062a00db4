package dev.herald.sdk;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Opens the bodies of an endpoint whose payloads are sealed (WeChat Pay v3 style): the event's {@code data} arrives as
 * {@code "resource": {"original_type", "algorithm": "AEAD_AES_256_GCM", "ciphertext", "associated_data", "nonce"}},
 * sealed under the endpoint's 32-character payload key, with {@code associated_data} equal to the event id (the body's
 * {@code "id"}, also sent as {@code webhook-id}). Immutable and thread-safe.
 *
 * <p>Verify the signatures first ({@link WebhookVerifier}): they cover the sealed body as received. Then open it.
 */
public final class WebhookDecrypter {
    private final PayloadKey key;

    private WebhookDecrypter(PayloadKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /**
     * A decrypter for the 32-character payload key.
     *
     * @throws IllegalArgumentException if the key is not 32 printable ASCII characters
     */
    public static WebhookDecrypter create(String payloadKey) {
        return new WebhookDecrypter(PayloadKey.parse(payloadKey));
    }

    public static WebhookDecrypter create(PayloadKey key) {
        return new WebhookDecrypter(key);
    }

    /**
     * The event's {@code data}: the exact JSON text (UTF-8) the producer sent.
     *
     * @throws WebhookVerificationException {@link Reason#MALFORMED_BODY} if the body is not a sealed event;
     *                                      {@link Reason#DECRYPTION_FAILED} if the resource does not open under this
     *                                      key or its {@code associated_data} is not the body's {@code id} (a resource
     *                                      moved from another event)
     */
    public byte[] decryptData(byte[] body) {
        return open(body).plaintext;
    }

    /**
     * The body as the producer's event: the same bytes with the {@code "resource":{…}} member replaced, in place, by
     * {@code "data":<plaintext>}. For a Herald body this is byte for byte the event as stored before sealing.
     *
     * @throws WebhookVerificationException as {@link #decryptData(byte[])}
     */
    public byte[] unsealBody(byte[] body) {
        Opened o = open(body);
        return (o.text.substring(0, o.resource.start()) + "\"data\":" + new String(o.plaintext, StandardCharsets.UTF_8)
                + o.text.substring(o.resource.end())).getBytes(StandardCharsets.UTF_8);
    }

    private record Opened(String text, MiniJson.Member resource, byte[] plaintext) {}

    private Opened open(byte[] body) {
        Objects.requireNonNull(body, "body");
        String text;
        List<MiniJson.Member> members;
        try {
            text = PayloadKey.utf8(body);
            members = MiniJson.topLevel(text);
        } catch (IllegalArgumentException e) {
            throw new WebhookVerificationException(Reason.MALFORMED_BODY, "body is not a JSON object: " + e.getMessage());
        }
        MiniJson.Member resource = PayloadKey.member(members, "resource");
        MiniJson.Member id = PayloadKey.member(members, "id");
        if (resource == null || !(resource.value() instanceof Map<?, ?> r) || id == null || !(id.value() instanceof String eventId)) {
            throw new WebhookVerificationException(Reason.MALFORMED_BODY, "body has no \"resource\" object and string \"id\"");
        }
        if (!(r.get("ciphertext") instanceof String ct) || !(r.get("nonce") instanceof String nonce)
                || !(r.get("algorithm") instanceof String alg)) {
            throw new WebhookVerificationException(Reason.MALFORMED_BODY, "resource needs string algorithm, ciphertext and nonce");
        }
        String aad = r.get("associated_data") instanceof String a ? a : "";
        if (!aad.equals(eventId)) {
            throw new WebhookVerificationException(Reason.DECRYPTION_FAILED, "resource associated_data does not name this event's id");
        }
        String originalType = r.get("original_type") instanceof String t ? t : null;
        byte[] plaintext = key.open(new SealedData(originalType, alg, ct, aad, nonce));
        return new Opened(text, resource, plaintext);
    }

    @Override
    public String toString() {
        return "WebhookDecrypter[" + PayloadKey.ALGORITHM + "]";
    }
}
