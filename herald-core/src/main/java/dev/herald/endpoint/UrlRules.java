package dev.herald.endpoint;

import dev.herald.http.AddressPolicy;
import dev.herald.http.OutboundProfile;
import dev.herald.support.ValidationException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The URLs a merchant's receivers may have: host patterns ({@code api.shop.example}, {@code *.shop.example} — any
 * subdomain, not the domain itself — each optionally with {@code :port}, which then is the only port allowed; none:
 * any host), {@code https_only}, and the private networks (CIDRs) its bank-internal receivers may use, which the
 * address guard allows at connect time besides public addresses.
 */
public record UrlRules(List<String> hosts, boolean httpsOnly, List<String> privateNetworks) {
    /** No rules: any public host, http or https. */
    public static final UrlRules NONE = new UrlRules(List.of(), false, List.of());
    private static final int MAX_ENTRIES = 100;
    /** Cloud metadata services (AWS, GCP, Azure; AWS over IPv6): never reachable, whatever a merchant's networks say. */
    private static final List<InetAddress> METADATA = List.of(literal("169.254.169.254"), literal("fd00:ec2::254"));
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\\d{1,5})?");

    public UrlRules {
        hosts = List.copyOf(hosts);
        privateNetworks = List.copyOf(privateNetworks);
    }

    /**
     * Checked rules; problems are reported against {@code url_rules.hosts[i]} and {@code url_rules.private_networks[i]}.
     * A network reaching this host (loopback in any form, see {@link AddressPolicy#reachesThisHost}) is refused unless
     * {@code thisHostAllowed} (the node allows it).
     */
    public static UrlRules of(List<String> hosts, Boolean httpsOnly, List<String> privateNetworks, boolean thisHostAllowed) {
        List<String> h = hosts == null ? List.of() : hosts.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
        if (h.size() > MAX_ENTRIES) {
            throw new ValidationException("url_rules.hosts", "url_rules may list at most " + MAX_ENTRIES + " hosts");
        }
        List<String> n;
        try { // the connect-time profile's rules: canonical form, at most 32, none wider than /8 (IPv4) or /16 (IPv6)
            n = new OutboundProfile(privateNetworks, false, null, null).privateNetworks();
        } catch (ValidationException e) {
            throw new ValidationException("url_rules." + e.field(), e.getMessage());
        }
        for (int i = 0; i < h.size(); i++) {
            String p = h.get(i);
            if (p.length() > 260 || !HOST.matcher(p).matches() || port(p) == 0 || port(p) > 65535) {
                throw new ValidationException("url_rules.hosts[" + i + "]", "a host pattern is a DNS name, optionally starting with *. and"
                        + " ending with :port, such as *.shop.example or api.shop.example:8443");
            }
        }
        for (int i = 0; i < n.size(); i++) {
            if (!thisHostAllowed && AddressPolicy.reachesThisHost(n.get(i))) {
                throw new ValidationException("url_rules.private_networks[" + i + "]", "a private network may not include loopback or this host"
                        + " (127.0.0.0/8, 0.0.0.0/8, ::1, ::, or an IPv6 form of them): those are Herald's own services; the operator may allow"
                        + " them with --allow-loopback-networks");
            }
            Cidr cidr = Cidr.parse(n.get(i), "url_rules.private_networks[" + i + "]");
            if (METADATA.stream().anyMatch(cidr::contains)) {
                throw new ValidationException("url_rules.private_networks[" + i + "]", "a private network may not include a cloud metadata address");
            }
        }
        return new UrlRules(h, httpsOnly != null && httpsOnly, n);
    }

    /** Why {@code url} breaks these rules (the scheme, host or port), or null when it keeps them. */
    public String violation(URI url) {
        if (httpsOnly && !"https".equalsIgnoreCase(url.getScheme())) {
            return "this merchant's receivers must use https";
        }
        if (hosts.isEmpty()) {
            return null;
        }
        String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
        int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        for (String p : hosts) {
            int colon = p.indexOf(':');
            String name = colon < 0 ? p : p.substring(0, colon);
            boolean hostMatches = name.startsWith("*.") ? host.endsWith(name.substring(1)) && host.length() > name.length() - 1 : host.equals(name);
            if (hostMatches && (colon < 0 || port(p) == port)) {
                return null;
            }
        }
        return "the host and port must match one of this merchant's allowed hosts " + hosts;
    }

    /** True when {@code address} lies in one of the private networks these rules allow. */
    public boolean allowsPrivate(InetAddress address) {
        for (int i = 0; i < privateNetworks.size(); i++) {
            if (Cidr.parse(privateNetworks.get(i), "private_networks").contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int port(String pattern) {
        int colon = pattern.indexOf(':');
        return colon < 0 ? -1 : Integer.parseInt(pattern.substring(colon + 1));
    }

    /** An IPv4 or IPv6 network in CIDR notation. */
    record Cidr(byte[] network, int prefix) {
        static Cidr parse(String text, String field) {
            int slash = text.indexOf('/');
            String invalid = "a private network is an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or fd00:1::/64";
            if (slash < 1 || text.length() > 50 || !text.matches("[0-9a-fA-F.:]+/\\d{1,3}")) {
                throw new ValidationException(field, invalid);
            }
            byte[] net;
            try {
                net = InetAddress.getByName(text.substring(0, slash)).getAddress(); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new ValidationException(field, invalid);
            }
            int prefix = Integer.parseInt(text.substring(slash + 1));
            if (prefix > net.length * 8) {
                throw new ValidationException(field, invalid);
            }
            return new Cidr(net, prefix);
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
