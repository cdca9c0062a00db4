package dev.herald.endpoint;

import static dev.herald.testing.EngineHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.delivery.Delivery;
import dev.herald.event.EventInput;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestPostgres;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fan-out through the registry's subscription index: exact types, prefixes at any depth, '*', each endpoint once. */
class FanOutTest {

    @Test
    void everySubscribedEndpointGetsOneDeliveryAndTargetingNarrowsToTheMerchant() {
        DatabaseConfig db = TestPostgres.embedded();
        try (EngineHarness h = EngineHarness.open(db)) {
            h.herald.endpoints().disable(OP, h.endpoint("https://example.com/exact", List.of("transfer.completed")).id());
            String prefix = pause(h, h.endpoint("https://example.com/prefix", List.of("transfer.*")).id());
            String both = pause(h, h.endpoint("https://example.com/both", List.of("*", "transfer.*", "transfer.completed")).id());
            pause(h, h.endpoint("https://example.com/other", List.of("account.*")).id());
            String merchant = pause(h, h.endpoint(new EndpointDraft("m1", "m1", null, "https://example.com/m1", List.of("*"), null, null, false,
                    null, null, null, 5)).id());
            String deep = pause(h, h.endpoint("https://example.com/deep", List.of("risk.alert.*")).id());
            String shallow = pause(h, h.endpoint("https://example.com/shallow", List.of("risk.*")).id());

            assertThat(h.publish("transfer.completed").deliveries()).isEqualTo(4);
            String targeted = h.publish(new EventInput(null, "transfer.completed", null, "a", null, null, 0, null, "m1")).id();
            assertThat(h.deliveriesOf(targeted)).extracting(Delivery::endpointId).containsExactly(merchant);

            String risk = h.publish("risk.alert.high").id();
            assertThat(h.deliveriesOf(risk)).extracting(Delivery::endpointId).containsExactlyInAnyOrder(deep, shallow, both, merchant);
            assertThat(h.publish("balance.low").deliveries()).as("only '*' subscribers").isEqualTo(2);
            assertThat(prefix).isNotEqualTo(both);
        }
    }

    private static String pause(EngineHarness h, String id) {
        h.herald.endpoints().disable(OP, id); // deliveries are created and wait; nothing is sent to example.com
        return id;
    }
}
