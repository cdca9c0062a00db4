package dev.herald.http;

import dev.herald.support.ValidationException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How Herald connects for one merchant or endpoint: the private networks (CIDRs) its receivers may live in besides
 * public addresses, whether only https is allowed, client TLS settings and an egress proxy ({@code null}: the node's
 * egress proxy, if any). A {@code null} profile on a request means the node's defaults.
 *
 * <p>The constructor validates and canonicalises: networks are stored as {@code address/prefix} with host bits cleared
 * and IPv6 in RFC 5952 form (a bare address becomes a /32 or /128), duplicates dropped; at most
 * {@value #MAX_PRIVATE_NETWORKS}, none wider than /8 (IPv4) or /16 (IPv6). Problems are reported as
 * {@link ValidationException} against {@code private_networks} or {@code private_networks[i]}. Cloud metadata
 * addresses stay unreachable even inside a listed network.
 */
public record OutboundProfile(List<String> privateNetworks, boolean httpsOnly, TlsSettings tls, ProxySettings proxy) {

    /** Most networks one profile may list. */
    public static final int MAX_PRIVATE_NETWORKS = 32;
    private static final int MIN_PREFIX_V4 = 8;
    private static final int MIN_PREFIX_V6 = 16;
    private static final String CIDR_FORM = "a private network is an IPv4 or IPv6 address or CIDR such as 10.20.0.0/16 or fd00:1::/48";

    public OutboundProfile {
        privateNetworks = canonicalNetworks(privateNetworks);
        tls = tls == null ? TlsSettings.defaults() : tls;
    }

    /** No private networks, http and https, default TLS, the node's egress proxy. */
    public static OutboundProfile defaults() {
        return new OutboundProfile(List.of(), false, TlsSettings.defaults(), null);
    }

    /** Returns this profile allowing {@code networks} (validated as by the constructor). */
    public OutboundProfile withPrivateNetworks(List<String> networks) {
        return new OutboundProfile(networks, httpsOnly, tls, proxy);
    }

    /** Returns this profile with https required ({@code true}) or not. */
    public OutboundProfile withHttpsOnly(boolean required) {
        return new OutboundProfile(privateNetworks, required, tls, proxy);
    }

    /** Returns this profile with {@code settings} ({@code null}: defaults). */
    public OutboundProfile withTls(TlsSettings settings) {
        return new OutboundProfile(privateNetworks, httpsOnly, settings, proxy);
    }

    /** Returns this profile sending through {@code settings} ({@code null}: the node's egress proxy, if any). */
    public OutboundProfile withProxy(ProxySettings settings) {
        return new OutboundProfile(privateNetworks, httpsOnly, tls, settings);
    }

    private static List<String> canonicalNetworks(List<String> networks) {
        if (networks == null || networks.isEmpty()) {
            return List.of();
        }
        if (networks.size() > MAX_PRIVATE_NETWORKS) {
            throw new ValidationException("private_networks", "private_networks may list at most " + MAX_PRIVATE_NETWORKS + " networks");
        }
        Set<String> canonical = new LinkedHashSet<>();
        for (int i = 0; i < networks.size(); i++) {
            canonical.add(canonicalCidr(networks.get(i), "private_networks[" + i + "]"));
        }
        return List.copyOf(canonical);
    }

    /** Returns {@code text} as a canonical CIDR, or throws naming {@code field}. */
    static String canonicalCidr(String text, String field) {
        if (text == null || text.isBlank() || text.length() > 64) {
            throw new ValidationException(field, CIDR_FORM);
        }
        String s = text.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        boolean v6 = address.indexOf(':') >= 0;
        byte[] bytes = v6 ? (address.indexOf('%') >= 0 ? null : AddressPolicy.parseV6(address)) : AddressPolicy.parseDottedQuad(address);
        if (bytes == null) {
            throw new ValidationException(field, CIDR_FORM);
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(p) > bits) {
                throw new ValidationException(field, CIDR_FORM);
            }
            prefix = Integer.parseInt(p);
        }
        int min = v6 ? MIN_PREFIX_V6 : MIN_PREFIX_V4;
        if (prefix < min) {
            throw new ValidationException(field, "a private network may be at most a /" + MIN_PREFIX_V4 + " (IPv4) or a /"
                    + MIN_PREFIX_V6 + " (IPv6)");
        }
        for (int bit = prefix; bit < bits; bit++) { // clear host bits
            bytes[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
        }
        return (v6 ? formatV6(bytes) : formatV4(bytes)) + "/" + prefix;
    }

    private static String formatV4(byte[] b) {
        return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    /** RFC 5952 text: lower-case hex, no leading zeros, the longest run of two or more zero groups as "::". */
    static String formatV6(byte[] b) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append(i == 0 ? "::" : ":");
                i += bestLength - 1;
                continue;
            }
            text.append(Integer.toHexString(groups[i]));
            if (i < 7) {
                text.append(':');
            }
        }
        return text.toString();
    }
}
