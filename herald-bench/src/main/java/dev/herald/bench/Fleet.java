package dev.herald.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A merchant fleet on loopback: endpoint {@code i} is {@code http://127.0.0.1:<port>/ep/i}, answering with its
 * {@link Behaviour}. A minimal HTTP/1.1 server (keep-alive, Content-Length and chunked bodies) on blocking sockets, one
 * virtual thread per connection, so every behaviour — including a TCP reset or a response written byte by byte — is
 * exact. Each request is reported to the current {@link Sink} with its webhook-id and the {@code sent_ns} found in its body.
 * By default every endpoint listens on its own port, like distinct merchants (distinct HTTP destinations). The fleet also
 * tracks how many requests each endpoint holds at once (from the request's arrival until its answer starts), so a
 * per-endpoint in-flight cap can be checked from the receiving side.
 */
final class Fleet implements AutoCloseable {
    /** Receives one record per request, after it was answered; {@code status} 0 means no answer (reset, hang). */
    interface Sink {
        void received(int endpoint, String webhookId, long sentNs, int status, long receivedNanos);
    }

    /** Told of each request to a known endpoint as it arrives, before it is answered (arrival order, not answer order). */
    interface Arrivals {
        void arrived(int endpoint, String webhookId);
    }

    static final long NO_SENT_NS = Long.MIN_VALUE;
    private static final byte[] OK = ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    private static final byte[] FAIL = ascii("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    private static final byte[] NOT_FOUND = ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    private static final byte[] TRICKLE_HEAD = ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n");
    private static final long MAX_HANG_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final List<ServerSocket> servers;
    private final int[] ports;
    private final java.net.URI[] uris;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ExecutorService handlers;
    private final LongAdder requests = new LongAdder();
    private final LongAdder connections = new LongAdder();
    private final LongAdder bodyBytes = new LongAdder();
    private final java.util.concurrent.atomic.AtomicIntegerArray concurrent;
    private final java.util.concurrent.atomic.AtomicIntegerArray peakConcurrent;
    private volatile Behaviour[] behaviours;
    private volatile Sink sink;
    private volatile Arrivals arrivals;
    private volatile CountDownLatch hangs = new CountDownLatch(1);
    private volatile boolean closed;

    private Fleet(List<ServerSocket> servers, Behaviour[] behaviours, boolean platformThreads) {
        this.servers = servers;
        this.handlers = platformThreads
                ? Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("fleet-", 0).daemon().stackSize(256 * 1024).factory())
                : threads;
        this.ports = servers.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        this.behaviours = behaviours;
        this.uris = new java.net.URI[behaviours.length];
        this.concurrent = new java.util.concurrent.atomic.AtomicIntegerArray(behaviours.length);
        this.peakConcurrent = new java.util.concurrent.atomic.AtomicIntegerArray(behaviours.length);
        for (int i = 0; i < uris.length; i++) {
            uris[i] = java.net.URI.create(url(i));
        }
    }

    /**
     * Starts {@code endpoints} endpoints on {@code portCount} listening ports (0 = one port per endpoint), all answering fast.
     * With {@code platformThreads} each connection gets a platform thread, so the fleet does not share the virtual-thread
     * scheduler with the Herald under test.
     */
    static Fleet start(int endpoints, int portCount, boolean platformThreads) throws IOException {
        int n = portCount <= 0 ? endpoints : Math.min(portCount, endpoints);
        List<ServerSocket> servers = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket ss = new ServerSocket();
                ss.setReuseAddress(true);
                ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
                servers.add(ss);
            }
        } catch (IOException e) {
            for (ServerSocket ss : servers) {
                ss.close();
            }
            throw e;
        }
        Behaviour[] all = new Behaviour[endpoints];
        Arrays.fill(all, new Behaviour.Fast());
        Fleet fleet = new Fleet(servers, all, platformThreads);
        servers.forEach(ss -> fleet.threads.execute(() -> fleet.acceptLoop(ss)));
        return fleet;
    }

    int size() {
        return behaviours.length;
    }

    int portCount() {
        return ports.length;
    }

    String url(int endpoint) {
        return "http://127.0.0.1:" + ports[endpoint % ports.length] + "/ep/" + endpoint;
    }

    java.net.URI uri(int endpoint) {
        return uris[endpoint];
    }

    Behaviour behaviour(int endpoint) {
        return behaviours[endpoint];
    }

    /** Sets every endpoint's behaviour (same length as the fleet) and re-arms hanging. */
    void behaviours(Behaviour[] next) {
        if (next.length != behaviours.length) {
            throw new IllegalArgumentException("fleet has " + behaviours.length + " endpoints, got " + next.length + " behaviours");
        }
        behaviours = next.clone();
        hangs = new CountDownLatch(1);
    }

    void sink(Sink next) {
        sink = next;
    }

    void arrivals(Arrivals next) {
        arrivals = next;
    }

    /** Ends every hanging request with a reset (and makes later HANG requests reset at once) until {@link #behaviours} is called. */
    void releaseHangs() {
        hangs.countDown();
    }

    long requests() {
        return requests.sum();
    }

    /** Request body bytes received so far. */
    long bodyBytes() {
        return bodyBytes.sum();
    }

    long connectionsAccepted() {
        return connections.sum();
    }

    /** The most requests any one endpoint held at once since the last {@link #resetPeaks()}. */
    int peakConcurrency() {
        int max = 0;
        for (int i = 0; i < peakConcurrent.length(); i++) {
            max = Math.max(max, peakConcurrent.get(i));
        }
        return max;
    }

    void resetPeaks() {
        for (int i = 0; i < peakConcurrent.length(); i++) {
            peakConcurrent.set(i, 0);
        }
    }

    int openConnections() {
        return open.size();
    }

    private void acceptLoop(ServerSocket ss) {
        while (!closed) {
            try {
                Socket s = ss.accept();
                connections.increment();
                open.add(s);
                if (closed) {
                    s.close();
                    open.remove(s);
                    return;
                }
                handlers.execute(() -> serve(s));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            RequestReader reader = new RequestReader(s.getInputStream());
            Answer out = new Answer(s.getOutputStream());
            while (!closed && reader.next()) {
                long receivedNanos = System.nanoTime();
                requests.increment();
                bodyBytes.add(reader.bodyLength);
                Behaviour[] bs = behaviours;
                int ep = reader.endpoint;
                if (ep < 0 || ep >= bs.length) {
                    out.write(NOT_FOUND);
                    continue;
                }
                Arrivals a = arrivals;
                if (a != null) {
                    a.arrived(ep, reader.webhookId);
                }
                int now = concurrent.incrementAndGet(ep);
                peakConcurrent.accumulateAndGet(ep, now, Math::max);
                out.endpoint = ep;
                int status;
                try {
                    status = answer(bs[ep], s, out);
                } finally {
                    out.leave();
                }
                Sink current = sink;
                if (current != null) {
                    current.received(ep, reader.webhookId, reader.sentNs, status, receivedNanos);
                }
                if (status <= 0 || !reader.keepAlive) {
                    return;
                }
            }
        } catch (IOException e) {
            // the peer went away (Herald's timeout, client close): nothing to answer
        } finally {
            open.remove(s);
        }
    }

    /** Answers per behaviour; returns the status written, or 0 when the connection was reset or abandoned. */
    private int answer(Behaviour b, Socket s, OutputStream out) throws IOException {
        switch (b) {
            case Behaviour.Fast f -> {
                out.write(OK);
                return 200;
            }
            case Behaviour.Slow slow -> {
                sleep(slow.minMs() == slow.maxMs() ? slow.minMs() : ThreadLocalRandom.current().nextInt(slow.minMs(), slow.maxMs() + 1));
                out.write(OK);
                return 200;
            }
            case Behaviour.Error e -> {
                out.write(ascii("HTTP/1.1 " + e.status() + " Bench Error\r\n"
                        + (e.retryAfterSeconds() > 0 ? "Retry-After: " + e.retryAfterSeconds() + "\r\n" : "") + "Content-Length: 0\r\n\r\n"));
                return e.status();
            }
            case Behaviour.Flaky f -> {
                boolean fail = ThreadLocalRandom.current().nextDouble() < f.p();
                out.write(fail ? FAIL : OK);
                return fail ? 500 : 200;
            }
            case Behaviour.Reset r -> {
                reset(s);
                return 0;
            }
            case Behaviour.Hang h -> {
                hang(s);
                return 0;
            }
            case Behaviour.Trickle t -> {
                out.write(TRICKLE_HEAD);
                out.flush();
                for (int i = 0; i < 10; i++) {
                    sleep(t.totalMs() / 10);
                    out.write('.');
                    out.flush();
                }
                return 200;
            }
        }
    }

    /** The connection's output: the first byte of an answer ends the request's count in {@link #concurrent}. */
    private final class Answer extends java.io.FilterOutputStream {
        int endpoint = -1;

        Answer(OutputStream out) {
            super(out);
        }

        void leave() {
            if (endpoint >= 0) {
                concurrent.decrementAndGet(endpoint);
                endpoint = -1;
            }
        }

        @Override
        public void write(int b) throws IOException {
            leave();
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            leave();
            out.write(b, off, len);
        }
    }

    /** Holds the request unanswered until hangs are released, the fleet closes or the peer gives up (bounded by 10 min). */
    private void hang(Socket s) throws IOException {
        CountDownLatch latch = hangs;
        long deadline = System.nanoTime() + MAX_HANG_NANOS;
        s.setSoTimeout(250);
        InputStream in = s.getInputStream();
        while (!closed && latch.getCount() > 0 && System.nanoTime() < deadline) {
            try {
                if (in.read() < 0) {
                    return; // the client timed out and closed
                }
            } catch (SocketTimeoutException e) {
                // still hanging
            }
        }
        reset(s);
    }

    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        hangs.countDown();
        for (ServerSocket ss : servers) {
            try {
                ss.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        threads.shutdownNow();
        handlers.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
            handlers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Reads HTTP/1.1 requests from one connection into a reusable buffer; exposes the fields the fleet needs. */
    static final class RequestReader {
        private static final int MAX_HEAD = 64 * 1024;
        private static final int MAX_BODY = 16 * 1024 * 1024;
        private static final byte[] SENT_NS = ascii("\"sent_ns\":");

        private final InputStream in;
        private byte[] buf = new byte[16 * 1024];
        private int start;
        private int end;

        int endpoint;
        String webhookId;
        long sentNs;
        int bodyLength;
        boolean keepAlive;

        RequestReader(InputStream in) {
            this.in = in;
        }

        /** Reads the next request; false at a clean end of stream. */
        boolean next() throws IOException {
            int headEnd;
            while ((headEnd = indexOfCrlfCrlf()) < 0) {
                if (end - start >= MAX_HEAD) {
                    throw new IOException("request head too large");
                }
                if (!fill()) {
                    if (end > start) {
                        throw new IOException("truncated request");
                    }
                    return false;
                }
            }
            int lineEnd = indexOf((byte) '\r', start, headEnd);
            int sp1 = indexOf((byte) ' ', start, lineEnd);
            int sp2 = sp1 < 0 ? -1 : indexOf((byte) ' ', sp1 + 1, lineEnd);
            endpoint = sp2 < 0 ? -1 : endpointOf(sp1 + 1, sp2);
            boolean http10 = sp2 > 0 && lineEnd - sp2 - 1 == 8 && buf[lineEnd - 1] == '0';
            keepAlive = !http10;
            webhookId = null;
            long contentLength = 0;
            boolean chunked = false;
            int p = lineEnd + 2;
            while (p < headEnd) {
                int le = indexOf((byte) '\r', p, headEnd + 2);
                int colon = indexOf((byte) ':', p, le);
                if (colon > 0) {
                    int vs = colon + 1;
                    while (vs < le && buf[vs] == ' ') {
                        vs++;
                    }
                    if (nameIs(p, colon, "content-length")) {
                        contentLength = Long.parseLong(new String(buf, vs, le - vs, StandardCharsets.ISO_8859_1).trim());
                    } else if (nameIs(p, colon, "transfer-encoding")) {
                        chunked = new String(buf, vs, le - vs, StandardCharsets.ISO_8859_1).toLowerCase().contains("chunked");
                    } else if (nameIs(p, colon, "connection")) {
                        String v = new String(buf, vs, le - vs, StandardCharsets.ISO_8859_1).trim().toLowerCase();
                        keepAlive = v.equals("close") ? false : v.equals("keep-alive") || keepAlive;
                    } else if (nameIs(p, colon, "webhook-id")) {
                        webhookId = new String(buf, vs, le - vs, StandardCharsets.ISO_8859_1).trim();
                    }
                }
                p = le + 2;
            }
            start = headEnd + 4;
            if (contentLength < 0 || contentLength > MAX_BODY) {
                throw new IOException("bad content length " + contentLength);
            }
            if (chunked) {
                byte[] body = readChunked();
                bodyLength = body.length;
                sentNs = sentNs(body, 0, body.length);
            } else {
                int len = (int) contentLength;
                while (end - start < len) {
                    if (!fill()) {
                        throw new IOException("truncated body");
                    }
                }
                sentNs = sentNs(buf, start, start + len);
                bodyLength = len;
                start += len;
            }
            return true;
        }

        private byte[] readChunked() throws IOException {
            java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
            while (true) {
                int le = lineEnd();
                String sizeText = new String(buf, start, le - start, StandardCharsets.ISO_8859_1);
                int semi = sizeText.indexOf(';');
                int size = Integer.parseInt((semi >= 0 ? sizeText.substring(0, semi) : sizeText).trim(), 16);
                start = le + 2;
                if (size == 0) {
                    while (true) { // trailers up to the empty line
                        int te = lineEnd();
                        boolean empty = te == start;
                        start = te + 2;
                        if (empty) {
                            return body.toByteArray();
                        }
                    }
                }
                if (body.size() + size > MAX_BODY) {
                    throw new IOException("chunked body too large");
                }
                while (end - start < size + 2) {
                    if (!fill()) {
                        throw new IOException("truncated chunk");
                    }
                }
                body.write(buf, start, size);
                start += size + 2;
            }
        }

        private int lineEnd() throws IOException {
            int le;
            while ((le = indexOf((byte) '\r', start, end)) < 0 || le + 1 >= end) {
                if (end - start >= MAX_HEAD || !fill()) {
                    throw new IOException("bad chunk framing");
                }
            }
            return le;
        }

        /** Reads more bytes, compacting or growing the buffer; false at end of stream. */
        private boolean fill() throws IOException {
            if (start > 0 && (end == buf.length || start == end)) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) {
                return false;
            }
            end += n;
            return true;
        }

        private int indexOfCrlfCrlf() {
            for (int i = start; i + 3 < end; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private int indexOf(byte b, int from, int to) {
            for (int i = from; i < to; i++) {
                if (buf[i] == b) {
                    return i;
                }
            }
            return -1;
        }

        private boolean nameIs(int from, int to, String lowerName) {
            if (to - from != lowerName.length()) {
                return false;
            }
            for (int i = 0; i < lowerName.length(); i++) {
                int c = buf[from + i];
                if (c >= 'A' && c <= 'Z') {
                    c += 32;
                }
                if (c != lowerName.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        /** The n of a path {@code /ep/n} (query ignored), or -1. */
        private int endpointOf(int from, int to) {
            if (to - from < 5 || buf[from] != '/' || buf[from + 1] != 'e' || buf[from + 2] != 'p' || buf[from + 3] != '/') {
                return -1;
            }
            int n = 0;
            int i = from + 4;
            for (; i < to && buf[i] >= '0' && buf[i] <= '9'; i++) {
                n = n * 10 + (buf[i] - '0');
                if (n > 10_000_000) {
                    return -1;
                }
            }
            return i == from + 4 || (i < to && buf[i] != '?') ? -1 : n;
        }

        /** The number after the first {@code "sent_ns":} in {@code b[from, to)}, or {@link #NO_SENT_NS}. */
        static long sentNs(byte[] b, int from, int to) {
            outer:
            for (int i = from; i + SENT_NS.length < to; i++) {
                for (int j = 0; j < SENT_NS.length; j++) {
                    if (b[i + j] != SENT_NS[j]) {
                        continue outer;
                    }
                }
                int k = i + SENT_NS.length;
                boolean neg = k < to && b[k] == '-';
                if (neg) {
                    k++;
                }
                long v = 0;
                int digits = 0;
                for (; k < to && b[k] >= '0' && b[k] <= '9' && digits < 19; k++, digits++) {
                    v = v * 10 + (b[k] - '0');
                }
                return digits == 0 ? NO_SENT_NS : neg ? -v : v;
            }
            return NO_SENT_NS;
        }
    }
}
