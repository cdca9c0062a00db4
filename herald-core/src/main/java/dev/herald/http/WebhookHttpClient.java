package dev.herald.http;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.herald.http.GuardedResolver.BlockedAddressException;
import dev.herald.http.ProfileClients.Route;
import dev.herald.http.ProxyTunnel.ProxyException;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Sends webhook POSTs over Jetty, enforcing the address policy at connect time and never following redirects.
 *
 * <p>Requests without a profile share one client (the node defaults). Each distinct effective {@link OutboundProfile}
 * (private networks, TLS settings, proxy; see {@link ProfileClients.Key}) gets its own client with its own connection
 * pool, TLS context and address policy, created on first use; at most {@value #DEFAULT_MAX_PROFILE_CLIENTS} are kept,
 * the least recently used idle ones being closed. A connection made for one profile is never used for another.
 *
 * <p>With a proxy (the profile's, else the node's egress proxy) Herald still resolves and vets the destination itself
 * and asks the proxy for a {@code CONNECT} to the vetted address; see {@link ProxyTunnel}.
 */
public final class WebhookHttpClient implements AutoCloseable {

    /** Most profile clients kept open at once. */
    public static final int DEFAULT_MAX_PROFILE_CLIENTS = 64;
    static final int MAX_EXCERPT_BYTES = 4096;
    static final int MAX_HEADERS = 50;
    static final int MAX_HEADER_VALUE_CHARS = 1024;
    /** Jetty exception messages can embed whole connection dumps; keep stored messages short. */
    private static final int MAX_ERROR_MESSAGE_CHARS = 300;
    private static final long IDLE_TIMEOUT_MS = 60_000;
    /**
     * Extra wait beyond the request's own timeout for Jetty to report it, after which the try is ended here: the timeout
     * bounds the try even where Jetty's does not (a receiver sending endless {@code 100 Continue} interim answers).
     */
    private static final long COMPLETION_GRACE_MS = 200;
    /** A Jetty object's identity ("HttpConnectionOverHTTP@1a2b3c[…"): the start of a dump naming socket addresses. */
    private static final Pattern OBJECT_DUMP = Pattern.compile("(?:\\w+\\.)*\\w+@[0-9a-f]{4,}(?=[\\[({:]|$)");
    /** Text shaped like an IPv6 address (validated before redacting). */
    private static final String IPV6_TEXT =
            "(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[\\w.-]+)?"; // dotted tail first
    /** An IPv6 address bracketed with an optional port (group 1), or bare (group 2). */
    private static final Pattern IPV6 = Pattern.compile(
            "\\[(" + IPV6_TEXT + ")](?::\\d{1,5})?|(?<![\\w:.\\[])(" + IPV6_TEXT + ")");
    /** A dotted-quad IPv4 address with an optional port. */
    private static final Pattern IPV4 = Pattern.compile("(?<![\\w.])\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{1,5})?(?!\\d)");
    private static final String REDACTED_ADDRESS = "[address]";
    /** Framing and routing headers that callers may not override. */
    private static final Set<String> RESERVED_HEADERS =
            Set.of("host", "content-length", "transfer-encoding", "connection", "content-type");

    private final OutboundConfig config;
    private final Clock clock;
    private final Route defaultRoute;
    private final ProfileClients.Key defaultKey;
    private final ProfileClients profiles;
    private final ExecutorService virtualThreads;

    private WebhookHttpClient(OutboundConfig config, Clock clock, Route defaultRoute, int maxProfileClients,
            ExecutorService virtualThreads) {
        this.config = config;
        this.clock = clock;
        this.defaultRoute = defaultRoute;
        this.defaultKey = ProfileClients.Key.of(null, config);
        this.virtualThreads = virtualThreads;
        this.profiles = new ProfileClients(maxProfileClients, this::newProfileRoute, virtualThreads);
    }

    /** Creates and starts a client for {@code config}; timestamps come from {@code clock}. */
    public static WebhookHttpClient create(OutboundConfig config, Clock clock) {
        return create(config, clock, DEFAULT_MAX_PROFILE_CLIENTS);
    }

    /** As {@link #create(OutboundConfig, Clock)}, keeping at most {@code maxProfileClients} profile clients. */
    static WebhookHttpClient create(OutboundConfig config, Clock clock, int maxProfileClients) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
        AddressPolicy policy = AddressPolicy.create(config.allowPrivateAddresses());
        ExecutorService virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("herald-http");
        pool.setVirtualThreadsExecutor(virtualThreads);

        HttpClient http = new HttpClient();
        http.setName("herald-webhooks");
        http.setExecutor(pool);
        http.setSslContextFactory(new SslContextFactory.Client()); // default trust store, hostname verification on
        configure(http, config, policy, virtualThreads);
        try {
            http.start();
        } catch (Exception e) {
            virtualThreads.shutdownNow();
            throw new IllegalStateException("cannot start HTTP client", e);
        }
        http.getContentDecoderFactories().clear(); // raw response bytes, no Accept-Encoding
        Transport transport = config.egressProxy() == null ? null
                : new ProxyTunnel(config.egressProxy(), null, config.connectTimeout(), virtualThreads);
        return new WebhookHttpClient(config, clock, new Route(policy, http, transport), maxProfileClients, virtualThreads);
    }

    private static void configure(HttpClient http, OutboundConfig config, AddressPolicy policy, ExecutorService virtualThreads) {
        http.setSocketAddressResolver(new GuardedResolver(policy, virtualThreads));
        http.setFollowRedirects(false);
        http.setHttpCookieStore(new HttpCookieStore.Empty());
        http.setMaxConnectionsPerDestination(config.maxConnectionsPerDestination());
        http.setConnectTimeout(config.connectTimeout().toMillis());
        http.setIdleTimeout(IDLE_TIMEOUT_MS);
        http.setUserAgentField(null);
    }

    /**
     * A started client for {@code profile}: its own pool, TLS context and address policy, sharing the default client's
     * threads, scheduler and buffers. A merchant's own proxy must be reachable under the profile's policy.
     */
    private Route newProfileRoute(OutboundProfile profile) {
        AddressPolicy policy = AddressPolicy.create(config.allowPrivateAddresses(), config.allowLoopbackNetworks(), profile);
        HttpClient shared = defaultRoute.http();
        HttpClient http = new HttpClient();
        http.setName("herald-webhooks-profile");
        http.setExecutor(shared.getExecutor()); // already running, so not stopped with this client
        http.setScheduler(shared.getScheduler());
        http.setByteBufferPool(shared.getByteBufferPool());
        http.setSslContextFactory(ProfileTls.factory(profile.tls()));
        configure(http, config, policy, virtualThreads);
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client of a profile", e);
        }
        http.getContentDecoderFactories().clear();
        Transport transport = null;
        if (profile.proxy() != null) {
            transport = new ProxyTunnel(profile.proxy(), policy, config.connectTimeout(), virtualThreads);
        } else if (config.egressProxy() != null) {
            transport = new ProxyTunnel(config.egressProxy(), null, config.connectTimeout(), virtualThreads);
        }
        return new Route(policy, http, transport);
    }

    /** The number of profile clients currently open (not counting the default client). */
    int profileClientCount() {
        return profiles.size();
    }

    /** The number of profile clients closed so far, by eviction or shutdown. */
    int profileClientsClosed() {
        return profiles.closedCount();
    }

    /**
     * Sends one POST and blocks (callers run on virtual threads) for at most the request's timeout (and a moment's grace),
     * whatever the receiver sends meanwhile. Never throws for network/HTTP problems: they become the AttemptResult. Reads
     * the status, headers and at most the first {@value #MAX_EXCERPT_BYTES} body bytes; a longer body is left unread and
     * its connection closed, and the try still counts as that response. The request's profile chooses the client, the
     * private networks allowed and whether https is required (besides the node's rule).
     */
    public AttemptResult send(OutboundRequest request) {
        OutboundProfile profile = request.profile();
        if (profile == null) {
            return send(request, defaultRoute, config.httpsOnly());
        }
        boolean httpsOnly = config.httpsOnly() || profile.httpsOnly();
        ProfileClients.Key key = ProfileClients.Key.of(profile, config);
        if (key.equals(defaultKey)) {
            return send(request, defaultRoute, httpsOnly);
        }
        ProfileClients.Entry entry;
        try {
            entry = profiles.acquire(key, profile);
        } catch (RuntimeException e) {
            return AttemptResult.failed(clock.instant(), Duration.ZERO, ErrorClass.NETWORK,
                    "cannot set up the outbound profile: " + describe(e));
        }
        try {
            return send(request, entry.route(), httpsOnly);
        } finally {
            profiles.release(entry);
        }
    }

    private AttemptResult send(OutboundRequest request, Route route, boolean httpsOnly) {
        Instant startedAt = clock.instant();
        long startNanos = System.nanoTime();
        Optional<AddressPolicy.Rejection> rejection = route.policy().check(request.url(), httpsOnly);
        if (rejection.isPresent()) {
            return AttemptResult.failed(startedAt, since(startNanos), rejection.get().kind(), rejection.get().reason());
        }
        BodyCollector collector = new BodyCollector();
        Request jettyRequest;
        try {
            jettyRequest = newRequest(route, request).onResponseContent(collector);
        } catch (RuntimeException e) { // URL Jetty cannot use
            return AttemptResult.failed(startedAt, since(startNanos), ErrorClass.INVALID_URL, describe(e));
        }
        jettyRequest.send(collector.completion::complete);

        Result result;
        try {
            result = collector.completion.get(request.timeout().toMillis() + COMPLETION_GRACE_MS, MILLISECONDS);
        } catch (TimeoutException e) {
            jettyRequest.abort(e);
            return AttemptResult.failed(startedAt, since(startNanos), ErrorClass.TIMEOUT,
                    "no final response within the timeout of " + request.timeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            jettyRequest.abort(e);
            Thread.currentThread().interrupt();
            return AttemptResult.failed(startedAt, since(startNanos), ErrorClass.NETWORK, "interrupted");
        } catch (ExecutionException e) { // not produced: the future only completes normally
            return AttemptResult.failed(startedAt, since(startNanos), ErrorClass.NETWORK, describe(e.getCause()));
        }
        if (result.isFailed() && !collector.stoppedAtExcerpt(result)) {
            Throwable failure = result.getFailure();
            return AttemptResult.failed(startedAt, since(startNanos), classify(failure), describe(failure));
        }
        Response response = result.getResponse();
        return new AttemptResult(startedAt, since(startNanos), response.getStatus(), null, null,
                collector.excerpt(), headerMap(response.getHeaders()));
    }

    private Request newRequest(Route route, OutboundRequest request) {
        String contentType = request.headers().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("content-type"))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse("application/json");
        Request jettyRequest = route.http().newRequest(request.url());
        if (route.transport() != null) {
            jettyRequest.transport(route.transport());
        }
        return jettyRequest
                .method(HttpMethod.POST)
                .timeout(Math.max(1, request.timeout().toMillis()), MILLISECONDS)
                .headers(h -> {
                    h.put(HttpHeader.USER_AGENT, config.userAgent());
                    request.headers().forEach((name, value) -> {
                        if (!RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                            h.put(name, value);
                        }
                    });
                })
                .body(new BytesRequestContent(contentType, request.body()));
    }

    /** Maps a Jetty failure to an error class by the most specific cause found in its chain. */
    static ErrorClass classify(Throwable failure) {
        if (hasCause(failure, BlockedAddressException.class::isInstance)) {
            return ErrorClass.BLOCKED_ADDRESS;
        }
        if (hasCause(failure, ProxyException.class::isInstance)) {
            return ErrorClass.PROXY;
        }
        if (hasCause(failure, SSLException.class::isInstance)) {
            return ErrorClass.TLS;
        }
        if (hasCause(failure, TimeoutException.class::isInstance)) { // Jetty's total and idle timeouts
            return ErrorClass.TIMEOUT;
        }
        if (hasCause(failure, t -> t instanceof ConnectException || t instanceof NoRouteToHostException
                || t instanceof UnknownHostException || t instanceof SocketTimeoutException)) { // Jetty's connect timeout
            return ErrorClass.CONNECT;
        }
        return ErrorClass.NETWORK;
    }

    private static boolean hasCause(Throwable failure, Predicate<Throwable> test) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (test.test(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Describes a failure for the attempt record, which the endpoint's owner sees: the root cause's message without
     * connection dumps or IP addresses (a host name's DNS answers and Herald's own addresses are internal).
     */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof BlockedAddressException) {
            return root.getMessage(); // written for the endpoint's owner
        }
        String detail = root.getMessage() == null ? "" : withoutAddresses(root.getMessage());
        String text = root.getClass().getSimpleName() + (detail.isEmpty() ? "" : ": " + detail);
        String message = root == failure ? text : failure.getClass().getSimpleName() + " caused by " + text;
        return message.length() > MAX_ERROR_MESSAGE_CHARS ? message.substring(0, MAX_ERROR_MESSAGE_CHARS) + "…" : message;
    }

    /** Cuts {@code message} before the first Jetty object dump and replaces IP addresses (with their ports) by a placeholder. */
    private static String withoutAddresses(String message) {
        Matcher dump = OBJECT_DUMP.matcher(message);
        String text = dump.find() ? message.substring(0, dump.start()).replaceAll("[\\s,:;(\\[{=>-]+$", "") : message;
        text = IPV6.matcher(text).replaceAll(m -> {
            String address = m.group(1) != null ? m.group(1) : m.group(2);
            return AddressPolicy.parseIpLiteral(address).isPresent() ? REDACTED_ADDRESS : Matcher.quoteReplacement(m.group());
        });
        return IPV4.matcher(text).replaceAll(REDACTED_ADDRESS);
    }

    /** Response headers with lower-cased names, duplicates joined, at most 50 names and 1 KiB per value. */
    static Map<String, String> headerMap(HttpFields fields) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (HttpField field : fields) {
            String name = field.getName().toLowerCase(Locale.ROOT);
            String value = field.getValue() == null ? "" : field.getValue();
            String previous = headers.get(name);
            if (previous == null && headers.size() >= MAX_HEADERS) {
                continue;
            }
            String merged = previous == null ? value : previous + ", " + value;
            headers.put(name, merged.length() > MAX_HEADER_VALUE_CHARS ? merged.substring(0, MAX_HEADER_VALUE_CHARS) : merged);
        }
        return headers;
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** Stops the Jetty clients and their threads; in-flight sends fail. */
    @Override
    public void close() {
        try {
            profiles.close();
            defaultRoute.http().stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop HTTP client", e);
        } finally {
            virtualThreads.shutdownNow();
        }
    }

    /**
     * Keeps the first {@value #MAX_EXCERPT_BYTES} body bytes and captures completion. Once the excerpt is full and the
     * body goes on, it aborts the response instead of reading the rest; the abort closes that connection, so a
     * half-read connection never returns to the pool.
     */
    private static final class BodyCollector implements Response.ContentListener {
        final CompletableFuture<Result> completion = new CompletableFuture<>();
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final ExcerptFull excerptFull = new ExcerptFull();
        private boolean aborted;

        @Override
        public void onContent(Response response, ByteBuffer content) {
            int n = Math.min(content.remaining(), MAX_EXCERPT_BYTES - kept.size());
            if (n > 0) {
                byte[] chunk = new byte[n];
                content.get(chunk);
                kept.write(chunk, 0, n);
            }
            boolean full = kept.size() == MAX_EXCERPT_BYTES;
            if (!aborted && full && (content.hasRemaining() || !endsAtExcerpt(response))) {
                aborted = true;
                response.abort(excerptFull);
            }
        }

        /** True when the declared Content-Length says the body ends exactly where the excerpt does. */
        private static boolean endsAtExcerpt(Response response) {
            return response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH) == MAX_EXCERPT_BYTES;
        }

        /** True when the exchange failed only because this collector stopped it once the excerpt was full. */
        boolean stoppedAtExcerpt(Result result) {
            return result.getResponse().getStatus() > 0
                    && result.getResponseFailure() == excerptFull
                    && (result.getRequestFailure() == null || result.getRequestFailure() == excerptFull);
        }

        String excerpt() {
            return kept.toString(StandardCharsets.UTF_8); // malformed input is replaced
        }
    }

    /** The abort cause that ends a response once its excerpt is full: not a failure of the try. */
    private static final class ExcerptFull extends Exception {
        private static final long serialVersionUID = 1L;

        ExcerptFull() {
            super("response excerpt full; rest of the body not read", null, false, false);
        }
    }
}
