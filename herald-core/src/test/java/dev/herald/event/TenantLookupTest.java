package dev.herald.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.support.Ids;
import dev.herald.support.NotFoundException;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.StatementLog;
import dev.herald.testing.StatementLog.Statement;
import dev.herald.testing.TestPostgres;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A merchant cannot tell another merchant's event or delivery from a missing one by how long the 404 takes: both run
 * the same statements, which return the same rows (none). Checked statement by statement, which is deterministic, rather
 * than by timing.
 */
class TenantLookupTest {
    @Test
    void anotherMerchantsEventOrDeliveryCostsTheSameStatementsAsAMissingOne() {
        StatementLog log = new StatementLog();
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded(), log)) {
            h.endpoint(new EndpointDraft("m-b", "b", null, "http://127.0.0.1:9/b", List.of("*"), null, null, false, null, null, null, 2));
            h.publish(new EventInput("order-1", "order.paid", null, "acc-1", JsonNodeFactory.instance.objectNode().put("n", 1), null, 0, null, "m-b"));
            String delivery = h.onlyDeliveryOf("order-1").id();
            String missingDelivery = Ids.next("dlv", Ids.millisOf(delivery)); // same day, so the same partition is read first
            assertThat(h.herald.events().get("order-1", null, null).targetMerchant()).as("the operator finds it").isEqualTo("m-b");
            assertThat(h.herald.events().get("order-1", null, "m-b").id()).as("its merchant finds it").isEqualTo("order-1");
            assertThat(h.herald.deliveries().get(delivery, "m-b").delivery().id()).isEqualTo(delivery);

            List<Statement> otherEvent = log.during(() -> assertThatThrownBy(() -> h.herald.events().get("order-1", null, "m-a"))
                    .isInstanceOf(NotFoundException.class));
            List<Statement> missingEvent = log.during(() -> assertThatThrownBy(() -> h.herald.events().get("order-2", null, "m-a"))
                    .isInstanceOf(NotFoundException.class));
            assertThat(otherEvent).isNotEmpty().isEqualTo(missingEvent).allSatisfy(s -> assertThat(s.rows()).isZero());
            assertThat(log.during(() -> assertThat(h.herald.events().exists("order-1", "m-a")).isFalse()))
                    .isEqualTo(log.during(() -> assertThat(h.herald.events().exists("order-2", "m-a")).isFalse()));

            List<Statement> otherDelivery = log.during(() -> assertThatThrownBy(() -> h.herald.deliveries().get(delivery, "m-a"))
                    .isInstanceOf(NotFoundException.class));
            List<Statement> missingDelivery2 = log.during(() -> assertThatThrownBy(() -> h.herald.deliveries().get(missingDelivery, "m-a"))
                    .isInstanceOf(NotFoundException.class));
            assertThat(otherDelivery).isNotEmpty().isEqualTo(missingDelivery2).allSatisfy(s -> assertThat(s.rows()).isZero());
        }
    }
}
