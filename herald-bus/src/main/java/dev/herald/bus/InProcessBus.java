package dev.herald.bus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Bus} inside one JVM with RabbitMQ's semantics: topic routing ({@code *} one word, {@code #} zero or more),
 * one queue per {@link QueueSpec} delivering higher priorities first and FIFO within a priority, a prefetch window per
 * consumer, manual acks, requeue with {@code redelivered}, dead-lettering to {@link Topology#DEAD_LETTER_QUEUE}, and
 * messages routed to no declared queue dropped. {@link #publish} returns once every message is enqueued. Nothing
 * survives the JVM.
 */
public final class InProcessBus implements Bus {
    private static final Logger log = LoggerFactory.getLogger(InProcessBus.class);
    static final String FIRST_DEATH_QUEUE = "x-first-death-queue";
    static final String FIRST_DEATH_REASON = "x-first-death-reason";

    private final Map<String, Queue> queues = new ConcurrentHashMap<>();
    private final Object routing = new Object(); // guards queue declarations against concurrent routing decisions
    private volatile boolean closed;

    private InProcessBus() {}

    /** A bus with the finance topology ({@link Topology}) declared. */
    public static InProcessBus create() {
        InProcessBus bus = new InProcessBus();
        bus.queues.put(Topology.DEAD_LETTER_QUEUE, new Queue(new QueueSpec(Topology.DEAD_LETTER_QUEUE, List.of(), 0, null)));
        bus.declare(Topology.TRANSFER);
        bus.declare(Topology.RISK);
        return bus;
    }

    @Override
    public void publish(List<BusMessage> messages) {
        checkOpen();
        for (BusMessage m : messages) {
            BusMessage copy = new BusMessage(m.messageId(), m.routingKey(), m.priority(), m.body().clone(), m.headers());
            for (Queue q : queues.values()) {
                if (q.matches(copy.routingKey())) {
                    q.enqueue(copy);
                }
            }
        }
    }

    @Override
    public void declare(QueueSpec spec) {
        checkOpen();
        if (spec.name().equals(Topology.DEAD_LETTER_QUEUE)) {
            return;
        }
        synchronized (routing) {
            Queue existing = queues.get(spec.name());
            if (existing == null) {
                queues.put(spec.name(), new Queue(spec));
            } else if (!existing.spec.equals(spec)) {
                // RabbitMQ answers PRECONDITION_FAILED when arguments differ; bindings merely accumulate.
                if (existing.spec.maxPriority() != spec.maxPriority() || !Objects.equals(existing.spec.messageTtl(), spec.messageTtl())) {
                    throw new BusException("queue " + spec.name() + " already exists with different arguments");
                }
                existing.addBindings(spec.bindings());
            }
        }
    }

    @Override
    public Subscription consume(QueueSpec spec, int prefetch, MessageHandler handler) {
        if (prefetch < 1) {
            throw new IllegalArgumentException("prefetch must be at least 1");
        }
        Objects.requireNonNull(handler, "handler");
        declare(spec);
        Queue q = spec.name().equals(Topology.DEAD_LETTER_QUEUE) ? queues.get(Topology.DEAD_LETTER_QUEUE) : queues.get(spec.name());
        Consumer c = new Consumer(q, prefetch, handler).start();
        q.addConsumer(c);
        return c::close;
    }

    @Override
    public void close() {
        closed = true;
        for (Queue q : queues.values()) {
            q.closeConsumers();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new BusException("the bus is closed");
        }
    }

    private void deadLetter(Entry e, String fromQueue, String reason) {
        Map<String, String> headers = new LinkedHashMap<>(e.message.headers());
        headers.putIfAbsent(FIRST_DEATH_QUEUE, fromQueue);
        headers.putIfAbsent(FIRST_DEATH_REASON, "rejected");
        if (reason != null) {
            headers.put(Incoming.REASON_HEADER, Incoming.headerValue(reason));
        }
        BusMessage m = e.message;
        queues.get(Topology.DEAD_LETTER_QUEUE).enqueue(new BusMessage(m.messageId(), m.routingKey(), m.priority(), m.body(), headers));
    }

    /** RabbitMQ topic matching: {@code *} matches exactly one word, {@code #} zero or more words. */
    static boolean topicMatches(String binding, String routingKey) {
        return matchWords(binding.split("\\.", -1), 0, routingKey.split("\\.", -1), 0);
    }

    private static boolean matchWords(String[] p, int pi, String[] k, int ki) {
        if (pi == p.length) {
            return ki == k.length;
        }
        if (p[pi].equals("#")) {
            return matchWords(p, pi + 1, k, ki) || (ki < k.length && matchWords(p, pi, k, ki + 1));
        }
        if (ki == k.length) {
            return false;
        }
        return (p[pi].equals("*") || p[pi].equals(k[ki])) && matchWords(p, pi + 1, k, ki + 1);
    }

    /** A queued message and whether it was delivered before. */
    private record Entry(BusMessage message, boolean redelivered) {}

    private static final class Queue {
        final QueueSpec spec;
        private final LinkedHashSet<String> bindings = new LinkedHashSet<>();
        private final ArrayDeque<Entry>[] byPriority;
        private final List<Consumer> consumers = new ArrayList<>();
        private int size;
        private int nextConsumer;

        @SuppressWarnings("unchecked")
        Queue(QueueSpec spec) {
            this.spec = spec;
            this.bindings.addAll(spec.bindings());
            this.byPriority = new ArrayDeque[spec.maxPriority() + 1];
            for (int i = 0; i < byPriority.length; i++) {
                byPriority[i] = new ArrayDeque<>();
            }
        }

        synchronized void addBindings(List<String> bindings) {
            this.bindings.addAll(bindings);
        }

        synchronized boolean matches(String routingKey) {
            for (String b : bindings) {
                if (topicMatches(b, routingKey)) {
                    return true;
                }
            }
            return false;
        }

        synchronized void enqueue(BusMessage m) {
            byPriority[Math.min(m.priority(), spec.maxPriority())].addLast(new Entry(m, false));
            size++;
            dispatch();
        }

        synchronized void addConsumer(Consumer c) {
            consumers.add(c);
            dispatch();
        }

        /** Puts {@code returned} back at the head of their priorities, in their original order. */
        synchronized void returnToHead(List<Entry> returned) {
            for (int i = returned.size() - 1; i >= 0; i--) {
                Entry e = returned.get(i);
                byPriority[Math.min(e.message.priority(), spec.maxPriority())].addFirst(new Entry(e.message, true));
                size++;
            }
            dispatch();
        }

        synchronized void removeConsumer(Consumer c) {
            consumers.remove(c);
        }

        void closeConsumers() {
            List<Consumer> all;
            synchronized (this) {
                all = new ArrayList<>(consumers);
            }
            all.forEach(Consumer::close);
        }

        /** Hands queued messages to consumers with room in their window, round robin. Caller holds the lock. */
        private void dispatch() {
            while (size > 0 && !consumers.isEmpty()) {
                Consumer target = null;
                for (int i = 0; i < consumers.size(); i++) {
                    Consumer c = consumers.get((nextConsumer + i) % consumers.size());
                    if (c.hasRoom()) {
                        target = c;
                        nextConsumer = (nextConsumer + i + 1) % consumers.size();
                        break;
                    }
                }
                if (target == null) {
                    return;
                }
                Entry e = poll();
                target.deliver(e);
            }
        }

        private Entry poll() {
            for (int p = byPriority.length - 1; p >= 0; p--) {
                Entry e = byPriority[p].pollFirst();
                if (e != null) {
                    size--;
                    return e;
                }
            }
            throw new IllegalStateException("queue size out of step");
        }
    }

    private final class Consumer {
        private final Queue queue;
        private final int prefetch;
        private final MessageHandler handler;
        private final LinkedBlockingQueue<Delivery> mailbox = new LinkedBlockingQueue<>();
        /** Delivered and not yet settled, in delivery order; guarded by the queue's lock. */
        private final Map<Delivery, Boolean> unacked = new LinkedHashMap<>();
        private final Thread thread;
        private boolean closed; // guarded by the queue's lock

        Consumer(Queue queue, int prefetch, MessageHandler handler) {
            this.queue = queue;
            this.prefetch = prefetch;
            this.handler = handler;
            this.thread = Thread.ofVirtual().name("herald-bus-" + queue.spec.name()).unstarted(this::run);
        }

        Consumer start() {
            thread.start();
            return this;
        }

        boolean hasRoom() {
            return !closed && unacked.size() < prefetch;
        }

        void deliver(Entry e) {
            Delivery d = new Delivery(this, e);
            unacked.put(d, Boolean.TRUE);
            mailbox.add(d);
        }

        private void run() {
            try {
                while (true) {
                    Delivery d = mailbox.take();
                    if (d.consumer == null) {
                        return; // the poison pill put by close()
                    }
                    if (d.settled.get()) {
                        continue; // returned to the queue by close()
                    }
                    try {
                        handler.handle(d);
                    } catch (RuntimeException e) {
                        log.warn("bus handler for queue {} failed on message {}; it stays unacknowledged", queue.spec.name(), d.entry.message.messageId(), e);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Settles {@code d} once; {@code then} runs under the queue's lock only if it was still unacked. */
        boolean settle(Delivery d, Runnable then) {
            if (!d.settled.compareAndSet(false, true)) {
                return false;
            }
            synchronized (queue) {
                if (unacked.remove(d) == null) {
                    return false;
                }
                then.run();
                queue.dispatch();
                return true;
            }
        }

        void close() {
            List<Entry> returned = new ArrayList<>();
            synchronized (queue) {
                if (closed) {
                    return;
                }
                closed = true;
                queue.removeConsumer(this);
                for (Delivery d : unacked.keySet()) {
                    d.settled.set(true);
                    returned.add(d.entry);
                }
                unacked.clear();
                queue.returnToHead(returned);
            }
            mailbox.add(new Delivery(null, null));
        }
    }

    private final class Delivery implements Incoming {
        final Consumer consumer;
        final Entry entry;
        final AtomicBoolean settled = new AtomicBoolean();

        Delivery(Consumer consumer, Entry entry) {
            this.consumer = consumer;
            this.entry = entry;
        }

        @Override
        public BusMessage message() {
            return entry.message;
        }

        @Override
        public boolean redelivered() {
            return entry.redelivered;
        }

        @Override
        public void ack() {
            consumer.settle(this, () -> {});
        }

        @Override
        public void requeue() {
            consumer.settle(this, () -> consumer.queue.returnToHead(List.of(entry)));
        }

        @Override
        public void deadLetter(String reason) {
            if (!consumer.settle(this, () -> {}) || consumer.queue.spec.name().equals(Topology.DEAD_LETTER_QUEUE)) {
                return; // finance.dead has no dead-letter exchange: the message is dropped, as RabbitMQ does
            }
            InProcessBus.this.deadLetter(entry, consumer.queue.spec.name(), reason);
        }
    }

    @Override
    public String toString() {
        Map<String, Integer> sizes = new HashMap<>();
        queues.forEach((n, q) -> {
            synchronized (q) {
                sizes.put(n, q.size);
            }
        });
        return "InProcessBus" + sizes;
    }
}
