package dev.herald.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where and as whom to connect to PostgreSQL; {@code jdbcUrl} carries no credentials and {@link #toString()} never
 * shows the password. {@code applicationName} names the pool and the connections ({@code pg_stat_activity}).
 */
public record DatabaseConfig(String jdbcUrl, String user, String password, int maxPoolSize, String applicationName) {

    /** The pool size {@link #fromUrl(String)} uses. */
    public static final int DEFAULT_POOL_SIZE = 10;
    /** The application name {@link #fromUrl(String)} uses. */
    public static final String DEFAULT_APPLICATION_NAME = "herald";

    private static final String SHAPE = "database URL must look like postgresql://user@host:5432/db: ";

    public DatabaseConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql: but was " + redact(jdbcUrl));
        }
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize must be at least 1 but was " + maxPoolSize);
        }
        if (applicationName == null || !applicationName.matches("[A-Za-z0-9_.-]{1,63}")) {
            throw new IllegalArgumentException("applicationName must be 1-63 letters, digits and _.- but was " + applicationName);
        }
    }

    /**
     * Parses {@code postgresql://user:pass@host:port/db?params}, {@code postgres://…} or {@code jdbc:postgresql://…};
     * user and password may also come from the {@code user}/{@code password} query parameters (which win).
     */
    public static DatabaseConfig fromUrl(String url) {
        if (url == null || url.isBlank()) {
            throw invalid("it is empty");
        }
        String s = url.strip();
        if (s.startsWith("jdbc:")) {
            s = s.substring("jdbc:".length());
        }
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            throw invalid("it is not a valid URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("postgresql") || scheme.equals("postgres"))) {
            throw invalid("the scheme must be postgresql or postgres, not " + (scheme == null ? "missing" : scheme));
        }
        String authority = uri.getRawAuthority();
        if (uri.isOpaque() || authority == null || authority.isEmpty()) {
            throw invalid("the host is missing");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (path.length() < 2 || path.indexOf('/', 1) >= 0) {
            throw invalid("the path must be a single database name, like /herald");
        }
        int at = authority.lastIndexOf('@');
        String hostPort = authority.substring(at + 1);
        String host = hostPort;
        String portText = null;
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            if (end < 0 || (end + 1 < hostPort.length() && hostPort.charAt(end + 1) != ':')) {
                throw invalid("the IPv6 host must look like [::1]:5432");
            }
            host = hostPort.substring(0, end + 1);
            portText = end + 1 < hostPort.length() ? hostPort.substring(end + 2) : null;
        } else if (hostPort.lastIndexOf(':') >= 0) {
            host = hostPort.substring(0, hostPort.lastIndexOf(':'));
            portText = hostPort.substring(hostPort.lastIndexOf(':') + 1);
        }
        if (host.isEmpty() || host.equals("[]")) {
            throw invalid("the host is missing");
        }
        if (host.contains(",")) {
            throw invalid("only a single host is supported");
        }
        int port = 5432;
        if (portText != null && !portText.isEmpty()) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535 || !portText.chars().allMatch(Character::isDigit)) {
                throw invalid("the port must be a number from 1 to 65535, not " + portText);
            }
        }
        String user = null;
        String password = null;
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        List<String> kept = new ArrayList<>();
        if (uri.getRawQuery() != null) {
            for (String param : uri.getRawQuery().split("&")) {
                if (param.isEmpty()) {
                    continue;
                }
                int eq = param.indexOf('=');
                String name = decode(eq < 0 ? param : param.substring(0, eq));
                String value = eq < 0 ? "" : decode(param.substring(eq + 1));
                switch (name) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    default -> kept.add(param);
                }
            }
        }
        if (user == null || user.isEmpty()) {
            throw invalid("the user is missing");
        }
        String jdbcUrl = "jdbc:postgresql://" + host + ":" + port + "/" + uri.getRawPath().substring(1)
                + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
        return new DatabaseConfig(jdbcUrl, user, password, DEFAULT_POOL_SIZE, DEFAULT_APPLICATION_NAME);
    }

    /** This config with a different pool size. */
    public DatabaseConfig withMaxPoolSize(int size) {
        return new DatabaseConfig(jdbcUrl, user, password, size, applicationName);
    }

    /** This config with a different application (and pool) name. */
    public DatabaseConfig withApplicationName(String name) {
        return new DatabaseConfig(jdbcUrl, user, password, maxPoolSize, name);
    }

    @Override
    public String toString() {
        return "DatabaseConfig[jdbcUrl=" + redact(jdbcUrl) + ", user=" + user
                + ", password=" + (password == null || password.isEmpty() ? "(none)" : "****")
                + ", maxPoolSize=" + maxPoolSize + ", applicationName=" + applicationName + "]";
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)([?&]password=)[^&]*", "$1****").replaceFirst("//[^/@]*:[^/@]*@", "//****@");
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("it contains a malformed %-escape");
        }
    }

    private static IllegalArgumentException invalid(String reason) {
        return new IllegalArgumentException(SHAPE + reason);
    }
}
