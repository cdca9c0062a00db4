package dev.herald.notification;

import static dev.herald.testing.EngineHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.delivery.Delivery;
import dev.herald.merchant.Merchant;
import dev.herald.merchant.MerchantDraft;
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
            Merchant m = h.herald.merchants().put(OP, "shop-1", MerchantDraft.own("Shop", "body:success", false)).merchant();

            NotificationService.Result r = h.herald.notifications().notify(request("shop-1", receiver.url("/notify").toString(), Mode.SYNC));
            assertThat(r.firstTry().success()).isTrue();
            assertThat(r.firstTry().result().statusCode()).isEqualTo(200);
            assertThat(r.firstTry().result().responseExcerpt()).isEqualTo("success");
            assertThat(h.herald.deliveries().get(r.deliveryId(), null).delivery().status()).isEqualTo(Delivery.Status.DELIVERED);

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
            h.herald.merchants().put(OP, "shop-2", MerchantDraft.own(null, "body:success", false));

            NotificationService.Result r = h.herald.notifications().notify(request("shop-2", receiver.url("/notify").toString(), Mode.SYNC));
            assertThat(r.firstTry().success()).isFalse();
            assertThat(r.firstTry().errorClass()).isEqualTo("ack_mismatch");
            Delivery d = h.herald.deliveries().get(r.deliveryId(), null).delivery();
            assertThat(d.status()).isEqualTo(Delivery.Status.PENDING);

            receiver.reply("/notify", new Reply(200, "success\n", Map.of(), false));
            h.advanceAndScan(Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(10)).until(() -> h.herald.deliveries().get(r.deliveryId(), null).delivery().status() == Delivery.Status.DELIVERED);
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void asyncNotificationIsDeliveredAndReusesOneTargetPerUrl(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put(OP, "shop-3", MerchantDraft.own(null, null, false));
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
            h.herald.merchants().put(OP, "shop-4", MerchantDraft.own(null, "2xx", false));
            assertThat(h.herald.notifications().notify(request("shop-4", receiver.url("/n").toString(), Mode.SYNC)).firstTry().success()).isTrue();
            h.herald.merchants().put(OP, "shop-4", MerchantDraft.own(null, "body:SUCCESS", false));
            assertThat(h.herald.notifications().notify(request("shop-4", receiver.url("/n").toString(), Mode.SYNC)).firstTry().success()).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource(TARGETS)
    void unknownMerchantOrBadUrlIsAFieldError(DatabaseConfig db) {
        try (EngineHarness h = EngineHarness.open(db)) {
            assertThatThrownBy(() -> h.herald.notifications().notify(request("nobody", "https://example.com/n", Mode.ASYNC)))
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("merchant_id"));
            h.herald.merchants().put(OP, "shop-5", MerchantDraft.own(null, null, false));
            assertThatThrownBy(() -> h.herald.notifications().notify(request("shop-5", "ftp://example.com/n", Mode.ASYNC)))
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("notify_url"));
            assertThatThrownBy(() -> h.herald.merchants().put(OP, "shop-5", MerchantDraft.own(null, "body:", false)))
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("ack"));
        }
    }

    /**
     * Rotating a merchant's secret overlaps like an endpoint's: for 24 h both secrets sign every notification (to
     * targets made before and after the rotation), so receivers still holding the old secret keep verifying.
     */
    @ParameterizedTest
    @MethodSource(TARGETS)
    void aRotatedMerchantSecretSignsBesideTheNewOneForADay(DatabaseConfig db) {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(db)) {
            Merchant before = h.herald.merchants().put(OP, "shop-6", MerchantDraft.own(null, null, false)).merchant();
            assertThat(h.herald.notifications().notify(request("shop-6", receiver.url("/old").toString(), Mode.SYNC)).firstTry().success()).isTrue();
            Merchant after = h.herald.merchants().put(OP, "shop-6", MerchantDraft.own(null, null, true)).merchant();
            assertThat(after.secret()).isNotEqualTo(before.secret());
            assertThat(after.previousSecretUntil()).isEqualTo(after.updatedAt().plus(Duration.ofHours(24)));

            h.herald.notifications().notify(request("shop-6", receiver.url("/old").toString(), Mode.SYNC)); // target made before
            h.herald.notifications().notify(request("shop-6", receiver.url("/new").toString(), Mode.SYNC)); // target made during
            for (TestReceiver.Received got : List.of(receiver.received("/old").get(1), receiver.received("/new").getFirst())) {
                Map<String, List<String>> headers = Map.of("webhook-id", List.of(got.header("webhook-id")),
                        "webhook-timestamp", List.of(got.header("webhook-timestamp")), "webhook-signature", List.of(got.header("webhook-signature")));
                assertThat(got.header("webhook-signature").split(" ")).hasSize(2);
                WebhookVerifier.create(before.secret()).verify(headers, got.body());
                WebhookVerifier.create(after.secret()).verify(headers, got.body());
                WebhookVerifier.create(after.secret()).verifyClassic(got.header("x-webhook-signature"), got.body());
            }

            h.clock.advance(Duration.ofHours(24).plusSeconds(1));
            h.herald.notifications().notify(request("shop-6", receiver.url("/new").toString(), Mode.SYNC));
            TestReceiver.Received later = receiver.received("/new").get(1);
            assertThat(later.header("webhook-signature").split(" ")).as("the old secret no longer signs").hasSize(1);
        }
    }

    /** A notification refused by validation leaves nothing behind: no event, no delivery, no hidden endpoint. */
    @ParameterizedTest
    @MethodSource(TARGETS)
    void aRefusedNotificationLeavesNoHiddenEndpointBehind(DatabaseConfig db) {
        try (EngineHarness h = EngineHarness.open(db)) {
            h.herald.merchants().put(OP, "shop-7", MerchantDraft.own(null, null, false));
            String url = "http://127.0.0.1:9/n";
            List<NotificationService.Request> refused = List.of(
                    new NotificationService.Request("shop-7", url, "payment.succeeded", null, Mode.ASYNC, 0, "k".repeat(10_000), null),
                    new NotificationService.Request("shop-7", url, "payment.succeeded", null, Mode.ASYNC, 0, null, "a".repeat(10_000)),
                    new NotificationService.Request("shop-7", url, "payment." + "s".repeat(10_000), null, Mode.ASYNC, 0, null, null),
                    new NotificationService.Request("shop-7", url + "/" + "p".repeat(2_100), "payment.succeeded", null, Mode.ASYNC, 0, null, null));
            for (NotificationService.Request r : refused) {
                assertThatThrownBy(() -> h.herald.notifications().notify(r)).isInstanceOf(ValidationException.class);
            }
            long endpoints = h.jdbc.read(c -> dev.herald.store.Jdbc.query(c, "select count(*) from endpoints", ps -> {}, rs -> rs.getLong(1))).getFirst();
            assertThat(endpoints).isZero();
        }
    }
}
