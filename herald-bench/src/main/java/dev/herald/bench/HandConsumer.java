package dev.herald.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.herald.bus.Topology;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The webhook consumer a payment team writes by hand from the finance-bus design, the reference Herald is measured
 * against. It consumes its own durable queue {@value #QUEUE} on {@link Topology#EXCHANGE} with manual acks and, for each
 * message, for each URL subscribed to its routing key (the event type): POSTs the body signed with HMAC-SHA256
 * ({@link WebhookPoster}), then INSERTs and commits one attempt row ({@link AttemptLog}). The message is acknowledged
 * only after every POST answered 2xx and every row committed; otherwise, after {@link Shape#retryDelay()}, it is
 * requeued (nack with requeue) and tried again whole, so nothing is lost and a receiver may see a message twice
 * (at least once, deduplicated by {@code webhook-id}). Each consumer has its own channel and handles its messages one
 * at a time, in order; the consumers run in parallel.
 */
final class HandConsumer implements BusConsumer {
    static final String QUEUE = "payments.webhooks";
    private static final int SHUTDOWN_WAIT_SECONDS = 10;

    /**
     * How the consumer is built: {@code consumers} channels each with {@code prefetch} unacknowledged messages; unpooled
     * ({@link WebhookPoster#jdk()} and one JDBC connection per consumer) or pooled ({@link WebhookPoster#pooled} and a
     * HikariCP pool, both sized to {@code consumers}); a failed message is requeued after {@code retryDelay}.
     */
    record Shape(String name, int prefetch, int consumers, boolean pooled, Duration retryDelay) {
        Shape {
            if (name == null || !name.matches("[a-z][a-z0-9_]{0,15}")) {
                throw new IllegalArgumentException("a consumer shape's name must be 1-16 lower-case letters, digits or _, got " + name);
            }
            if (prefetch < 1 || prefetch > 65_535) {
                throw new IllegalArgumentException("--" + name + "-prefetch must be 1..65535");
            }
            if (consumers < 1 || consumers > 256) {
                throw new IllegalArgumentException("--" + name + "-consumers must be 1..256");
            }
            if (retryDelay == null || retryDelay.isNegative()) {
                throw new IllegalArgumentException("retryDelay must be 0 or more");
            }
        }

        /** The finance-bus design's own: prefetch 1, one consumer on one connection, JDK HTTP client, one JDBC connection. */
        static Shape design() {
            return new Shape("design", 1, 1, false, Duration.ofSeconds(1));
        }

        /** Tuned: {@code prefetch} per consumer, {@code consumers} in parallel, pooled HTTP connections and a HikariCP pool. */
        static Shape tuned(int prefetch, int consumers) {
            return new Shape("tuned", prefetch, consumers, true, Duration.ofSeconds(1));
        }

        Shape withRetryDelay(Duration d) {
            return new Shape(name, prefetch, consumers, pooled, d);
        }

        @Override
        public String toString() {
            return name + " (prefetch " + prefetch + ", " + consumers + (consumers == 1 ? " consumer" : " consumers")
                    + (pooled ? ", pooled HTTP and HikariCP" : ", JDK HTTP client, one JDBC connection") + ")";
        }
    }

    private final Shape shape;
    private final String jdbcUrl;
    private final Subscriptions subscriptions;
    private final WebhookPoster poster;
    private final AttemptLog log;
    private final ExecutorService dispatch;
    private final List<Worker> workers = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder acked = new LongAdder();
    private final LongAdder requeued = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder failedAttempts = new LongAdder();
    private final LongAdder failedWrites = new LongAdder();
    private Connection connection;
    private volatile boolean closing;

    private HandConsumer(Shape shape, String jdbcUrl, Subscriptions subscriptions, WebhookPoster poster, AttemptLog log) {
        this.shape = shape;
        this.jdbcUrl = jdbcUrl;
        this.subscriptions = subscriptions;
        this.poster = poster;
        this.log = log;
        this.dispatch = Executors.newFixedThreadPool(shape.consumers(), Thread.ofPlatform().name("payments-consumer-", 0).daemon().factory());
    }

    /**
     * Connects to {@code amqpUrl} and declares the exchange and {@value #QUEUE} (durable, priorities 0-10, rejected
     * messages to {@link Topology#DEAD_LETTER_EXCHANGE}) bound by {@code bindings}; consumes from {@link #start}. Rows go
     * to the database of {@code jdbcUrl}, whose table must exist ({@link AttemptLog#createTable}).
     */
    static HandConsumer connect(Shape shape, String amqpUrl, List<String> bindings, String jdbcUrl, Subscriptions subscriptions) throws Exception {
        WebhookPoster poster = shape.pooled() ? WebhookPoster.pooled(shape.consumers()) : WebhookPoster.jdk();
        AttemptLog log = shape.pooled() ? AttemptLog.pooled(jdbcUrl, shape.consumers()) : AttemptLog.unpooled(jdbcUrl);
        HandConsumer c = new HandConsumer(shape, jdbcUrl, subscriptions, poster, log);
        try {
            c.declare(amqpUrl, bindings);
            return c;
        } catch (Exception e) {
            c.close();
            throw e;
        }
    }

    private void declare(String amqpUrl, List<String> bindings) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(amqpUrl);
        f.setConnectionTimeout(5000);
        f.setRequestedHeartbeat(10);
        connection = f.newConnection(dispatch, "payments-webhooks");
        try (Channel ch = connection.createChannel()) {
            ch.exchangeDeclare(Topology.EXCHANGE, "topic", true);
            ch.queueDeclare(QUEUE, true, false, false, Map.of("x-max-priority", 10, "x-dead-letter-exchange", Topology.DEAD_LETTER_EXCHANGE));
            for (String b : bindings) {
                ch.queueBind(QUEUE, Topology.EXCHANGE, b);
            }
        }
    }

    /** Starts {@link Shape#consumers()} consumers, each on its own channel with {@link Shape#prefetch()} unacknowledged messages. */
    @Override
    public void start() throws IOException {
        for (int i = 0; i < shape.consumers(); i++) {
            Channel ch = connection.createChannel();
            ch.basicQos(shape.prefetch());
            Worker w = new Worker(ch, log.writer());
            workers.add(w);
            w.tag = ch.basicConsume(QUEUE, false, w);
        }
    }

    @Override
    public String describe() {
        return "hand-written consumer " + shape;
    }

    @Override
    public String queue() {
        return QUEUE;
    }

    @Override
    public void running(Map<String, Object> m) {
        m.put("consumer_acked", acked());
        m.put("consumer_requeued", requeued());
        m.put("consumer_redelivered", redelivered());
        m.put("consumer_attempts", attempts());
        m.put("consumer_failed_attempts", failedAttempts());
        m.put("consumer_failed_writes", failedWrites());
    }

    @Override
    public Map<String, Object> closed() throws java.sql.SQLException {
        return AttemptLog.summary(jdbcUrl);
    }

    Shape shape() {
        return shape;
    }

    long acked() {
        return acked.sum();
    }

    long requeued() {
        return requeued.sum();
    }

    long redelivered() {
        return redelivered.sum();
    }

    long attempts() {
        return attempts.sum();
    }

    long failedAttempts() {
        return failedAttempts.sum();
    }

    long failedWrites() {
        return failedWrites.sum();
    }

    /** One consumer: its channel, and the writer of the rows of the messages it handles (one at a time). */
    private final class Worker extends DefaultConsumer {
        private final AttemptLog.Writer writer;
        volatile String tag;

        Worker(Channel channel, AttemptLog.Writer writer) {
            super(channel);
            this.writer = writer;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            inFlight.incrementAndGet();
            try {
                if (envelope.isRedeliver()) {
                    redelivered.increment();
                }
                String id = props.getMessageId() == null ? "" : props.getMessageId();
                boolean done;
                try {
                    done = deliver(id, envelope.getRoutingKey(), body);
                } catch (java.sql.SQLException e) {
                    failedWrites.increment();
                    done = false;
                } catch (RuntimeException e) {
                    done = false; // a bug or a client failure: the message stays with the broker
                }
                settle(envelope.getDeliveryTag(), done);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        /** True when every subscriber answered 2xx and every row committed. */
        private boolean deliver(String id, String type, byte[] body) throws java.sql.SQLException {
            boolean ok = true;
            for (Subscriptions.Subscriber s : subscriptions.of(type)) {
                long t0 = System.nanoTime();
                int status = 0;
                String error = null;
                try {
                    status = poster.post(s.url(), id, s.secret(), body);
                } catch (IOException e) {
                    error = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    error = "interrupted";
                }
                attempts.increment();
                writer.write(id, type, s.url().toString(), status, error, (System.nanoTime() - t0) / 1000);
                if (status / 100 != 2) {
                    failedAttempts.increment();
                    ok = false;
                    break; // the whole message is tried again
                }
            }
            return ok;
        }

        private void settle(long deliveryTag, boolean done) {
            try {
                if (done) {
                    getChannel().basicAck(deliveryTag, false);
                    acked.increment();
                    return;
                }
                if (!closing && !shape.retryDelay().isZero()) {
                    Thread.sleep(shape.retryDelay().toMillis());
                }
                getChannel().basicNack(deliveryTag, false, true);
                requeued.increment();
            } catch (IOException | com.rabbitmq.client.ShutdownSignalException e) {
                // the channel is gone: the broker requeues the message itself
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops consuming; messages being handled finish (up to 10 s), the rest go back to the queue with the channels. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        for (Worker w : workers) {
            try {
                if (w.tag != null && w.getChannel().isOpen()) {
                    w.getChannel().basicCancel(w.tag);
                }
            } catch (IOException | RuntimeException ignored) {
                // closing anyway
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SHUTDOWN_WAIT_SECONDS);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (connection != null) {
            try {
                connection.close(5000);
            } catch (IOException | RuntimeException e) {
                connection.abort(1000);
            }
        }
        dispatch.shutdownNow();
        workers.forEach(w -> w.writer.close());
        poster.close();
        log.close();
    }
}
