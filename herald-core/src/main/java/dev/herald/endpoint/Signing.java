package dev.herald.endpoint;

import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.sdk.SigningKey;
import java.util.List;

/**
 * What signs and seals one endpoint's requests now: its schemes, its owner's asymmetric keys that sign at this moment
 * (current first, then those still in a rotation's overlap), and its merchant's payload key when its bodies are sealed
 * (else null). {@link #toString()} shows no key material.
 */
public record Signing(SignatureSchemes schemes, List<SigningKey> keys, PayloadKey payloadKey) {
    public Signing {
        keys = List.copyOf(keys);
    }

    @Override
    public String toString() {
        return "Signing[schemes=" + schemes.names() + ", keys=" + keys + ", sealed=" + (payloadKey != null) + "]";
    }
}
