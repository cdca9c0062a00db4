package dev.herald.server;

import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.herald.bus.Bus;
import dev.herald.store.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Prometheus registry: the JVM's meters (memory, GC, threads, class loading, CPU, uptime), the database
 * pool's ({@code hikaricp_*}), the bus consumer's lag ({@code herald_bus_messages_ready{queue}}, asked of the broker
 * every {@link #BUS_POLL_SECONDS} s, never per scrape) and, registered by the engine, Herald's own.
 */
final class NodeMetrics implements AutoCloseable {
    static final int BUS_POLL_SECONDS = 5;
    private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private ScheduledExecutorService busPoll;

    private NodeMetrics(PrometheusMeterRegistry registry, JvmGcMetrics gc) {
        this.registry = registry;
        this.gc = gc;
    }

    /** A registry with the JVM's meters bound. */
    static NodeMetrics start() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return new NodeMetrics(registry, gc);
    }

    MeterRegistry registry() {
        return registry;
    }

    /** Adds {@code database}'s connection pool. */
    void watch(Database database) {
        database.trackMetrics(new MicrometerMetricsTrackerFactory(registry));
    }

    /** Adds the number of messages waiting in {@code queue} of {@code bus} (-1 until the broker first answers). */
    synchronized void watch(Bus bus, String queue) {
        AtomicLong ready = new AtomicLong(-1);
        Gauge.builder("herald.bus.messages.ready", ready::get).tag("queue", queue)
                .description("Messages waiting in the bus queue Herald consumes (its consumer lag); -1 when unknown").register(registry);
        if (busPoll == null) {
            busPoll = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("herald-metrics-bus").daemon().factory());
        }
        busPoll.scheduleWithFixedDelay(() -> {
            try {
                ready.set(bus.ready(queue).orElse(-1));
            } catch (RuntimeException e) {
                ready.set(-1);
                log.debug("could not ask the bus how many messages wait in {}: {}", queue, e.toString());
            }
        }, 0, BUS_POLL_SECONDS, TimeUnit.SECONDS);
    }

    /** The Prometheus text exposition of every meter. */
    String scrape() {
        return registry.scrape();
    }

    @Override
    public synchronized void close() {
        if (busPoll != null) {
            busPoll.shutdownNow();
        }
        gc.close();
        registry.close();
    }
}
