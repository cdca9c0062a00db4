package dev.herald.bus;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finance bus on RabbitMQ. On connect it declares the {@link Topology} (durable topic exchange, fanout dead-letter
 * exchange with {@code finance.dead}, the transfer and risk queues). Messages are persistent JSON with publisher
 * confirms; consumers use manual acks and a prefetch window. The connection, its channels, the declared topology and
 * the consumers recover by themselves after a broker or network failure; meanwhile {@link #publish} throws
 * {@link BusException}, and acks of messages delivered before the failure are dropped (the broker delivers those
 * messages again, marked redelivered, so consumers dedupe by message id).
 */
public final class RabbitBus implements Bus {
    private static final Logger log = LoggerFactory.getLogger(RabbitBus.class);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);

    private final Connection connection;
    private final String redactedUri;
    private final Object declaring = new Object();
    private final LinkedBlockingQueue<Channel> idlePublishers = new LinkedBlockingQueue<>();
    private final Set<RabbitSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private RabbitBus(Connection connection, String redactedUri) {
        this.connection = connection;
        this.redactedUri = redactedUri;
    }

    /**
     * Connects to {@code amqpUri} (e.g. {@code amqp://user:pass@host:5672/vhost}; an empty vhost, as in
     * {@code amqp://host:5672/}, is the default {@code /}) and declares the topology; throws
     * {@link BusException} (never showing the password) if the broker cannot be reached or refuses the topology.
     */
    public static RabbitBus connect(String amqpUri) {
        String shown = redact(amqpUri);
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(amqpUri);
        } catch (URISyntaxException | java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new BusException("invalid AMQP URI " + shown); // the parser's message may quote the password
        }
        if (f.getVirtualHost().isEmpty()) {
            f.setVirtualHost("/"); // amqp://host:5672/ means the default virtual host, as most clients read it
        }
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        f.setNetworkRecoveryInterval(1000);
        f.setRequestedHeartbeat(10);
        f.setConnectionTimeout(5000);
        Connection c;
        try {
            c = f.newConnection("herald-bus");
        } catch (IOException | TimeoutException e) {
            throw new BusException("cannot connect to RabbitMQ at " + shown + ": " + rootMessage(e), e);
        }
        RabbitBus bus = new RabbitBus(c, shown);
        if (c instanceof Recoverable r) {
            r.addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    log.info("reconnected to RabbitMQ at {}", shown);
                }

                @Override
                public void handleRecoveryStarted(Recoverable recoverable) {
                    log.warn("lost the connection to RabbitMQ at {}; reconnecting", shown);
                }
            });
        }
        try {
            bus.declareTopology();
        } catch (RuntimeException e) {
            bus.close();
            throw e;
        }
        log.info("connected to RabbitMQ at {}", shown);
        return bus;
    }

    /** {@code uri} with the password of its user info replaced by {@code ***}, for logs and errors; works on malformed URIs too. */
    public static String redact(String uri) {
        if (uri == null) {
            return null;
        }
        int scheme = uri.indexOf("://");
        int from = scheme < 0 ? 0 : scheme + 3;
        int end = from;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        String authority = uri.substring(from, end);
        int at = authority.lastIndexOf('@');
        if (at < 0) {
            return uri;
        }
        int colon = authority.indexOf(':');
        if (colon < 0 || colon > at) {
            return uri;
        }
        return uri.substring(0, from) + authority.substring(0, colon) + ":***" + authority.substring(at) + uri.substring(end);
    }

    private void declareTopology() {
        withDeclarationChannel(ch -> {
            ch.exchangeDeclare(Topology.EXCHANGE, "topic", true);
            ch.exchangeDeclare(Topology.DEAD_LETTER_EXCHANGE, "fanout", true);
            ch.queueDeclare(Topology.DEAD_LETTER_QUEUE, true, false, false, null);
            ch.queueBind(Topology.DEAD_LETTER_QUEUE, Topology.DEAD_LETTER_EXCHANGE, "");
            declareOn(ch, Topology.TRANSFER);
            declareOn(ch, Topology.RISK);
        });
    }

    @Override
    public void declare(QueueSpec queue) {
        if (queue.name().equals(Topology.DEAD_LETTER_QUEUE)) {
            return; // declared with the topology
        }
        withDeclarationChannel(ch -> declareOn(ch, queue));
    }

    /** Asks the broker (a passive declaration on a fresh channel) how many messages of {@code queue} are ready. */
    @Override
    public java.util.OptionalLong ready(String queue) {
        long[] count = {-1};
        withDeclarationChannel(ch -> count[0] = ch.queueDeclarePassive(queue).getMessageCount());
        return count[0] < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(count[0]);
    }

    private static void declareOn(Channel ch, QueueSpec q) throws IOException {
        Map<String, Object> args = new HashMap<>();
        if (q.maxPriority() > 0) {
            args.put("x-max-priority", q.maxPriority());
        }
        if (q.messageTtl() != null) {
            args.put("x-message-ttl", q.messageTtl().toMillis());
        }
        args.put("x-dead-letter-exchange", Topology.DEAD_LETTER_EXCHANGE);
        ch.queueDeclare(q.name(), true, false, false, args);
        for (String binding : q.bindings()) {
            ch.queueBind(q.name(), Topology.EXCHANGE, binding);
        }
    }

    private interface ChannelWork {
        void run(Channel ch) throws IOException;
    }

    /** A fresh channel per declaration: a refused declaration (different arguments) closes its channel. */
    private void withDeclarationChannel(ChannelWork work) {
        checkOpen();
        synchronized (declaring) {
            Channel ch = null;
            try {
                ch = connection.createChannel();
                if (ch == null) {
                    throw new BusException("RabbitMQ at " + redactedUri + " has no channel left");
                }
                work.run(ch);
            } catch (IOException | ShutdownSignalException e) {
                throw new BusException("RabbitMQ at " + redactedUri + " refused the declaration: " + rootMessage(e), e);
            } finally {
                closeQuietly(ch);
            }
        }
    }

    @Override
    public void publish(List<BusMessage> messages) {
        publish(Topology.EXCHANGE, messages);
    }

    /** Publishes to {@code exchange} with publisher confirms (see {@link #publish(List)}). */
    private void publish(String exchange, List<BusMessage> messages) {
        checkOpen();
        if (messages.isEmpty()) {
            return;
        }
        if (!connection.isOpen()) {
            throw new BusException("not connected to RabbitMQ at " + redactedUri + " (reconnecting)");
        }
        Channel ch = idlePublishers.poll();
        try {
            if (ch == null || !ch.isOpen()) {
                closeQuietly(ch);
                ch = connection.createChannel();
                if (ch == null) {
                    throw new BusException("RabbitMQ at " + redactedUri + " has no channel left");
                }
                ch.confirmSelect();
            }
            for (BusMessage m : messages) {
                ch.basicPublish(exchange, m.routingKey(), false, properties(m), m.body());
            }
            ch.waitForConfirmsOrDie(CONFIRM_TIMEOUT.toMillis());
            idlePublishers.offer(ch);
            ch = null;
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            throw new BusException(messages.size() + " messages not confirmed by RabbitMQ at " + redactedUri + ": " + rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusException("interrupted while waiting for RabbitMQ to confirm " + messages.size() + " messages", e);
        } finally {
            closeQuietly(ch); // a channel whose publish failed is in an unknown state: never reused
        }
    }

    private static AMQP.BasicProperties properties(BusMessage m) {
        return new AMQP.BasicProperties.Builder()
                .contentType("application/json")
                .deliveryMode(2)
                .messageId(m.messageId())
                .priority(m.priority())
                .headers(new HashMap<>(m.headers()))
                .build();
    }

    @Override
    public Subscription consume(QueueSpec queue, int prefetch, MessageHandler handler) {
        if (prefetch < 1 || prefetch > 65535) {
            throw new IllegalArgumentException("prefetch must be 1..65535");
        }
        Objects.requireNonNull(handler, "handler");
        declare(queue);
        try {
            Channel ch = connection.createChannel();
            if (ch == null) {
                throw new BusException("RabbitMQ at " + redactedUri + " has no channel left");
            }
            ch.basicQos(prefetch);
            RabbitSubscription sub = new RabbitSubscription(ch, queue.name(), handler);
            subscriptions.add(sub);
            sub.tag = ch.basicConsume(queue.name(), false, sub.consumer);
            return sub;
        } catch (IOException | ShutdownSignalException e) {
            throw new BusException("cannot consume " + queue.name() + " on RabbitMQ at " + redactedUri + ": " + rootMessage(e), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        subscriptions.forEach(RabbitSubscription::close);
        Channel ch;
        while ((ch = idlePublishers.poll()) != null) {
            closeQuietly(ch);
        }
        try {
            connection.close(5000);
        } catch (IOException | ShutdownSignalException e) {
            connection.abort(1000);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new BusException("the bus is closed");
        }
    }

    private static void closeQuietly(Channel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.abort();
        } catch (IOException | RuntimeException ignored) {
            // already gone
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /** A consumer on its own channel. Acks of one channel are serialized; acks from before a recovery are dropped. */
    private final class RabbitSubscription implements Subscription {
        private final Channel channel;
        private final String queueName;
        private final MessageHandler handler;
        /** Incremented each time the channel recovers: delivery tags of an older generation belong to a dead channel. */
        private final AtomicLong generation = new AtomicLong();
        private final AtomicBoolean closed = new AtomicBoolean();
        final DefaultConsumer consumer;
        volatile String tag;

        RabbitSubscription(Channel channel, String queueName, MessageHandler handler) {
            this.channel = channel;
            this.queueName = queueName;
            this.handler = handler;
            if (channel instanceof Recoverable r) {
                r.addRecoveryListener(new RecoveryListener() {
                    @Override
                    public void handleRecovery(Recoverable recoverable) {}

                    @Override
                    public void handleRecoveryStarted(Recoverable recoverable) {
                        generation.incrementAndGet();
                    }
                });
            }
            this.consumer = new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    Delivery d = new Delivery(RabbitSubscription.this, generation.get(), envelope, message(envelope, props, body));
                    try {
                        RabbitSubscription.this.handler.handle(d);
                    } catch (RuntimeException e) {
                        log.warn("bus handler failed on message {}; it stays unacknowledged", d.message.messageId(), e);
                    }
                }
            };
        }

        /** Runs {@code op} on the channel if the delivery belongs to the channel's current life; otherwise drops it. */
        void settle(long deliveredIn, String what, ChannelWork op) {
            synchronized (channel) {
                if (closed.get() || deliveredIn != generation.get() || !channel.isOpen()) {
                    log.debug("{} dropped: the channel it was delivered on is gone (the broker redelivers the message)", what);
                    return;
                }
                try {
                    op.run(channel);
                } catch (IOException | ShutdownSignalException e) {
                    log.debug("{} failed ({}); the broker redelivers the message", what, rootMessage(e));
                }
            }
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            subscriptions.remove(this);
            synchronized (channel) {
                try {
                    if (tag != null && channel.isOpen()) {
                        channel.basicCancel(tag);
                    }
                } catch (IOException | ShutdownSignalException e) {
                    // the channel is going anyway
                }
                try {
                    channel.close(); // unacked messages go back to the queue, redelivered
                } catch (IOException | TimeoutException | ShutdownSignalException e) {
                    closeQuietly(channel);
                }
            }
        }
    }

    private static BusMessage message(Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (props.getHeaders() != null) {
            props.getHeaders().forEach((k, v) -> {
                if (v instanceof CharSequence || v instanceof Number || v instanceof Boolean || v instanceof com.rabbitmq.client.LongString) {
                    headers.put(k, v.toString());
                }
            });
        }
        String id = props.getMessageId() != null ? props.getMessageId() : "";
        int priority = props.getPriority() == null ? 0 : Math.max(0, Math.min(9, props.getPriority()));
        return new BusMessage(id, envelope.getRoutingKey(), priority, body, headers);
    }

    private final class Delivery implements Incoming {
        private final RabbitSubscription sub;
        private final long generation;
        private final long deliveryTag;
        private final boolean redelivered;
        private final BusMessage message;
        private final AtomicBoolean settled = new AtomicBoolean();

        Delivery(RabbitSubscription sub, long generation, Envelope envelope, BusMessage message) {
            this.sub = sub;
            this.generation = generation;
            this.deliveryTag = envelope.getDeliveryTag();
            this.redelivered = envelope.isRedeliver();
            this.message = message;
        }

        @Override
        public BusMessage message() {
            return message;
        }

        @Override
        public boolean redelivered() {
            return redelivered;
        }

        @Override
        public void ack() {
            if (settled.compareAndSet(false, true)) {
                sub.settle(generation, "ack of " + message.messageId(), ch -> ch.basicAck(deliveryTag, false));
            }
        }

        @Override
        public void requeue() {
            if (settled.compareAndSet(false, true)) {
                sub.settle(generation, "requeue of " + message.messageId(), ch -> ch.basicNack(deliveryTag, false, true));
            }
        }

        /**
         * With a reason, a copy carrying it in {@link Incoming#REASON_HEADER} (and RabbitMQ's first-death headers) is
         * published to the dead-letter exchange and confirmed before the original is acked; if that publish fails, the
         * original is rejected instead, so the broker dead-letters it (without the reason) — it is never lost.
         */
        @Override
        public void deadLetter(String reason) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            if (reason != null) {
                Map<String, String> headers = new LinkedHashMap<>(message.headers());
                headers.put(Incoming.REASON_HEADER, Incoming.headerValue(reason));
                headers.putIfAbsent("x-first-death-queue", sub.queueName);
                headers.putIfAbsent("x-first-death-reason", "rejected");
                BusMessage copy = new BusMessage(message.messageId(), message.routingKey(), message.priority(), message.body(), headers);
                try {
                    publish(Topology.DEAD_LETTER_EXCHANGE, List.of(copy));
                    sub.settle(generation, "ack of dead-lettered " + message.messageId(), ch -> ch.basicAck(deliveryTag, false));
                    return;
                } catch (BusException e) {
                    log.warn("could not publish message {} to {} with its reason ({}); rejecting it instead", message.messageId(),
                            Topology.DEAD_LETTER_EXCHANGE, e.getMessage());
                }
            }
            sub.settle(generation, "dead-lettering of " + message.messageId(), ch -> ch.basicReject(deliveryTag, false));
        }
    }
}
