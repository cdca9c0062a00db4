package dev.herald.seal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/** AES-256-GCM with a random 96-bit nonce: {@code nonce | ciphertext | 128-bit tag}. */
final class Aead {
    static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Aead() {}

    static byte[] encrypt(SecretKey key, byte[] plaintext, byte[] aad) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad);
            byte[] sealed = c.doFinal(plaintext);
            return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new SealException("AES-GCM encryption failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /** The plaintext; a wrong key, wrong associated data or altered bytes throw a SealException with {@code failure}. */
    static byte[] decrypt(SecretKey key, byte[] box, byte[] aad, String failure) {
        if (box.length < NONCE + TAG_BITS / 8) {
            throw new SealException(failure + " (too short)");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, box, 0, NONCE));
            c.updateAAD(aad);
            return c.doFinal(box, NONCE, box.length - NONCE);
        } catch (AEADBadTagException e) {
            throw new SealException(failure);
        } catch (GeneralSecurityException e) {
            throw new SealException(failure + ": " + e.getClass().getSimpleName(), e);
        }
    }
}
