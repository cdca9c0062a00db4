package dev.herald.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Promise;

/**
 * Jetty transport that reaches each destination through an HTTP proxy: Jetty resolves the destination with the
 * {@link GuardedResolver} (so only vetted addresses arrive here), then this transport connects to the proxy, asks for
 * {@code CONNECT <vetted-ip>:<port>} and hands the tunnelled socket back to Jetty, which runs TLS over it with the
 * original host name for SNI, hostname verification and {@code Host}. The proxy never resolves a name for Herald.
 *
 * <p>A per-merchant proxy's own address must pass that merchant's {@code proxyPolicy}; the node's egress proxy is
 * trusted ({@code proxyPolicy} null). Proxy failures surface as {@link ProxyException}.
 */
final class ProxyTunnel extends Transport.Wrapper {

    /** The proxy was unreachable, wanted (other) credentials, or refused the tunnel. Messages never hold credentials. */
    static final class ProxyException extends IOException {
        private static final long serialVersionUID = 1L;

        ProxyException(String message) {
            super(message, null);
        }
    }

    private static final int MAX_RESPONSE_HEAD_BYTES = 8192;

    private final ProxySettings proxy;
    private final AddressPolicy proxyPolicy;
    private final Duration connectTimeout;
    private final Executor executor;

    ProxyTunnel(ProxySettings proxy, AddressPolicy proxyPolicy, Duration connectTimeout, Executor executor) {
        super(Transport.TCP_IP);
        this.proxy = proxy;
        this.proxyPolicy = proxyPolicy;
        this.connectTimeout = connectTimeout;
        this.executor = executor;
    }

    @Override
    public void connect(SocketAddress destination, Map<String, Object> context) {
        try {
            executor.execute(() -> tunnel((InetSocketAddress) destination, context));
        } catch (RuntimeException e) { // executor shut down
            fail(context, e);
        }
    }

    private void tunnel(InetSocketAddress destination, Map<String, Object> context) {
        SocketChannel channel = null;
        try {
            channel = open(destination);
            ClientConnector connector = (ClientConnector) context.get(ClientConnector.CONTEXT_KEY);
            connector.accept(channel, context); // fails the connection promise itself on error
        } catch (Throwable t) {
            closeQuietly(channel);
            fail(context, t);
        }
    }

    /** Opens a blocking tunnel to {@code destination} through the proxy; the channel is returned connected and open. */
    SocketChannel open(InetSocketAddress destination) throws IOException {
        List<InetSocketAddress> proxyAddresses = proxyAddresses();
        SocketChannel channel = null;
        IOException last = null;
        for (InetSocketAddress address : proxyAddresses) {
            channel = SocketChannel.open();
            try {
                channel.socket().connect(address, (int) connectTimeout.toMillis());
                break;
            } catch (IOException e) {
                closeQuietly(channel);
                channel = null;
                last = e;
            }
        }
        if (channel == null) {
            throw new ProxyException("cannot connect to the proxy " + proxy.host() + ":" + proxy.port()
                    + (last instanceof SocketTimeoutException ? " (timed out)" : ""));
        }
        try {
            java.net.Socket socket = channel.socket();
            socket.setSoTimeout((int) connectTimeout.toMillis());
            String target = authority(destination);
            StringBuilder head = new StringBuilder()
                    .append("CONNECT ").append(target).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(target).append("\r\n");
            String authorization = proxy.authorization();
            if (authorization != null) {
                head.append("Proxy-Authorization: ").append(authorization).append("\r\n");
            }
            head.append("\r\n");
            ByteBuffer out = ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            int status = readStatus(socket.getInputStream(), System.nanoTime() + connectTimeout.toNanos());
            if (status == 407) {
                throw new ProxyException(authorization == null
                        ? "the proxy requires credentials (407) and none are configured"
                        : "the proxy refused the configured credentials (407)");
            }
            if (status < 200 || status > 299) {
                throw new ProxyException("the proxy refused the tunnel (status " + status + ")");
            }
            socket.setSoTimeout(0);
            return channel;
        } catch (SocketTimeoutException e) {
            closeQuietly(channel);
            throw new ProxyException("the proxy did not answer the tunnel request in time");
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e instanceof ProxyException p ? p : new ProxyException("the proxy connection failed: " + e.getClass().getSimpleName());
        }
    }

    private List<InetSocketAddress> proxyAddresses() throws IOException {
        if (proxyPolicy != null) { // a merchant's proxy must be a destination that merchant may reach
            try {
                return new GuardedResolver(proxyPolicy, Runnable::run).resolveAllowed(proxy.host(), proxy.port());
            } catch (GuardedResolver.BlockedAddressException e) {
                throw new GuardedResolver.BlockedAddressException("the proxy host " + proxy.host()
                        + " resolves only to addresses Herald may not connect to (private, loopback, link-local or metadata ranges)");
            } catch (IOException e) {
                throw new ProxyException("cannot resolve the proxy host " + proxy.host());
            }
        }
        try {
            return Arrays.stream(InetAddress.getAllByName(proxy.host())).map(a -> new InetSocketAddress(a, proxy.port())).toList();
        } catch (IOException e) {
            throw new ProxyException("cannot resolve the proxy host " + proxy.host());
        }
    }

    /**
     * Reads the response head byte by byte (nothing past it: the tunnel's first bytes belong to TLS) and returns the
     * status; a proxy trickling its answer past {@code deadlineNanos} counts as not answering.
     */
    private static int readStatus(InputStream in, long deadlineNanos) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new SocketTimeoutException();
            }
            int b = in.read();
            if (b < 0) {
                throw new ProxyException("the proxy closed the connection before answering the tunnel request");
            }
            head.write(b);
            if (head.size() > MAX_RESPONSE_HEAD_BYTES) {
                throw new ProxyException("the proxy's answer to the tunnel request is too long");
            }
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String statusLine = head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
            throw new ProxyException("the proxy's answer to the tunnel request is not HTTP");
        }
        return Integer.parseInt(parts[1]);
    }

    private static String authority(InetSocketAddress destination) {
        String ip = destination.getAddress().getHostAddress();
        int zone = ip.indexOf('%');
        if (zone >= 0) {
            ip = ip.substring(0, zone);
        }
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + destination.getPort();
    }

    private static void fail(Map<String, Object> context, Throwable failure) {
        Promise<?> promise = (Promise<?>) context.get(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY);
        if (promise != null) {
            promise.failed(failure);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "ProxyTunnel[" + proxy.redactedUrl() + "]";
    }
}
