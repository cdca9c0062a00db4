package dev.herald.web;

import java.io.IOException;
import java.net.BindException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * A listener could not take its address: the port is in use, a privileged port, or the host is no address of this
 * machine. The message is one line naming host and port, and what to do about it when a caller added that
 * ({@link #withHint}).
 */
public final class PortUnavailableException extends RuntimeException {
    private final String host;
    private final int port;

    private PortUnavailableException(String host, int port, String message, Throwable cause) {
        super(message, cause);
        this.host = host;
        this.port = port;
    }

    /** Why {@code host:port} could not be bound, from the failure {@code e} of a bind (or of resolving the host). */
    static PortUnavailableException of(String host, int port, IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        String reason;
        if (e instanceof UnknownHostException) {
            reason = "unknown host " + host;
        } else if (m.contains("in use")) {
            reason = "port " + port + " is already in use (another process listens on it)";
        } else if (m.contains("permission denied") || m.contains("access")) {
            reason = "permission denied (ports below 1024 need privileges)";
        } else if (m.contains("assign requested address")) {
            reason = host + " is not an address of this machine";
        } else {
            reason = e instanceof BindException ? e.getMessage() : e.toString();
        }
        return new PortUnavailableException(host, port, "cannot listen on " + host + ":" + port + ": " + reason, e);
    }

    /** A failure whose reason is not known (the server did not start and binding again succeeded). */
    static PortUnavailableException unexplained(String host, int port) {
        return new PortUnavailableException(host, port, "cannot listen on " + host + ":" + port + ": the HTTP server did not start", null);
    }

    /** This failure with {@code hint} (e.g. "choose another port with --port") after the reason. */
    public PortUnavailableException withHint(String hint) {
        return new PortUnavailableException(host, port, getMessage() + "; " + hint, getCause());
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }
}
