package dev.herald.http;

import dev.herald.support.ValidationException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * An HTTP egress proxy, {@code http://[user:password@]host[:port]} (port 80 when absent, as for any http URL), that
 * Herald asks for a {@code CONNECT} tunnel to each vetted destination address. User and password are percent-decoded
 * and sent as {@code Proxy-Authorization: Basic}.
 *
 * <p>The URL may carry a password: {@link #toString()} and every validation message leave it out (use
 * {@link #redactedUrl()} for display); problems are reported as {@link ValidationException} against {@code proxy.url}.
 */
public record ProxySettings(String url) {

    private static final String FIELD = "proxy.url";
    private static final int MAX_URL_CHARS = 2048;
    private static final int DEFAULT_PORT = 80;

    public ProxySettings {
        parse(url);
        url = url.strip();
    }

    /** The proxy's host name or IP literal (IPv6 without brackets). */
    public String host() {
        String host = parse(url).getHost();
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    /** The proxy's port: the URL's, or 80. */
    public int port() {
        int port = parse(url).getPort();
        return port == -1 ? DEFAULT_PORT : port;
    }

    /** True when the URL carries a user (and usually a password) for the proxy. */
    public boolean hasCredentials() {
        return parse(url).getRawUserInfo() != null;
    }

    /** The URL with any password replaced by {@code ***}: {@code http://user:***@host:port}. */
    public String redactedUrl() {
        URI u = parse(url);
        String user = "";
        if (u.getRawUserInfo() != null) {
            String raw = u.getRawUserInfo();
            int colon = raw.indexOf(':');
            user = (colon < 0 ? raw : raw.substring(0, colon) + ":***") + "@";
        }
        String host = u.getHost();
        return "http://" + user + host + ":" + port();
    }

    /**
     * {@code url}, which names a user and no password, with {@code password} (percent-encoded here, so it may hold any
     * character): the proxy's password given apart from its URL. Problems name {@code proxy.password}, never echoing it.
     */
    public static ProxySettings withPassword(String url, String password) {
        URI u = parse(url);
        String info = u.getRawUserInfo();
        if (info == null || info.isEmpty() || info.startsWith(":")) {
            throw new ValidationException("proxy.password", "a proxy password needs a user in proxy.url, such as http://user@proxy.internal:3128");
        }
        if (info.contains(":")) {
            throw new ValidationException("proxy.password", "give the password in proxy.url or in proxy.password, not both");
        }
        if (password.isEmpty()) {
            throw new ValidationException("proxy.password", "proxy.password may not be empty; leave it out to keep the stored one");
        }
        return new ProxySettings("http://" + info + ":" + percentEncode(password) + "@" + u.getHost() + ":" + (u.getPort() == -1 ? DEFAULT_PORT : u.getPort()));
    }

    /**
     * The stored proxy {@code current} when this one is the same user at the same host and port with no password of its
     * own (a URL as {@link #redactedUrl()} shows it, less {@code :***}): a stored password is kept, but only for the
     * proxy it was given for. Otherwise this proxy as it is.
     */
    public ProxySettings keepingPasswordOf(ProxySettings current) {
        String info = parse(url).getRawUserInfo();
        if (current == null || info == null || info.contains(":")) {
            return this;
        }
        String stored = parse(current.url).getRawUserInfo();
        int colon = stored == null ? -1 : stored.indexOf(':');
        boolean same = colon > 0 && stored.substring(0, colon).equals(info) && host().equalsIgnoreCase(current.host()) && port() == current.port();
        return same ? current : this;
    }

    private static String percentEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    /** The {@code Proxy-Authorization} header value, or null without credentials. */
    String authorization() {
        String userInfo = parse(url).getUserInfo(); // percent-decoded
        if (userInfo == null) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ProxySettings[url=" + redactedUrl() + "]";
    }

    /** Parses and checks {@code text}; messages never echo it, since it may hold a password. */
    private static URI parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ValidationException(FIELD, "proxy.url is required, such as http://proxy.internal:3128");
        }
        if (text.length() > MAX_URL_CHARS) {
            throw new ValidationException(FIELD, "proxy.url may be at most " + MAX_URL_CHARS + " characters");
        }
        URI u;
        try {
            u = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new ValidationException(FIELD, "proxy.url is not a valid URL (percent-encode special characters in the user and password)");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme)) {
            throw new ValidationException(FIELD, "proxy.url must be an http:// URL (Herald tunnels TLS through the proxy with CONNECT)");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new ValidationException(FIELD, "proxy.url must name a host, such as http://proxy.internal:3128");
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
            throw new ValidationException(FIELD, "proxy.url has an invalid port");
        }
        String path = u.getRawPath();
        if ((path != null && !path.isEmpty() && !"/".equals(path)) || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new ValidationException(FIELD, "proxy.url may not have a path, query or fragment");
        }
        return u;
    }
}
