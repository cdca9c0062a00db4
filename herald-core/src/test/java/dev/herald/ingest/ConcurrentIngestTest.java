package dev.herald.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.event.EventInput;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Producers that retry in parallel with the same key must still create one event and one fan-out. */
class ConcurrentIngestTest {

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void parallelDuplicatesCreateOneEventAndOneDeliveryPerEndpoint(DatabaseConfig db) throws Exception {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.endpoint(receiver.url("/a").toString(), List.of("*"));
            h.endpoint(receiver.url("/b").toString(), List.of("transfer.*"));
            int producers = 16;
            CountDownLatch go = new CountDownLatch(1);
            List<Future<IngestService.Accepted>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(producers)) {
                for (int i = 0; i < producers; i++) {
                    results.add(pool.submit(() -> {
                        go.await();
                        return h.publish(new EventInput(null, "transfer.created", null, "acc", null, "same-key", 0, null, null));
                    }));
                }
                go.countDown();
                List<IngestService.Accepted> accepted = new ArrayList<>();
                for (Future<IngestService.Accepted> f : results) {
                    accepted.add(f.get());
                }
                assertThat(accepted).extracting(IngestService.Accepted::id).containsOnly(accepted.getFirst().id());
                assertThat(accepted).filteredOn(a -> !a.duplicate()).hasSize(1);
                assertThat(h.deliveriesOf(accepted.getFirst().id())).hasSize(2);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.herald.testing.TestPostgres#allTargets")
    void duplicatesWithinOneBatchAreAnsweredWithTheFirst(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.endpoint(receiver.url("/a").toString(), List.of("*"));
            List<IngestService.Accepted> out = h.herald.ingest().ingest(List.of(
                    new EventInput(null, "account.created", null, "a", null, "k", 0, null, null),
                    new EventInput("evt_same", "account.updated", null, "a", null, null, 0, null, null),
                    new EventInput(null, "account.created", null, "a", null, "k", 0, null, null),
                    new EventInput("evt_same", "account.updated", null, "a", null, null, 0, null, null)));
            assertThat(out).extracting(IngestService.Accepted::duplicate).containsExactly(false, false, true, true);
            assertThat(out.get(2).id()).isEqualTo(out.get(0).id());
            assertThat(out.get(3).id()).isEqualTo("evt_same");
            assertThat(out).extracting(IngestService.Accepted::deliveries).containsOnly(1);
            assertThat(h.deliveriesOf(out.get(0).id())).hasSize(1);
            assertThat(h.deliveriesOf("evt_same")).hasSize(1);
        }
    }
}
