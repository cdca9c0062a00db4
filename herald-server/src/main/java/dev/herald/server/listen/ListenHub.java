package dev.herald.server.listen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.delivery.DeliveryTask;
import dev.herald.delivery.Dispatcher;
import dev.herald.delivery.StreamTransport;
import dev.herald.http.AttemptResult;
import dev.herald.http.ErrorClass;
import dev.herald.http.OutboundRequest;
import dev.herald.web.Problem;
import dev.herald.web.Responses;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This node's {@code herald listen} connections, the {@link StreamTransport} of listen endpoints. Each listen endpoint
 * has at most one session: a long-lived NDJSON stream on which the node writes the tries (the exact request an HTTP
 * receiver would get) and a heartbeat line every {@code heartbeat}; the listener posts the answers of its local receiver
 * back ({@link #answer}), which also serves as its heartbeat.
 *
 * <p>Nothing is skipped or counted twice across a broken connection: a try written to a session that ends is still
 * taken from an answer for {@link #LOST_GRACE} (the listener posts answers on other connections), and one left
 * unanswered then goes back to wait as if never tried ({@link StreamTransport.Unanswered}), to be sent again, same
 * delivery id, once a listener is back. A session ends when its stream breaks, when its listener has been silent for
 * {@value #SILENT_BEATS} heartbeats, when the endpoint is deleted or leased by another node, or when the node stops.
 */
public final class ListenHub implements StreamTransport, AutoCloseable {
    /** How often a stream carries a heartbeat line when the listener asks for none other. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    /** A listener (or a stream) silent for this many heartbeats is taken for dead. */
    public static final int SILENT_BEATS = 3;
    /** How long an answer to a try written to a session that ended is still taken. */
    static final Duration LOST_GRACE = Duration.ofSeconds(5);
    /** How long past its timeout a try waits for its answer: the listener times its local request out itself, a moment earlier. */
    static final Duration ANSWER_GRACE = Duration.ofSeconds(2);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ListenHub.class);

    private final Dispatcher dispatcher;
    private final Clock clock;
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private ListenHub(Dispatcher dispatcher, Clock clock) {
        this.dispatcher = dispatcher;
        this.clock = clock;
    }

    /** A hub carrying the tries of {@code dispatcher}'s listen endpoints (attached to it here). */
    public static ListenHub attach(Dispatcher dispatcher, Clock clock) {
        ListenHub hub = new ListenHub(dispatcher, clock);
        dispatcher.streamTransport(hub);
        return hub;
    }

    /** What a listener's local receiver answered to one try (or why it could not: {@code error}). */
    record Answer(int status, long durationMillis, String excerpt, Map<String, String> headers, ErrorClass error, String message) {
        static final Answer LOST = new Answer(0, 0, null, Map.of(), null, null);
    }

    /** One listener's connection to one endpoint. */
    static final class Session {
        final String endpointId;
        final String listenerId;
        final Duration heartbeat;
        final LinkedBlockingQueue<Pending> outbox = new LinkedBlockingQueue<>();
        volatile long heardNanos = System.nanoTime();
        volatile String ended;

        Session(String endpointId, String listenerId, Duration heartbeat) {
            this.endpointId = endpointId;
            this.listenerId = listenerId;
            this.heartbeat = heartbeat;
        }

        boolean silent(long now) {
            return now - heardNanos > heartbeat.toNanos() * SILENT_BEATS;
        }
    }

    /** One try handed to a session, waiting for its answer. */
    static final class Pending {
        static final Pending WAKE = new Pending(null, null, null);
        final String token;
        final Session session;
        final byte[] line;
        final CompletableFuture<Answer> answer = new CompletableFuture<>();
        volatile boolean written;

        Pending(String token, Session session, byte[] line) {
            this.token = token;
            this.session = session;
            this.line = line;
        }
    }

    @Override
    public boolean connected(String endpointId) {
        Session s = sessions.get(endpointId);
        return s != null && s.ended == null;
    }

    @Override
    public AttemptResult send(DeliveryTask task, OutboundRequest request) {
        Session s = sessions.get(task.endpointId());
        if (s == null || s.ended != null) {
            throw new Unanswered("no listener is connected");
        }
        Instant startedAt = clock.instant();
        long start = System.nanoTime();
        String token = token();
        Pending p = new Pending(token, s, line(deliveryLine(token, task, request)));
        pending.put(token, p);
        try {
            s.outbox.add(p);
            if (s.ended != null && !p.written) {
                p.answer.complete(Answer.LOST); // ended meanwhile: the stream will not write it
            }
            Answer a;
            try {
                a = p.answer.get(request.timeout().plus(ANSWER_GRACE).toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (s.ended != null) {
                    throw new Unanswered("the listener went away without answering");
                }
                return new AttemptResult(startedAt, Duration.ofNanos(System.nanoTime() - start), 0, ErrorClass.TIMEOUT,
                        "the listener did not answer within the timeout of " + request.timeout().toMillis() + " ms", null, Map.of());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unanswered("interrupted");
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause()); // not produced: answers complete normally
            }
            if (a == Answer.LOST) {
                throw new Unanswered("the listener went away without answering");
            }
            return new AttemptResult(startedAt, Duration.ofMillis(a.durationMillis()), a.status(), a.error(), a.message(), a.excerpt(), a.headers());
        } finally {
            pending.remove(token);
        }
    }

    /**
     * Opens the session of listener {@code listenerId} on {@code endpointId}, replacing an earlier one of the same
     * listener (a reconnect) or of one silent for {@value #SILENT_BEATS} heartbeats.
     *
     * @throws Problem 409 while another listener is connected; 421 when this node does not send the endpoint's deliveries
     */
    Session open(String endpointId, String listenerId, Duration heartbeat) {
        if (closed) {
            throw new Problem(503, "Service Unavailable", "the node is stopping", null);
        }
        if (!dispatcher.sends(endpointId)) {
            throw new Problem(421, "Misdirected Request", "another node sends this endpoint's deliveries (it leases the endpoint's"
                    + " partition): connect herald listen to that node", null);
        }
        Session s = new Session(endpointId, listenerId, heartbeat);
        Session old;
        synchronized (this) {
            old = sessions.get(endpointId);
            if (old != null && old.ended == null && !old.listenerId.equals(listenerId) && !old.silent(System.nanoTime())) {
                throw Problem.conflict("another herald listen is connected to this endpoint; stop it first (or wait "
                        + heartbeat.multipliedBy(SILENT_BEATS).toSeconds() + " s after it died)", null);
            }
            sessions.put(endpointId, s);
        }
        if (old != null) {
            end(old, "replaced by a newer connection");
        }
        log.info("herald listen {} connected to endpoint {}", listenerId, endpointId);
        dispatcher.changed(endpointId); // its deliveries may flow now
        return s;
    }

    /**
     * Writes {@code s} to {@code out} until it ends: first a hello line ({@code hello}), then each try handed to it and a
     * heartbeat line whenever nothing else was written for a heartbeat, and a last line saying why it ended, if the
     * connection still takes it.
     */
    void stream(Session s, ObjectNode hello, OutputStream out) {
        String why = null;
        try {
            out.write(line(hello.put("type", "hello").put("heartbeat_seconds", s.heartbeat.toSeconds())));
            out.flush();
            while (s.ended == null) {
                Pending p = s.outbox.poll(s.heartbeat.toMillis(), TimeUnit.MILLISECONDS);
                long now = System.nanoTime();
                if (s.ended != null) {
                    break;
                }
                if (s.silent(now)) {
                    why = "no word from the listener for " + s.heartbeat.multipliedBy(SILENT_BEATS).toSeconds() + " s";
                    break;
                }
                if (closed) {
                    why = "the node is stopping";
                    break;
                }
                if (p == null) {
                    if (!dispatcher.sends(s.endpointId)) {
                        why = "this node no longer sends this endpoint's deliveries (it was deleted, or another node took it over)";
                        break;
                    }
                    out.write(line(Responses.obj().put("type", "heartbeat").put("at", clock.instant().toString())));
                } else if (p != Pending.WAKE) {
                    p.written = true;
                    out.write(p.line);
                }
                out.flush();
            }
            if (why != null || s.ended != null) {
                end(s, why != null ? why : s.ended);
                out.write(line(Responses.obj().put("type", "bye").put("reason", s.ended)));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            end(s, "the stream broke: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end(s, "the node is stopping");
        } finally {
            end(s, "the stream ended");
        }
    }

    /**
     * Takes the answers a listener posts for {@code endpointId}'s tries and notes it alive; answers to tries no longer
     * waiting (given up, or of another endpoint) are ignored. Returns whether the listener's session is the open one.
     */
    boolean answer(String endpointId, String listenerId, List<Map.Entry<String, Answer>> answers) {
        Session s = sessions.get(endpointId);
        boolean current = s != null && s.ended == null && s.listenerId.equals(listenerId);
        if (current) {
            s.heardNanos = System.nanoTime();
        }
        for (Map.Entry<String, Answer> a : answers) {
            Pending p = pending.get(a.getKey());
            if (p != null && p.session.endpointId.equals(endpointId)) {
                p.answer.complete(a.getValue());
            }
        }
        return current;
    }

    /** Ends {@code s} (once) for {@code reason}: its unwritten tries go back at once, its written ones after {@link #LOST_GRACE}. */
    void end(Session s, String reason) {
        synchronized (s) {
            if (s.ended != null) {
                return;
            }
            s.ended = reason;
        }
        sessions.remove(s.endpointId, s);
        log.info("herald listen {} of endpoint {} ended: {}", s.listenerId, s.endpointId, reason);
        s.outbox.add(Pending.WAKE);
        for (Pending p : pending.values()) {
            if (p.session == s) {
                if (p.written) {
                    p.answer.completeOnTimeout(Answer.LOST, LOST_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    p.answer.complete(Answer.LOST);
                }
            }
        }
        dispatcher.changed(s.endpointId); // waiting deliveries go back to the database until a listener is back
    }

    /** Ends every session: their listeners reconnect, to this node once it is back or to the one taking over. */
    @Override
    public void close() {
        closed = true;
        sessions.values().forEach(s -> end(s, "the node is stopping"));
    }

    private static ObjectNode deliveryLine(String token, DeliveryTask task, OutboundRequest request) {
        ObjectNode n = Responses.obj().put("type", "delivery").put("try", token).put("delivery_id", task.deliveryId())
                .put("event_id", task.eventId()).put("event", task.type()).put("attempt", task.attempts() + 1)
                .put("timeout_ms", request.timeout().toMillis());
        ObjectNode h = n.putObject("headers");
        request.headers().forEach(h::put);
        n.put("body", Base64.getEncoder().encodeToString(request.body()));
        return n;
    }

    /** {@code n} as one NDJSON line. */
    private static byte[] line(ObjectNode n) {
        return Responses.bytes(n); // ends with a newline
    }

    private static String token() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
