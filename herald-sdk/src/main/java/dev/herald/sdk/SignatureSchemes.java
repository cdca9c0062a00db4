package dev.herald.sdk;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The signature schemes one endpoint's requests carry: a non-empty list without duplicates, in the order configured
 * (which is the order reported back; the headers do not depend on it). {@link #DEFAULT} is {@code ["sha256", "v1"]},
 * what every endpoint was signed with before schemes were configurable.
 */
public record SignatureSchemes(List<SignatureScheme> schemes) {

    /** {@code ["sha256", "v1"]}: the classic header and Standard Webhooks HMAC. */
    public static final SignatureSchemes DEFAULT = new SignatureSchemes(List.of(SignatureScheme.SHA256, SignatureScheme.V1));

    /** @throws IllegalArgumentException if {@code schemes} is empty or names a scheme twice */
    public SignatureSchemes {
        Objects.requireNonNull(schemes, "schemes");
        schemes = List.copyOf(schemes);
        if (schemes.isEmpty()) {
            throw new IllegalArgumentException("at least one signature scheme is required");
        }
        if (EnumSet.copyOf(schemes).size() != schemes.size()) {
            throw new IllegalArgumentException("a signature scheme is listed twice: " + schemes);
        }
    }

    /**
     * Parses scheme names such as {@code ["sha256", "v1", "v1a", "rsa-sha256"]} (exact, case-sensitive).
     *
     * @throws IllegalArgumentException if the list is null or empty, a name is null or unknown, or a name repeats
     */
    public static SignatureSchemes parse(List<String> names) {
        if (names == null) {
            throw new IllegalArgumentException("signature schemes must be a list of names");
        }
        List<SignatureScheme> out = new ArrayList<>(names.size());
        for (String name : names) {
            if (name == null) {
                throw new IllegalArgumentException("a signature scheme name is null");
            }
            out.add(SignatureScheme.fromWireName(name));
        }
        return new SignatureSchemes(out);
    }

    /** True when requests are signed with {@code scheme}. */
    public boolean has(SignatureScheme scheme) {
        return schemes.contains(scheme);
    }

    /** The scheme names in configured order, e.g. {@code ["sha256", "v1"]}. */
    public List<String> names() {
        return schemes.stream().map(SignatureScheme::wireName).toList();
    }

    /** True when a shared HMAC secret signs ({@code sha256} or {@code v1}). */
    public boolean needsSecret() {
        return has(SignatureScheme.SHA256) || has(SignatureScheme.V1);
    }

    /** The asymmetric key algorithms these schemes need a signing key of (empty for HMAC-only schemes). */
    public Set<KeyAlgorithm> keyAlgorithms() {
        Set<KeyAlgorithm> out = EnumSet.noneOf(KeyAlgorithm.class);
        for (SignatureScheme s : schemes) {
            if (s.keyAlgorithm() != null) {
                out.add(s.keyAlgorithm());
            }
        }
        return out;
    }

    /** True when the Standard Webhooks {@code webhook-id} and {@code webhook-timestamp} headers are sent (any scheme but {@code sha256}). */
    public boolean sendsStandardHeaders() {
        return has(SignatureScheme.V1) || has(SignatureScheme.V1A) || has(SignatureScheme.RSA_SHA256);
    }
}
