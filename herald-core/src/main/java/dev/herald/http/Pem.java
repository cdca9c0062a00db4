package dev.herald.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM reading with the JDK alone: X.509 certificates and unencrypted private keys in PKCS#8, PKCS#1
 * ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY}) form; the latter two are rewrapped as PKCS#8.
 * Failures are {@link IllegalArgumentException}s whose messages never contain key material.
 */
final class Pem {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\R((?:[A-Za-z0-9:,\\- ]+: .*\\R)*)([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** DER of AlgorithmIdentifier {rsaEncryption, NULL}. */
    private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500");
    /** DER of OID id-ecPublicKey. */
    private static final byte[] EC_PUBLIC_KEY_OID = hex("06072a8648ce3d0201");

    private Pem() {
    }

    /** One PEM block: its label and decoded bytes; {@code encrypted} when it carries Proc-Type encryption headers. */
    record Block(String label, byte[] der, boolean encrypted) {}

    static List<Block> blocks(String text) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(3));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a " + m.group(1) + " block is not valid base64");
            }
            blocks.add(new Block(m.group(1), der, m.group(2).contains("ENCRYPTED")));
        }
        return blocks;
    }

    /** Every CERTIFICATE block of {@code text}, in order; fails when there is none or one does not parse. */
    static List<X509Certificate> certificates(String text, int max) {
        List<Block> blocks = blocks(text).stream().filter(b -> b.label().equals("CERTIFICATE")).toList();
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("expected PEM certificates (-----BEGIN CERTIFICATE-----)");
        }
        if (blocks.size() > max) {
            throw new IllegalArgumentException("at most " + max + " certificates are accepted");
        }
        List<X509Certificate> certs = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (int i = 0; i < blocks.size(); i++) {
                try {
                    certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(blocks.get(i).der())));
                } catch (CertificateException | ClassCastException e) {
                    throw new IllegalArgumentException("certificate " + (i + 1) + " is not a valid X.509 certificate");
                }
            }
        } catch (CertificateException e) {
            throw new IllegalStateException(e); // X.509 is always available
        }
        return certs;
    }

    /** The single private key in {@code text}, as an {@code algorithm} ("RSA", "EC", "Ed25519", …) key. */
    static PrivateKey privateKey(String text, String algorithm) {
        List<Block> keys = blocks(text).stream().filter(b -> b.label().endsWith("PRIVATE KEY")).toList();
        if (keys.size() != 1) {
            throw new IllegalArgumentException("expected one PEM private key (PKCS#8 BEGIN PRIVATE KEY, PKCS#1 BEGIN RSA PRIVATE KEY"
                    + " or SEC1 BEGIN EC PRIVATE KEY)");
        }
        Block key = keys.getFirst();
        if (key.encrypted() || key.label().equals("ENCRYPTED PRIVATE KEY")) {
            throw new IllegalArgumentException("encrypted private keys are not accepted; give the key unencrypted");
        }
        byte[] pkcs8 = switch (key.label()) {
            case "PRIVATE KEY" -> key.der();
            case "RSA PRIVATE KEY" -> sequence(concat(integerZero(), RSA_ALGORITHM, tlv(0x04, key.der())));
            case "EC PRIVATE KEY" -> sequence(concat(integerZero(),
                    sequence(concat(EC_PUBLIC_KEY_OID, sec1Curve(key.der()))), tlv(0x04, key.der())));
            default -> throw new IllegalArgumentException("unsupported private key type " + key.label());
        };
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("the private key is malformed or not an " + algorithm + " key");
        }
    }

    /** The named-curve OID TLV in a SEC1 ECPrivateKey's [0] parameters. */
    private static byte[] sec1Curve(byte[] der) {
        try {
            int[] seq = header(der, 0, 0x30);
            int p = seq[0];
            int end = seq[0] + seq[1];
            while (p < end) {
                int tag = der[p] & 0xff;
                int[] h = header(der, p, tag);
                if (tag == 0xa0) {
                    int[] oid = header(der, h[0], 0x06);
                    byte[] out = new byte[oid[0] + oid[1] - h[0]];
                    System.arraycopy(der, h[0], out, 0, out.length);
                    return out;
                }
                p = h[0] + h[1];
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the EC private key is malformed");
        }
        throw new IllegalArgumentException("the EC private key does not name its curve");
    }

    /** Reads the tag and length at {@code offset}; returns {content offset, content length}. */
    private static int[] header(byte[] der, int offset, int expectedTag) {
        if ((der[offset] & 0xff) != expectedTag) {
            throw new IllegalArgumentException("unexpected DER tag");
        }
        int len = der[offset + 1] & 0xff;
        int p = offset + 2;
        if (len > 0x80) {
            int n = len & 0x7f;
            if (n > 3) {
                throw new IllegalArgumentException("DER length too large");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = len << 8 | (der[p++] & 0xff);
            }
        } else if (len == 0x80) {
            throw new IllegalArgumentException("indefinite DER length");
        }
        if (p + len > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new int[] {p, len};
    }

    private static byte[] integerZero() {
        return new byte[] {0x02, 0x01, 0x00};
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >>> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >>> 16);
            out.write(len >>> 8);
            out.write(len);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
