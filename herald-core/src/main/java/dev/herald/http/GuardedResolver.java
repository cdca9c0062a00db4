package dev.herald.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * Jetty resolver that yields only addresses the {@link AddressPolicy} allows, so the address checked is the
 * address connected to (no DNS-rebinding window); fails with {@link BlockedAddressException} when none remain.
 */
final class GuardedResolver implements SocketAddressResolver {

    /** Every address the host resolved to is blocked by policy. */
    static final class BlockedAddressException extends IOException {
        private static final long serialVersionUID = 1L;

        BlockedAddressException(String message) {
            super(message);
        }
    }

    private final AddressPolicy policy;
    private final Executor executor;

    GuardedResolver(AddressPolicy policy, Executor executor) {
        this.policy = policy;
        this.executor = executor;
    }

    @Override
    public void resolve(String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> promise) {
        try {
            executor.execute(() -> complete(host, port, promise));
        } catch (RuntimeException e) { // executor shut down
            promise.failed(e);
        }
    }

    private void complete(String host, int port, Promise<List<InetSocketAddress>> promise) {
        List<InetSocketAddress> allowed;
        try {
            allowed = resolveAllowed(host, port);
        } catch (Throwable t) {
            promise.failed(t);
            return;
        }
        promise.succeeded(allowed);
    }

    List<InetSocketAddress> resolveAllowed(String host, int port) throws IOException {
        Optional<InetAddress> literal = AddressPolicy.parseIpLiteral(host); // interpret odd literals like the check did
        List<InetAddress> all = literal.isPresent() ? List.of(literal.get()) : Arrays.asList(InetAddress.getAllByName(host));
        List<InetSocketAddress> allowed = all.stream()
                .filter(a -> !policy.isBlocked(a))
                .map(a -> new InetSocketAddress(a, port))
                .toList();
        if (allowed.isEmpty()) {
            // the resolved addresses are internal DNS answers and stay out of the message the endpoint's owner sees
            throw new BlockedAddressException("host " + host + " resolves only to addresses Herald may not connect to"
                    + " (private, loopback, link-local or metadata ranges)");
        }
        return allowed;
    }
}
