package dev.herald.http;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides which destination addresses and URLs webhooks may target, so receivers cannot point Herald at
 * loopback, private, link-local, metadata or otherwise non-public networks (SSRF protection). A profile's private
 * networks open those ranges for its receivers; cloud metadata addresses stay blocked even inside them, in every IPv6
 * form embedding them (v4-mapped, v4-compatible, NAT64, 6to4, Teredo).
 */
public final class AddressPolicy {

    /** IPv4 ranges that are never public destinations. */
    private static final List<Cidr> BLOCKED_V4 = cidrs(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
            "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32");

    /** IPv6 ranges that are never public destinations (ranges embedding IPv4 are handled separately). */
    private static final List<Cidr> BLOCKED_V6 = cidrs(
            "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "100::/64", "2001:db8::/32");

    private static final Cidr V4_MAPPED = Cidr.parse("::ffff:0:0/96");
    private static final Cidr V4_COMPATIBLE = Cidr.parse("::/96");
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");
    private static final Cidr TEREDO = Cidr.parse("2001::/32");

    /** Cloud metadata services: AWS/GCP/Azure over IPv4, AWS over IPv6 (its whole fd00:ec2::/32). */
    private static final Cidr METADATA_V4 = Cidr.parse("169.254.169.254/32");
    private static final Cidr METADATA_V6 = Cidr.parse("fd00:ec2::/32");

    private final boolean allowPrivate;
    /** Private networks opened by a profile; empty for the node default. */
    private final List<Cidr> allowedNetworks;
    /** Whether {@link #allowedNetworks} may open addresses reaching this host (see {@link #reachesThisHost}). */
    private final boolean thisHostAllowed;

    private AddressPolicy(boolean allowPrivate, List<Cidr> allowedNetworks, boolean thisHostAllowed) {
        this.allowPrivate = allowPrivate;
        this.allowedNetworks = allowedNetworks;
        this.thisHostAllowed = thisHostAllowed;
    }

    /** Returns a policy blocking non-public ranges, or one blocking nothing when {@code allowPrivate} (tests, on-prem). */
    public static AddressPolicy create(boolean allowPrivate) {
        return new AddressPolicy(allowPrivate, List.of(), false);
    }

    /**
     * Returns the policy for requests sent with {@code profile} ({@code null}: node defaults): as
     * {@link #create(boolean)}, and when {@code allowPrivate} is off, addresses inside the profile's private networks
     * are allowed too, except cloud metadata addresses and, unless {@code thisHostAllowed}, addresses reaching this host
     * (a network stored before such networks were refused opens no loopback service).
     */
    public static AddressPolicy create(boolean allowPrivate, boolean thisHostAllowed, OutboundProfile profile) {
        if (allowPrivate || profile == null || profile.privateNetworks().isEmpty()) {
            return create(allowPrivate);
        }
        return new AddressPolicy(false, profile.privateNetworks().stream().map(Cidr::parse).toList(), thisHostAllowed);
    }

    /**
     * True when the network {@code cidr} (IPv4 or IPv6, {@code address/prefix}) holds an address that reaches this host:
     * loopback ({@code 127.0.0.0/8}, {@code ::1}), "this host" ({@code 0.0.0.0/8}, {@code ::}) and every IPv6 form
     * embedding those IPv4 ranges (v4-mapped, v4-compatible, NAT64, 6to4, Teredo). Those are Herald's own loopback
     * services: a merchant's private networks may not open them unless the node allows it.
     */
    public static boolean reachesThisHost(String cidr) {
        int slash = cidr.indexOf('/');
        String address = slash < 0 ? cidr : cidr.substring(0, slash);
        byte[] network = address.indexOf(':') >= 0 ? parseV6(address) : parseDottedQuad(address);
        if (network == null) {
            throw new IllegalArgumentException("not a network: " + cidr);
        }
        int prefix = slash < 0 ? network.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        return THIS_HOST.stream().anyMatch(form -> form.overlaps(network, prefix));
    }

    /** Addresses reaching this host, as fixed bits (mask) with their values; IPv6 forms embed the IPv4 ranges. */
    private static final List<Form> THIS_HOST = thisHostForms();

    /** A set of addresses: those whose bits under {@code mask} equal {@code value}'s. */
    private record Form(byte[] value, byte[] mask) {
        /** True when some address of network/prefix is in this set: no bit fixed by both differs. */
        boolean overlaps(byte[] network, int prefix) {
            if (network.length != value.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int m = 0x80 >> (bit % 8);
                if ((mask[bit / 8] & m) != 0 && ((network[bit / 8] ^ value[bit / 8]) & m) != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static List<Form> thisHostForms() {
        List<Form> forms = new ArrayList<>();
        forms.add(prefixForm(new byte[16], 127)); // :: and ::1
        for (int first : new int[] {127, 0}) { // 127.0.0.0/8, 0.0.0.0/8
            forms.add(prefixForm(new byte[] {(byte) first, 0, 0, 0}, 8));
            for (Cidr embedding : List.of(V4_MAPPED, V4_COMPATIBLE, NAT64)) {
                byte[] v = embedding.network().clone();
                v[12] = (byte) first;
                forms.add(prefixForm(v, 104));
            }
            byte[] sixToFour = SIX_TO_FOUR.network().clone();
            sixToFour[2] = (byte) first;
            forms.add(prefixForm(sixToFour, 24));
            byte[] teredo = TEREDO.network().clone(); // the client address is stored bit-inverted in the last 32 bits
            teredo[12] = (byte) ~first;
            byte[] teredoMask = new byte[16];
            Arrays.fill(teredoMask, 0, 4, (byte) 0xff);
            teredoMask[12] = (byte) 0xff;
            forms.add(new Form(teredo, teredoMask));
        }
        return List.copyOf(forms);
    }

    private static Form prefixForm(byte[] value, int prefix) {
        byte[] mask = new byte[value.length];
        for (int bit = 0; bit < prefix; bit++) {
            mask[bit / 8] |= (byte) (0x80 >> (bit % 8));
        }
        return new Form(value, mask);
    }

    /** Returns true when connecting to {@code address} is forbidden by this policy. */
    public boolean isBlocked(InetAddress address) {
        if (allowPrivate) {
            return false;
        }
        byte[] b = address.getAddress();
        boolean blocked = b.length == 4 ? isBlockedV4(b) : isBlockedV6(b);
        if (!blocked || allowedNetworks.isEmpty()) {
            return blocked;
        }
        byte[] v4 = b.length == 4 ? b : embeddedV4(b);
        if (METADATA_V4.contains(b) || METADATA_V6.contains(b) || (v4 != null && METADATA_V4.contains(v4))) {
            return true;
        }
        if (!thisHostAllowed && THIS_HOST.stream().anyMatch(form -> form.overlaps(b, b.length * 8))) {
            return true;
        }
        return allowedNetworks.stream().noneMatch(c -> c.contains(b) || (v4 != null && c.contains(v4)));
    }

    /** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4, Teredo client), or null. */
    private static byte[] embeddedV4(byte[] b) {
        if (V4_MAPPED.contains(b) || V4_COMPATIBLE.contains(b) || NAT64.contains(b)) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        if (SIX_TO_FOUR.contains(b)) {
            return Arrays.copyOfRange(b, 2, 6);
        }
        if (TEREDO.contains(b)) {
            byte[] client = Arrays.copyOfRange(b, 12, 16);
            for (int i = 0; i < 4; i++) {
                client[i] = (byte) ~client[i];
            }
            return client;
        }
        return null;
    }

    private static boolean isBlockedV4(byte[] b) {
        return BLOCKED_V4.stream().anyMatch(c -> c.contains(b));
    }

    private static boolean isBlockedV6(byte[] b) {
        byte[] v4 = embeddedV4(b); // Teredo stores the client IPv4 bit-inverted in the last 32 bits
        return v4 != null ? isBlockedV4(v4) : BLOCKED_V6.stream().anyMatch(c -> c.contains(b));
    }

    /**
     * Parses {@code host} as an IP literal in any form an HTTP stack or browser might accept (1–4 part IPv4 with
     * decimal, octal or hex parts; bracketed or bare IPv6 with embedded IPv4 and zone id); empty for a DNS name.
     */
    public static Optional<InetAddress> parseIpLiteral(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.empty();
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] bytes = h.indexOf(':') >= 0 ? parseV6(h) : parseV4(h);
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes)); // no lookup: raw address bytes
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // unreachable: length is 4 or 16
        }
    }

    /** Returns why {@code url} may not be used as a webhook target, or empty when acceptable (DNS names are checked at connect time). */
    public Optional<String> rejectUrl(URI url, boolean httpsOnly) {
        return check(url, httpsOnly).map(Rejection::reason);
    }

    /** A URL rejection with the error class an attempt should report. */
    record Rejection(ErrorClass kind, String reason) {}

    Optional<Rejection> check(URI url, boolean httpsOnly) {
        String scheme = url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme))) {
            return invalid("URL must be an absolute http or https URL");
        }
        String authority = url.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            return invalid("URL has no host");
        }
        if (url.getRawUserInfo() != null || authority.contains("@")) {
            return invalid("URL must not contain user info");
        }
        if (httpsOnly && "http".equals(scheme)) {
            return invalid("URL must use https");
        }
        // java.net.URI leaves host null for some literals (e.g. "127.1"); judge those by the authority text
        String host = url.getHost() != null ? url.getHost() : stripPort(authority);
        Optional<InetAddress> literal = parseIpLiteral(host);
        if (literal.isPresent() && isBlocked(literal.get())) {
            return Optional.of(new Rejection(ErrorClass.BLOCKED_ADDRESS,
                    "host " + host + " is the blocked address " + literal.get().getHostAddress()));
        }
        if (url.getHost() == null) {
            return invalid("URL host is not a valid host name: " + authority);
        }
        return Optional.empty();
    }

    private static String stripPort(String authority) {
        int colon = authority.lastIndexOf(':');
        return colon > authority.lastIndexOf(']') ? authority.substring(0, colon) : authority;
    }

    private static Optional<Rejection> invalid(String reason) {
        return Optional.of(new Rejection(ErrorClass.INVALID_URL, reason));
    }

    /** Parses the inet_aton / WHATWG IPv4 forms: 1–4 parts, each decimal, octal (leading 0) or hex (0x), optional trailing dot. */
    private static byte[] parseV4(String host) {
        String s = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        String[] parts = s.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long value = 0;
        for (int i = 0; i < parts.length; i++) {
            long part = parseV4Part(parts[i]);
            boolean last = i == parts.length - 1;
            long limit = last ? 1L << (8 * (4 - i)) : 256; // the last part fills all remaining bytes
            if (part < 0 || part >= limit) {
                return null;
            }
            value |= last ? part : part << (8 * (3 - i));
        }
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    /** Returns the part's numeric value, or -1 when it is not a number (or exceeds 32 bits). */
    private static long parseV4Part(String part) {
        int radix = 10;
        String digits = part;
        if (part.length() >= 2 && (part.startsWith("0x") || part.startsWith("0X"))) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() > 1 && part.charAt(0) == '0') {
            radix = 8;
            digits = part.substring(1);
        } else if (part.isEmpty()) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = asciiDigit(digits.charAt(i));
            if (d < 0 || d >= radix) {
                return -1;
            }
            value = value * radix + d;
            if (value > 0xFFFF_FFFFL) {
                return -1;
            }
        }
        return value;
    }

    /** Returns the value of an ASCII hex digit, or -1 (Character.digit would also accept non-ASCII digits). */
    private static int asciiDigit(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        int lower = c | 0x20;
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    /** Parses an RFC 4291 text IPv6 address (with "::", an optional dotted IPv4 tail and an ignored zone id). */
    static byte[] parseV6(String host) {
        int zone = host.indexOf('%');
        String s = zone >= 0 ? host.substring(0, zone) : host;
        int lastColon = s.lastIndexOf(':');
        if (s.indexOf('.', lastColon) > lastColon) { // rewrite "a.b.c.d" tail as two hex groups
            byte[] v4 = parseDottedQuad(s.substring(lastColon + 1));
            if (v4 == null) {
                return null;
            }
            s = s.substring(0, lastColon + 1) + Integer.toHexString((v4[0] & 0xff) << 8 | (v4[1] & 0xff))
                    + ":" + Integer.toHexString((v4[2] & 0xff) << 8 | (v4[3] & 0xff));
        }
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        List<Integer> head = v6Groups(gap >= 0 ? s.substring(0, gap) : s);
        List<Integer> tail = v6Groups(gap >= 0 ? s.substring(gap + 2) : "");
        if (head == null || tail == null
                || (gap >= 0 ? head.size() + tail.size() > 7 : head.size() != 8)) {
            return null;
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < head.size(); i++) {
            putGroup(bytes, i, head.get(i));
        }
        for (int i = 0; i < tail.size(); i++) {
            putGroup(bytes, 8 - tail.size() + i, tail.get(i));
        }
        return bytes;
    }

    private static List<Integer> v6Groups(String s) {
        List<Integer> groups = new ArrayList<>();
        if (s.isEmpty()) {
            return groups;
        }
        for (String g : s.split(":", -1)) {
            if (g.isEmpty() || g.length() > 4 || !g.chars().allMatch(c -> asciiDigit(c) >= 0)) {
                return null;
            }
            groups.add(Integer.parseInt(g, 16));
        }
        return groups;
    }

    private static void putGroup(byte[] bytes, int index, int group) {
        bytes[2 * index] = (byte) (group >>> 8);
        bytes[2 * index + 1] = (byte) group;
    }

    /** Strict a.b.c.d with decimal parts 0–255, as allowed inside IPv6 text. */
    static byte[] parseDottedQuad(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(p) > 255) {
                return null;
            }
            bytes[i] = (byte) Integer.parseInt(p);
        }
        return bytes;
    }

    private static List<Cidr> cidrs(String... specs) {
        return Arrays.stream(specs).map(Cidr::parse).toList();
    }

    /** An address prefix over raw address bytes. */
    private record Cidr(byte[] network, int bits) {

        static Cidr parse(String spec) {
            int slash = spec.indexOf('/');
            String address = spec.substring(0, slash);
            byte[] network = address.indexOf(':') >= 0 ? parseV6(address) : parseDottedQuad(address);
            return new Cidr(network, Integer.parseInt(spec.substring(slash + 1)));
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < bits; bit += 8) {
                int mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
                if (((address[bit / 8] ^ network[bit / 8]) & mask) != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
