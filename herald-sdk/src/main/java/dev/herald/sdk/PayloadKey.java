package dev.herald.sdk;

import dev.herald.sdk.WebhookVerificationException.Reason;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An endpoint's payload encryption key, WeChat Pay "APIv3 key" style: a string of exactly 32 printable ASCII
 * characters whose bytes are the AES-256 key. Seals with {@value #ALGORITHM} (RFC 5116: AES-256-GCM, 96-bit nonce,
 * 128-bit tag). Immutable and thread-safe; {@link #toString()} never shows the key.
 *
 * <h2>Nonces</h2>
 * The nonce is the 12-character string (72 bits, base64url alphabet) of the first 9 bytes of
 * {@code HMAC-SHA256(nk, len(aad) ‖ aad ‖ plaintext)}, where {@code nk = HMAC-SHA256(key, "herald payload nonce v1")}
 * and {@code len} is 4 bytes big-endian: a synthetic IV. Sealing is therefore deterministic: the same key, associated
 * data and plaintext always give the same bytes (so every retry of a delivery sends, and signs, the same resource),
 * and one nonce is only ever used again for exactly the same message, which GCM tolerates (it reveals only that the
 * message repeats). Two <em>different</em> messages share a nonce only by a 72-bit collision: with {@code n} distinct
 * messages under one key the chance is about {@code n² / 2^73} — 2^-33 at a million, 2^-25 at 16 million. Rotate an
 * endpoint's key well before ~10^6–10^7 distinct events to stay in the range NIST SP 800-38D asks for (≤ 2^-32).
 */
public final class PayloadKey {

    /** The algorithm name carried in {@code resource.algorithm}. */
    public static final String ALGORITHM = "AEAD_AES_256_GCM";

    static final int KEY_CHARS = 32;
    private static final int TAG_BITS = 128;
    private static final int NONCE_BYTES_OF_MAC = 9; // → 12 base64url characters
    private static final byte[] NONCE_LABEL = "herald payload nonce v1".getBytes(StandardCharsets.US_ASCII);
    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String encoded;
    private final SecretKeySpec aesKey;
    private final SecretKeySpec nonceKey;

    private PayloadKey(String encoded) {
        this.encoded = encoded;
        byte[] raw = encoded.getBytes(StandardCharsets.US_ASCII);
        try {
            this.aesKey = new SecretKeySpec(raw, "AES");
            byte[] nk = hmac(new SecretKeySpec(raw, "HmacSHA256"), NONCE_LABEL);
            this.nonceKey = new SecretKeySpec(nk, "HmacSHA256");
            Arrays.fill(nk, (byte) 0);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** A fresh key: 32 characters from [A-Za-z0-9] drawn from a {@link SecureRandom} (about 190 bits). */
    public static PayloadKey generate() {
        char[] out = new char[KEY_CHARS];
        for (int k = 0; k < KEY_CHARS; k++) {
            out[k] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new PayloadKey(new String(out));
    }

    /**
     * A key given as its 32-character string.
     *
     * @throws IllegalArgumentException unless the key is exactly 32 printable ASCII characters (0x21–0x7e); the message
     *                                  never contains the key
     */
    public static PayloadKey parse(String key) {
        Objects.requireNonNull(key, "key");
        if (key.length() != KEY_CHARS || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new IllegalArgumentException("a payload key is exactly 32 printable ASCII characters (its bytes are the AES-256 key)");
        }
        return new PayloadKey(key);
    }

    /** The 32-character key, to store (encrypted) and to show the merchant once. Secret. */
    public String encoded() {
        return encoded;
    }

    /**
     * Seals {@code plaintext}, binding {@code associatedData} (a UTF-8 string, may be empty). Deterministic: see the
     * class comment.
     */
    public SealedData seal(String originalType, byte[] plaintext, String associatedData) {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(associatedData, "associatedData");
        byte[] aad = associatedData.getBytes(StandardCharsets.UTF_8);
        String nonce = nonce(aad, plaintext);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding"); // a fresh Cipher: the JDK refuses a reused (key, nonce) on one instance
            c.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(TAG_BITS, nonce.getBytes(StandardCharsets.US_ASCII)));
            c.updateAAD(aad);
            return new SealedData(originalType, ALGORITHM, Base64.getEncoder().encodeToString(c.doFinal(plaintext)), associatedData, nonce);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
        }
    }

    /**
     * Opens {@code sealed}, checking its tag over the ciphertext, nonce and associated data.
     *
     * @throws WebhookVerificationException {@link Reason#DECRYPTION_FAILED} if the algorithm is not
     *                                      {@value #ALGORITHM}, the fields are malformed, or the tag does not match
     *                                      (wrong key, or anything altered)
     */
    public byte[] open(SealedData sealed) {
        Objects.requireNonNull(sealed, "sealed");
        if (!ALGORITHM.equals(sealed.algorithm())) {
            throw failed("resource algorithm is not " + ALGORITHM);
        }
        byte[] iv = sealed.nonce().getBytes(StandardCharsets.UTF_8);
        byte[] ct;
        try {
            ct = Base64.getDecoder().decode(sealed.ciphertext());
        } catch (IllegalArgumentException e) {
            throw failed("resource ciphertext is not base64");
        }
        if (iv.length == 0 || ct.length < TAG_BITS / 8) {
            throw failed("resource nonce or ciphertext is too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, aesKey, new GCMParameterSpec(TAG_BITS, iv));
            c.updateAAD(sealed.associatedData().getBytes(StandardCharsets.UTF_8));
            return c.doFinal(ct);
        } catch (AEADBadTagException e) {
            throw failed("resource does not open with this key (wrong key, or ciphertext, nonce or associated_data altered)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
        }
    }

    /**
     * Seals a Herald event body: its top-level {@code "data"} member is replaced, in place, by
     * {@code "resource":{"original_type":<event>,"algorithm":"AEAD_AES_256_GCM","ciphertext":…,"associated_data":<id>,"nonce":…}}
     * where the plaintext is the exact text of the {@code data} value, {@code <id>} the body's {@code "id"} and
     * {@code <event>} its {@code "event"} (or {@code ""} if absent). Every other byte is kept.
     *
     * @throws IllegalArgumentException if the body is not a UTF-8 JSON object with a string {@code "id"} and a
     *                                  {@code "data"} member
     */
    public byte[] sealBody(byte[] body) {
        String text = utf8(body);
        List<MiniJson.Member> members = MiniJson.topLevel(text);
        MiniJson.Member data = member(members, "data");
        if (data == null || !(member(members, "id") instanceof MiniJson.Member id && id.value() instanceof String eventId)) {
            throw new IllegalArgumentException("an event body to seal needs a string \"id\" and a \"data\" member");
        }
        String type = member(members, "event") instanceof MiniJson.Member e && e.value() instanceof String t ? t : "";
        byte[] plaintext = text.substring(data.valueStart(), data.end()).getBytes(StandardCharsets.UTF_8);
        SealedData s = seal(type, plaintext, eventId);
        String resource = "\"resource\":{\"original_type\":" + MiniJson.quote(s.originalType())
                + ",\"algorithm\":\"" + ALGORITHM + "\",\"ciphertext\":\"" + s.ciphertext()
                + "\",\"associated_data\":" + MiniJson.quote(s.associatedData()) + ",\"nonce\":\"" + s.nonce() + "\"}";
        return (text.substring(0, data.start()) + resource + text.substring(data.end())).getBytes(StandardCharsets.UTF_8);
    }

    static MiniJson.Member member(List<MiniJson.Member> members, String name) {
        for (MiniJson.Member m : members) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** Strict UTF-8 decoding: malformed input is refused, never replaced. */
    static String utf8(byte[] bytes) {
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Objects.requireNonNull(bytes, "body")));
            return cb.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("body is not valid UTF-8");
        }
    }

    private String nonce(byte[] aad, byte[] plaintext) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(nonceKey);
            mac.update(ByteBuffer.allocate(4).putInt(aad.length).array());
            mac.update(aad);
            byte[] tag = mac.doFinal(plaintext);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(tag, NONCE_BYTES_OF_MAC));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    private static byte[] hmac(SecretKeySpec key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    private static WebhookVerificationException failed(String message) {
        return new WebhookVerificationException(Reason.DECRYPTION_FAILED, message);
    }

    @Override
    public String toString() {
        return "PayloadKey[" + ALGORITHM + ", ********]";
    }
}
