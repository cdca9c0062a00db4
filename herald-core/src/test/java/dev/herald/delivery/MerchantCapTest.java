package dev.herald.delivery;

import static dev.herald.testing.EngineHarness.OP;
import dev.herald.merchant.MerchantDraft;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.EngineHarness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The per-merchant cap: one merchant's endpoints together never have more tries in flight than the cap; others flow. */
class MerchantCapTest {

    /** Answers {@code /slow/…} only once released, counting how many of those requests are open at once. */
    private static final class GatedReceiver implements AutoCloseable {
        final HttpServer server;
        final CountDownLatch open = new CountDownLatch(1);
        final AtomicInteger slowNow = new AtomicInteger();
        final AtomicInteger slowMax = new AtomicInteger();
        final AtomicInteger slowDone = new AtomicInteger();
        final AtomicInteger fastDone = new AtomicInteger();

        GatedReceiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", this::handle);
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                if (ex.getRequestURI().getPath().startsWith("/slow/")) {
                    slowMax.accumulateAndGet(slowNow.incrementAndGet(), Math::max);
                    try {
                        open.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        slowNow.decrementAndGet();
                    }
                    slowDone.incrementAndGet();
                } else {
                    fastDone.incrementAndGet();
                }
                ex.sendResponseHeaders(200, -1);
            }
        }

        @Override
        public void close() {
            open.countDown();
            server.stop(0);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aMerchantsEndpointsShareItsCapWhileAnotherMerchantFlows(DatabaseConfig db) throws IOException {
        try (GatedReceiver receiver = new GatedReceiver(); EngineHarness h = EngineHarness.open(db)) {
            for (String name : List.of("a", "b", "c")) { // 3 endpoints × 4 in flight each would be 12 without the cap
                h.endpoint(new EndpointDraft("slow-merchant", name, null, receiver.url("/slow/" + name), List.of("transfer.*"),
                        null, null, null, null, null, null, 2));
            }
            h.endpoint(new EndpointDraft("other-merchant", "fast", null, receiver.url("/fast"), List.of("transfer.*"),
                    null, null, null, null, null, null, 2));
            for (int i = 0; i < 10; i++) {
                h.publish("transfer.completed");
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.fastDone.get() == 10);
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.slowNow.get() == EngineHarness.MERCHANT_CAP);
            assertThat(h.herald.dispatcher().inFlightOfMerchant("slow-merchant")).isEqualTo(EngineHarness.MERCHANT_CAP);

            receiver.open.countDown();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                h.advanceAndScan(Duration.ofMinutes(20)); // tries that timed out while held come back on their schedule
                return receiver.slowDone.get() >= 30;
            });
            assertThat(receiver.slowMax.get()).as("most tries of one merchant open at once").isEqualTo(EngineHarness.MERCHANT_CAP);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aMerchantsOwnCapOverridesTheDefaultAndAChangeHoldsFromTheNextTry(DatabaseConfig db) throws IOException {
        try (GatedReceiver receiver = new GatedReceiver(); EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put(OP, "capped", new MerchantDraft(null, null, false, 2, null, null, null, null, null, null, null));
            for (String name : List.of("a", "b", "c")) {
                h.endpoint(new EndpointDraft("capped", name, null, receiver.url("/slow/" + name), List.of("transfer.*"),
                        null, null, null, null, null, null, 2));
            }
            for (int i = 0; i < 10; i++) {
                h.publish("transfer.completed");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.slowNow.get() == 2);
            h.scan();
            assertThat(h.herald.dispatcher().inFlightOfMerchant("capped")).as("its own cap, below the default of %d", EngineHarness.MERCHANT_CAP)
                    .isEqualTo(2);

            h.herald.merchants().put(OP, "capped", new MerchantDraft(null, null, false, 4, null, null, null, null, null, null, null));
            h.scan(); // the scan pumps every lane, which asks the gate again
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.slowNow.get() == 4);
            h.herald.merchants().put(OP, "capped", new MerchantDraft(null, null, false, 0, null, null, null, null, null, null, null)); // back to the node's default
            h.scan();
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.slowNow.get() == EngineHarness.MERCHANT_CAP);
            assertThat(h.herald.merchants().get("capped").maxInFlight()).isNull();
            assertThat(receiver.slowMax.get()).isEqualTo(EngineHarness.MERCHANT_CAP);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void aMerchantsEndpointsShareOnePartitionSoOneNodeHoldsTheirCap(DatabaseConfig db) {
        try (EngineHarness h = EngineHarness.open(db)) {
            java.util.Set<Integer> partitions = new java.util.HashSet<>();
            for (int i = 0; i < 8; i++) {
                String id = h.endpoint(new EndpointDraft("m-one-node", "e" + i, null, "http://127.0.0.1:9/x" + i, List.of("*"),
                        null, null, null, null, null, null, 2)).id();
                partitions.add(h.herald.endpoints().get(id).endpoint().partition());
            }
            assertThat(partitions).hasSize(1);
        }
    }
}
