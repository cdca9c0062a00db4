package dev.herald.http;

import dev.herald.support.ValidationException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Client-side TLS for one profile: a client certificate (PEM, leaf first, optionally followed by its intermediates)
 * with its unencrypted private key (PKCS#8, PKCS#1 or SEC1 PEM), the CA certificates to trust <em>instead of</em> the
 * JDK's default trust store (absent: default trust), pinned server keys (SHA-256 of the leaf certificate's
 * SubjectPublicKeyInfo, stored as standard base64) and the minimum protocol version ({@code TLSv1.2}, the default, or
 * {@code TLSv1.3}). Blank strings count as absent. Hostname verification always stays on.
 *
 * <p>The constructor validates and canonicalises; problems are reported as {@link ValidationException} against
 * {@code tls.client_certificate}, {@code tls.client_key}, {@code tls.ca_certificates},
 * {@code tls.pinned_spki_sha256[i]} or {@code tls.min_version}. An expired certificate is accepted (the server
 * decides); RSA keys under 2048 bits are not. {@link #toString()} never shows the key.
 */
public record TlsSettings(String clientCertificate, String clientKey, String caCertificates, List<String> pinnedSpkiSha256,
        String minVersion) {

    public static final String TLS_1_2 = "TLSv1.2";
    public static final String TLS_1_3 = "TLSv1.3";
    /** Largest PEM accepted for a certificate chain or key. */
    static final int MAX_PEM_CHARS = 64 * 1024;
    /** Largest CA bundle accepted, and its most certificates. */
    static final int MAX_CA_BUNDLE_CHARS = 256 * 1024;
    static final int MAX_CA_CERTIFICATES = 100;
    static final int MAX_CLIENT_CHAIN = 10;
    static final int MAX_PINS = 16;
    private static final int MIN_RSA_BITS = 2048;
    private static final TlsSettings DEFAULTS = new TlsSettings(null, null, null, List.of(), TLS_1_2);

    public TlsSettings {
        clientCertificate = blankToNull(clientCertificate);
        clientKey = blankToNull(clientKey);
        caCertificates = blankToNull(caCertificates);
        checkClientPair(clientCertificate, clientKey);
        if (caCertificates != null) {
            parseCertificates(caCertificates, "tls.ca_certificates", MAX_CA_BUNDLE_CHARS, MAX_CA_CERTIFICATES);
        }
        pinnedSpkiSha256 = canonicalPins(pinnedSpkiSha256);
        minVersion = canonicalVersion(minVersion);
    }

    /** Validates and canonicalises as the constructor does. */
    public static TlsSettings of(String clientCertificate, String clientKey, String caCertificates, List<String> pinnedSpkiSha256,
            String minVersion) {
        return new TlsSettings(clientCertificate, clientKey, caCertificates, pinnedSpkiSha256, minVersion);
    }

    /** No client certificate, default trust, no pins, TLS 1.2 or newer. */
    public static TlsSettings defaults() {
        return DEFAULTS;
    }

    /** Returns these settings presenting {@code certificatePem} (leaf first) with its {@code keyPem}; both null to remove. */
    public TlsSettings withClientCertificate(String certificatePem, String keyPem) {
        return new TlsSettings(certificatePem, keyPem, caCertificates, pinnedSpkiSha256, minVersion);
    }

    /** Returns these settings trusting only {@code pem}'s certificates ({@code null}: the JDK default trust store). */
    public TlsSettings withCaCertificates(String pem) {
        return new TlsSettings(clientCertificate, clientKey, pem, pinnedSpkiSha256, minVersion);
    }

    /** Returns these settings requiring the server key to be one of {@code pins} (hex or base64 SHA-256; empty: no pinning). */
    public TlsSettings withPinnedSpkiSha256(List<String> pins) {
        return new TlsSettings(clientCertificate, clientKey, caCertificates, pins, minVersion);
    }

    /** Returns these settings with {@code version} ({@code TLSv1.2} or {@code TLSv1.3}) as the lowest protocol allowed. */
    public TlsSettings withMinVersion(String version) {
        return new TlsSettings(clientCertificate, clientKey, caCertificates, pinnedSpkiSha256, version);
    }

    /** True when a client certificate and its key are configured. */
    public boolean hasClientKey() {
        return clientKey != null;
    }

    /** The client certificate chain, leaf first (empty without one). */
    List<X509Certificate> clientChain() {
        return clientCertificate == null ? List.of() : Pem.certificates(clientCertificate, MAX_CLIENT_CHAIN);
    }

    /** The client private key, or null. */
    PrivateKey privateKey() {
        return clientKey == null ? null : Pem.privateKey(clientKey, clientChain().getFirst().getPublicKey().getAlgorithm());
    }

    /** The CA certificates to trust instead of the default trust store (empty: default trust). */
    List<X509Certificate> trustedCertificates() {
        return caCertificates == null ? List.of() : Pem.certificates(caCertificates, MAX_CA_CERTIFICATES);
    }

    @Override
    public String toString() {
        return "TlsSettings[clientCertificate=" + (clientCertificate == null ? "none" : "present")
                + ", clientKey=" + (clientKey == null ? "none" : "***")
                + ", caCertificates=" + (caCertificates == null ? "default" : "present")
                + ", pinnedSpkiSha256=" + pinnedSpkiSha256 + ", minVersion=" + minVersion + "]";
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static void checkClientPair(String certificate, String key) {
        X509Certificate leaf = certificate == null ? null
                : parseCertificates(certificate, "tls.client_certificate", MAX_PEM_CHARS, MAX_CLIENT_CHAIN).getFirst();
        if (certificate == null && key == null) {
            return;
        }
        if (key == null) {
            throw new ValidationException("tls.client_key", "tls.client_key is required with tls.client_certificate");
        }
        if (certificate == null) {
            throw new ValidationException("tls.client_key", "tls.client_key needs its tls.client_certificate");
        }
        if (key.length() > MAX_PEM_CHARS) {
            throw new ValidationException("tls.client_key", "tls.client_key may be at most " + MAX_PEM_CHARS + " characters");
        }
        PrivateKey privateKey;
        try {
            privateKey = Pem.privateKey(key, leaf.getPublicKey().getAlgorithm());
        } catch (IllegalArgumentException e) {
            throw new ValidationException("tls.client_key", "tls.client_key: " + e.getMessage());
        }
        if (privateKey instanceof RSAKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new ValidationException("tls.client_key", "tls.client_key: RSA keys must have at least " + MIN_RSA_BITS + " bits");
        }
        if (!matches(privateKey, leaf)) {
            throw new ValidationException("tls.client_key", "tls.client_key does not belong to the public key of tls.client_certificate");
        }
    }

    private static List<X509Certificate> parseCertificates(String pem, String field, int maxChars, int maxCount) {
        if (pem.length() > maxChars) {
            throw new ValidationException(field, field + " may be at most " + maxChars + " characters");
        }
        try {
            return Pem.certificates(pem, maxCount);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(field, field + ": " + e.getMessage());
        }
    }

    /** True when {@code key} signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> throw new ValidationException("tls.client_key", "tls.client_key: unsupported key algorithm " + key.getAlgorithm()
                    + " (RSA, EC and Ed25519 are accepted)");
        };
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static List<String> canonicalPins(List<String> pins) {
        if (pins == null || pins.isEmpty()) {
            return List.of();
        }
        if (pins.size() > MAX_PINS) {
            throw new ValidationException("tls.pinned_spki_sha256", "tls.pinned_spki_sha256 may list at most " + MAX_PINS + " pins");
        }
        Set<String> canonical = new LinkedHashSet<>();
        for (int i = 0; i < pins.size(); i++) {
            byte[] digest = decodePin(pins.get(i));
            if (digest == null || digest.length != 32) {
                throw new ValidationException("tls.pinned_spki_sha256[" + i + "]", "a pin is the SHA-256 of the server's public key"
                        + " (SubjectPublicKeyInfo), 64 hex digits or base64 of 32 bytes");
            }
            canonical.add(Base64.getEncoder().encodeToString(digest));
        }
        return List.copyOf(canonical);
    }

    private static byte[] decodePin(String pin) {
        if (pin == null || pin.length() > 200) {
            return null;
        }
        String p = pin.strip();
        if (p.regionMatches(true, 0, "sha256/", 0, 7)) {
            p = p.substring(7);
        }
        String hex = p.replace(":", "");
        if (hex.length() == 64 && hex.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
            return HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
        }
        try {
            return p.indexOf('-') >= 0 || p.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(p) : Base64.getDecoder().decode(p);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String canonicalVersion(String version) {
        if (version == null || version.isBlank()) {
            return TLS_1_2;
        }
        return switch (version.strip().toLowerCase(Locale.ROOT)) {
            case "tlsv1.2" -> TLS_1_2;
            case "tlsv1.3" -> TLS_1_3;
            default -> throw new ValidationException("tls.min_version", "tls.min_version is TLSv1.2 or TLSv1.3");
        };
    }
}
