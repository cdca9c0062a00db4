package dev.herald.sdk;

import java.util.Objects;

/**
 * One sealed value as a WeChat Pay v3 style {@code resource} object carries it:
 * {@code {"original_type", "algorithm": "AEAD_AES_256_GCM", "ciphertext", "associated_data", "nonce"}}.
 *
 * @param originalType   what was sealed; Herald puts the event type here (not authenticated by the AEAD)
 * @param algorithm      always {@value PayloadKey#ALGORITHM}
 * @param ciphertext     base64 (standard, padded) of the AES-256-GCM ciphertext followed by its 16-byte tag
 * @param associatedData the AEAD's associated data as a UTF-8 string; Herald puts the event id here
 * @param nonce          the 12-character string whose ASCII bytes are the GCM nonce
 */
public record SealedData(String originalType, String algorithm, String ciphertext, String associatedData, String nonce) {
    public SealedData {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(associatedData, "associatedData");
        Objects.requireNonNull(nonce, "nonce");
    }
}
