package dev.herald.http;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.Transport;

/**
 * The Jetty clients of non-default outbound profiles, one per {@link Key} (what matters to a connection), created on
 * first use and bounded: beyond {@code max} the least recently used idle clients are closed. A client in use is never
 * closed, so the bound can be exceeded briefly while every client is busy.
 */
final class ProfileClients implements AutoCloseable {

    /** How one request reaches its destination: the address policy, the Jetty client and its transport (null: TCP). */
    record Route(AddressPolicy policy, HttpClient http, Transport transport) {
        void close() {
            try {
                http.stop();
            } catch (Exception e) {
                // a client that does not stop cleanly is left to the garbage collector
            }
        }
    }

    /**
     * The parts of an effective profile that change how Herald connects; profiles equal here share a client. Private
     * networks and pins compare as sets; https-only is checked per request and is not part of it.
     */
    record Key(Set<String> privateNetworks, String clientCertificate, String clientKey, String caCertificates,
            Set<String> pins, String minVersion, ProxySettings proxy, boolean proxyTrusted) {

        static Key of(OutboundProfile profile, OutboundConfig config) {
            TlsSettings tls = profile == null ? TlsSettings.defaults() : profile.tls();
            ProxySettings own = profile == null ? null : profile.proxy();
            Set<String> networks = profile == null || config.allowPrivateAddresses() ? Set.of() : Set.copyOf(profile.privateNetworks());
            return new Key(networks, tls.clientCertificate(), tls.clientKey(), tls.caCertificates(), Set.copyOf(tls.pinnedSpkiSha256()),
                    tls.minVersion(), own != null ? own : config.egressProxy(), own == null);
        }

        @Override
        public String toString() {
            return "Key[networks=" + privateNetworks + ", clientCertificate=" + (clientCertificate != null) + ", pins=" + pins
                    + ", minVersion=" + minVersion + ", proxy=" + proxy + "]"; // never the key
        }
    }

    /** A client slot; {@code inFlight} is guarded by the map's lock, creation and closing by the entry itself. */
    final class Entry {
        private final OutboundProfile profile;
        private int inFlight;
        private volatile Route route;
        private boolean closed;

        private Entry(OutboundProfile profile) {
            this.profile = profile;
        }

        /** The started client, created on first call (only entries in use are asked, and those are never closed). */
        Route route() {
            Route r = route;
            if (r != null) {
                return r;
            }
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("profile client closed");
                }
                if (route == null) {
                    route = factory.apply(profile);
                }
                return route;
            }
        }

        synchronized void close() {
            closed = true;
            if (route != null) {
                route.close();
                closedCount.incrementAndGet();
            }
        }
    }

    private final int max;
    private final Function<OutboundProfile, Route> factory;
    private final Executor closer;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;
    private final AtomicInteger closedCount = new AtomicInteger();

    ProfileClients(int max, Function<OutboundProfile, Route> factory, Executor closer) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1: " + max);
        }
        this.max = max;
        this.factory = Objects.requireNonNull(factory);
        this.closer = Objects.requireNonNull(closer);
    }

    /** Takes the client for {@code key}, creating it with {@code profile} when absent; pair with {@link #release}. */
    Entry acquire(Key key, OutboundProfile profile) {
        Entry entry;
        List<Entry> evicted;
        synchronized (entries) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            entry = entries.computeIfAbsent(key, k -> new Entry(profile));
            entry.inFlight++;
            evicted = evictIdle();
        }
        evicted.forEach(this::closeLater);
        try {
            entry.route(); // created outside the map lock: other profiles are not held up
        } catch (RuntimeException e) {
            synchronized (entries) {
                entry.inFlight--;
                entries.remove(key, entry);
            }
            throw e;
        }
        return entry;
    }

    /** Ends a use of {@code entry}; closes idle clients beyond the bound. */
    void release(Entry entry) {
        List<Entry> evicted;
        synchronized (entries) {
            entry.inFlight--;
            evicted = evictIdle();
        }
        evicted.forEach(this::closeLater);
    }

    /** The number of profile clients currently held. */
    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** How many clients have been closed so far (evicted or at shutdown). */
    int closedCount() {
        return closedCount.get();
    }

    private List<Entry> evictIdle() {
        List<Entry> evicted = new ArrayList<>();
        Iterator<Map.Entry<Key, Entry>> eldestFirst = entries.entrySet().iterator();
        while (entries.size() > max && eldestFirst.hasNext()) {
            Entry candidate = eldestFirst.next().getValue();
            if (candidate.inFlight == 0) {
                eldestFirst.remove();
                evicted.add(candidate);
            }
        }
        return evicted;
    }

    private void closeLater(Entry entry) {
        try {
            closer.execute(entry::close);
        } catch (RuntimeException e) {
            entry.close();
        }
    }

    @Override
    public void close() {
        List<Entry> all;
        synchronized (entries) {
            closed = true;
            all = new ArrayList<>(entries.values());
            entries.clear();
        }
        all.forEach(Entry::close);
    }
}
