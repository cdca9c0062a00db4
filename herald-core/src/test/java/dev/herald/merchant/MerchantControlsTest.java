package dev.herald.merchant;

import static dev.herald.testing.EngineHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.delivery.Delivery;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.event.EventInput;
import dev.herald.ingest.IngestService;
import dev.herald.notification.NotificationService;
import dev.herald.notification.NotificationService.Mode;
import dev.herald.store.DatabaseConfig;
import dev.herald.support.ForbiddenException;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator's black and white lists: a suspended merchant's deliveries wait and resume on re-activation; a blocked
 * merchant's new events and notifications are refused while what is pending waits; in allow-list mode only listed
 * merchants receive. Nothing is ever dropped. Plus notification routing by event type and a default priority.
 */
class MerchantControlsTest {
    private static final String TARGETS = "dev.herald.testing.TestPostgres#allTargets";

    private static MerchantDraft status(String status) {
        return new MerchantDraft(null, null, false, null, status, null, null, null, null, null, null);
    }

    private static String endpoint(EngineHarness h, TestReceiver r, String merchant, String path) {
        return h.endpoint(new EndpointDraft(merchant, "m", null, r.url(path).toString(), List.of("shop.*"), null, null, null, null, null, null, 2))
                .id();
    }

    private static IngestService.Accepted publish(EngineHarness h, String merchant) {
        return h.publish(new EventInput(null, "shop.paid", null, "acc", JsonNodeFactory.instance.objectNode().put("n", 1), null, 0, null, merchant));
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aSuspendedMerchantsDeliveriesWaitAndGoOutWhenItIsActiveAgain(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put(OP, "shop-s", status("suspended"));
            endpoint(h, receiver, "shop-s", "/s");
            IngestService.Accepted a = publish(h, "shop-s");
            IngestService.Accepted b = publish(h, null); // a broadcast event waits too
            assertThat(a.deliveries()).isEqualTo(1);
            h.advanceAndScan(Duration.ofMinutes(10));
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> receiver.received("/s").isEmpty());
            assertThat(h.onlyDeliveryOf(a.id()).status()).isEqualTo(Delivery.Status.PENDING);

            h.herald.merchants().put(OP, "shop-s", status("active"));
            h.scan();
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/s").size() == 2);
            assertThat(receiver.received("/s")).extracting(x -> x.header("webhook-id")).containsExactlyInAnyOrder(a.id(), b.id());
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void aBlockedMerchantGetsNoNewEventsOrNotificationsButKeepsWhatIsPending(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put(OP, "shop-b", status("suspended"));
            String ep = endpoint(h, receiver, "shop-b", "/b");
            IngestService.Accepted pending = publish(h, "shop-b");
            h.herald.merchants().put(OP, "shop-b", status("blocked"));

            assertThatThrownBy(() -> publish(h, "shop-b")).isInstanceOfSatisfying(ForbiddenException.class,
                    e -> assertThat(e.field()).isEqualTo("merchant_id"));
            assertThatThrownBy(() -> h.herald.notifications().notify(new NotificationService.Request("shop-b", receiver.url("/n").toString(),
                    "shop.paid", null, Mode.ASYNC, null, null, null))).isInstanceOf(ForbiddenException.class);
            IngestService.Accepted broadcast = publish(h, null);
            assertThat(broadcast.deliveries()).as("a blocked merchant's endpoints are left out of new fan-outs").isZero();
            assertThat(h.onlyDeliveryOf(pending.id()).status()).isEqualTo(Delivery.Status.PENDING);

            h.herald.merchants().put(OP, "shop-b", status("active"));
            h.scan();
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/b").size() == 1);
            assertThat(receiver.received("/b").getFirst().header("webhook-id")).isEqualTo(pending.id());
            assertThat(h.onlyDeliveryOf(pending.id()).endpointId()).isEqualTo(ep);
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void inAllowListModeOnlyListedMerchantsReceive(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db, c -> c.withMerchantAllowList(true))) {
            h.herald.merchants().put(OP, "listed", new MerchantDraft(null, null, false, null, null, true, null, null, null, null, null));
            h.herald.merchants().put(OP, "unlisted", MerchantDraft.own(null, null, false));
            endpoint(h, receiver, "listed", "/listed");
            endpoint(h, receiver, "unlisted", "/unlisted");
            h.endpoint(receiver.url("/operator").toString(), List.of("shop.*")); // the operator's own endpoints always receive

            IngestService.Accepted broadcast = publish(h, null);
            assertThat(broadcast.deliveries()).isEqualTo(2);
            assertThatThrownBy(() -> publish(h, "unlisted")).isInstanceOf(ForbiddenException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/listed").size() == 1 && receiver.received("/operator").size() == 1);
            assertThat(receiver.received("/unlisted")).isEmpty();

            h.herald.merchants().put(OP, "unlisted", new MerchantDraft(null, null, false, null, null, true, null, null, null, null, null));
            publish(h, "unlisted");
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/unlisted").size() == 1);
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void notificationsAreRoutedByTypeAndTakeTheMerchantsDefaultPriority(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put(OP, "shop-r", new MerchantDraft(null, null, false, null, null, null, null, null, null,
                    List.of("payment.succeeded"), 7));
            NotificationService.Result sync = h.herald.notifications().notify(new NotificationService.Request("shop-r",
                    receiver.url("/r").toString(), "payment.succeeded", null, null, null, null, null));
            assertThat(sync.firstTry()).as("payment.succeeded is routed synchronously").isNotNull();
            assertThat(sync.firstTry().success()).isTrue();
            NotificationService.Result async = h.herald.notifications().notify(new NotificationService.Request("shop-r",
                    receiver.url("/r").toString(), "refund.succeeded", null, null, null, null, null));
            assertThat(async.firstTry()).isNull();
            NotificationService.Result forced = h.herald.notifications().notify(new NotificationService.Request("shop-r",
                    receiver.url("/r").toString(), "payment.succeeded", null, Mode.ASYNC, 2, null, null));
            assertThat(forced.firstTry()).as("the caller's mode wins").isNull();
            assertThat(h.herald.events().get(async.eventId(), null, null).priority()).isEqualTo(7);
            assertThat(h.herald.events().get(forced.eventId(), null, null).priority()).isEqualTo(2);
        }
    }
}
