package dev.herald.notification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.delivery.Delivery;
import dev.herald.merchant.Merchant;
import dev.herald.notification.NotificationService.Mode;
import dev.herald.sdk.WebhookVerifier;
import dev.herald.store.DatabaseConfig;
import dev.herald.support.ValidationException;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestReceiver;
import dev.herald.testing.TestReceiver.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** notify_url callbacks: durable first, sync answers with the receiver's reply, the merchant's ack rule decides success. */
class NotificationTest {
    private static final String TARGETS = "dev.herald.testing.TestPostgres#allTargets";

    private static NotificationService.Request request(String merchant, String url, Mode mode) {
        ObjectNode payload = JsonNodeFactory.instance.objectNode().put("out_trade_no", "T-1001").put("trade_status", "TRADE_SUCCESS");
        return new NotificationService.Request(merchant, url, "payment.succeeded", payload, mode, 5, null, "acc-7");
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void syncNotificationReturnsTheReceiversAnswerSignedWithTheMerchantSecret(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            receiver.reply("/notify", new Reply(200, "success", Map.of(), false));
            Merchant m = h.herald.merchants().put("shop-1", "Shop", "body:success", false, null).merchant();

            NotificationService.Result r = h.herald.notifications().notify(request("shop-1", receiver.url("/notify").toString(), Mode.SYNC));
            assertThat(r.firstTry().success()).isTrue();
            assertThat(r.firstTry().result().statusCode()).isEqualTo(200);
            assertThat(r.firstTry().result().responseExcerpt()).isEqualTo("success");
            assertThat(h.herald.deliveries().get(r.deliveryId()).delivery().status()).isEqualTo(Delivery.Status.DELIVERED);

            TestReceiver.Received got = receiver.received("/notify").getFirst();
            assertThat(got.bodyText()).contains("\"event\":\"payment.succeeded\"").contains("T-1001");
            WebhookVerifier.create(m.secret()).verifyClassic(got.header("x-webhook-signature"), got.body());
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void answerWithoutTheAckBodyIsAFailureThatKeepsRetrying(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            receiver.reply("/notify", new Reply(200, "fail", Map.of(), false));
            h.herald.merchants().put("shop-2", null, "body:success", false, null);

            NotificationService.Result r = h.herald.notifications().notify(request("shop-2", receiver.url("/notify").toString(), Mode.SYNC));
            assertThat(r.firstTry().success()).isFalse();
            assertThat(r.firstTry().errorClass()).isEqualTo("ack_mismatch");
            Delivery d = h.herald.deliveries().get(r.deliveryId()).delivery();
            assertThat(d.status()).isEqualTo(Delivery.Status.PENDING);

            receiver.reply("/notify", new Reply(200, "success\n", Map.of(), false));
            h.advanceAndScan(Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(10)).until(() -> h.herald.deliveries().get(r.deliveryId()).delivery().status() == Delivery.Status.DELIVERED);
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void asyncNotificationIsDeliveredAndReusesOneTargetPerUrl(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put("shop-3", null, null, false, null);
            NotificationService.Result a = h.herald.notifications().notify(request("shop-3", receiver.url("/n").toString(), Mode.ASYNC));
            NotificationService.Result b = h.herald.notifications().notify(request("shop-3", receiver.url("/n").toString(), Mode.ASYNC));
            assertThat(a.firstTry()).isNull();
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/n").size() == 2);
            assertThat(receiver.received("/n")).extracting(x -> x.header("x-webhook-id")).as("one hidden endpoint per (merchant, url)").hasSize(2).containsOnly(
                    receiver.received("/n").getFirst().header("x-webhook-id"));
            assertThat(h.herald.endpoints().list(null, null, 100)).as("notification targets are not listed as endpoints").isEmpty();
            assertThat(List.of(a.eventId(), b.eventId())).doesNotHaveDuplicates();
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void changingTheMerchantsAckRuleReachesItsTargets(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            receiver.reply("/n", new Reply(200, "ok", Map.of(), false));
            h.herald.merchants().put("shop-4", null, "2xx", false, null);
            assertThat(h.herald.notifications().notify(request("shop-4", receiver.url("/n").toString(), Mode.SYNC)).firstTry().success()).isTrue();
            h.herald.merchants().put("shop-4", null, "body:SUCCESS", false, null);
            assertThat(h.herald.notifications().notify(request("shop-4", receiver.url("/n").toString(), Mode.SYNC)).firstTry().success()).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void unknownMerchantOrBadUrlIsAFieldError(DatabaseConfig db) {
        try (EngineHarness h = EngineHarness.open(db)) {
            assertThatThrownBy(() -> h.herald.notifications().notify(request("nobody", "https://example.com/n", Mode.ASYNC)))
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("merchant_id"));
            h.herald.merchants().put("shop-5", null, null, false, null);
            assertThatThrownBy(() -> h.herald.notifications().notify(request("shop-5", "ftp://example.com/n", Mode.ASYNC)))
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("notify_url"));
            assertThatThrownBy(() -> h.herald.merchants().put("shop-5", null, "body:", false, null))
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("ack"));
        }
    }
}
