package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestServer;
import dev.herald.server.TestServer.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A merchant's URL rules hold whenever one of its endpoints or notify_urls is created or changed: allowed host
 * patterns and ports, https only, and the private networks its bank-internal receivers may use — on a node that
 * otherwise refuses private addresses. Blocked merchants get a 403 problem.
 */
class MerchantControlsApiTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(false); // private addresses refused node-wide
        Response r = server.put("/v1/merchants/bank-line", "{\"url_rules\": {\"hosts\": [\"*.shop.example\", \"api.bank.example:8443\", \"10.20.1.5\"],"
                + " \"private_networks\": [\"10.20.0.0/16\"]}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("url_rules").get("private_networks").get(0).asText()).isEqualTo("10.20.0.0/16");
        assertThat(server.put("/v1/merchants/tls-only", "{\"url_rules\": {\"https_only\": true}}").status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void loopbackInAnyFormIsRefusedAsAPrivateNetworkNamingTheField() {
        for (String network : List.of("127.0.0.0/8", "127.0.0.1", "127.1.2.0/24", "127.255.255.255", "0.0.0.0/8", "::1",
                "::1/128", "::/120", "::ffff:127.0.0.1", "::ffff:7f00:0/104", "64:ff9b::7f00:1", "2002:7f00::/24", "2001:0:0:0:0:0:80ff:fffe")) {
            Response r = server.put("/v1/merchants/loopback-line", TestServer.toJson(Map.of("url_rules",
                    Map.of("private_networks", List.of("10.30.0.0/16", network)))));
            assertThat(r.status()).as("%s: %s", network, r.body()).isEqualTo(422);
            assertThat(r.json().get("field").asText()).isEqualTo("url_rules.private_networks[1]");
            assertThat(r.json().get("detail").asText()).contains("loopback").contains("--allow-loopback-networks");
        }
        assertThat(server.get("/v1/merchants/loopback-line").status()).as("nothing stored").isEqualTo(404);
        Response fine = server.put("/v1/merchants/loopback-line", TestServer.toJson(Map.of("url_rules",
                Map.of("private_networks", List.of("10.30.0.0/16", "126.0.0.0/8", "128.0.0.0/16", "fd00:1::/48")))));
        assertThat(fine.status()).as(fine.body()).isEqualTo(201);
    }

    private static Response endpoint(String merchant, String url) {
        return server.postJson("/v1/endpoints", Map.of("url", url, "events", List.of("x.y"), "merchant_id", merchant, "is_active", false));
    }

    @Test
    void aMerchantsRetentionIsSetByTheOperatorOnlyWithinOneToTenYearsAndAudited() {
        Response set = server.put("/v1/merchants/long-keeper", "{\"retention_days\": 90}");
        assertThat(set.status()).as(set.body()).isEqualTo(201);
        assertThat(set.json().get("retention_days").asInt()).isEqualTo(90);
        assertThat(server.get("/v1/merchants/long-keeper").json().get("retention_days").asInt()).isEqualTo(90);

        Response tooLong = server.put("/v1/merchants/long-keeper", "{\"retention_days\": 3651}");
        assertThat(tooLong.status()).isEqualTo(422);
        assertThat(tooLong.json().get("field").asText()).isEqualTo("retention_days");
        Response negative = server.put("/v1/merchants/long-keeper", "{\"retention_days\": -1}");
        assertThat(negative.status()).isEqualTo(422);
        assertThat(negative.json().get("field").asText()).isEqualTo("retention_days");

        String key = server.postJson("/v1/api-keys", Map.of("name", "keeper", "merchant_id", "long-keeper", "scopes", List.of("merchant:write")))
                .json().get("key").asText();
        Response own = server.send(server.request("/v1/merchants/long-keeper").setHeader("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"retention_days\": 365}")).build());
        assertThat(own.status()).as("storage is the operator's to spend").isEqualTo(403);
        assertThat(own.json().get("field").asText()).isEqualTo("retention_days");

        Response back = server.put("/v1/merchants/long-keeper", "{\"retention_days\": 0}");
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.json().get("retention_days").isNull()).as("0 returns to the node's retention").isTrue();
        String audit = server.get("/v1/audit?target=long-keeper&action=merchant.update&limit=10").body();
        assertThat(audit).contains("\"retention_days\":90").contains("\"retention_days\":null");
    }

    @Test
    void endpointsKeepTheirMerchantsHostPatternsPortsAndNetworks() {
        assertThat(endpoint("bank-line", "https://pay.shop.example/hook").status()).isEqualTo(201);
        assertThat(endpoint("bank-line", "https://api.bank.example:8443/hook").status()).isEqualTo(201);
        assertThat(endpoint("bank-line", "http://10.20.1.5/hook").status()).as("a private address in the merchant's network").isEqualTo(201);
        for (String refused : List.of("https://shop.example/hook", "https://evil.example/hook", "https://api.bank.example/hook",
                "https://pay.shop.example.evil.example/", "http://10.30.1.5/hook")) {
            Response r = endpoint("bank-line", refused);
            assertThat(r.status()).as(refused).isEqualTo(422);
            assertThat(r.json().get("field").asText()).isEqualTo("url");
        }
        Response http = endpoint("tls-only", "http://pay.example/hook");
        assertThat(http.status()).isEqualTo(422);
        assertThat(endpoint("tls-only", "https://pay.example/hook").status()).isEqualTo(201);
        Response otherMerchant = endpoint("tls-only", "http://10.20.1.5/hook");
        assertThat(otherMerchant.status()).as("another merchant's private network is not this one's").isEqualTo(422);
    }

    @Test
    void aChangedUrlOrMerchantIsCheckedAgain() {
        String id = endpoint("bank-line", "https://pay.shop.example/hook").json().get("id").asText();
        Response r = server.patchJson("/v1/endpoints/" + id, Map.of("url", "https://elsewhere.example/"));
        assertThat(r.status()).isEqualTo(422);
        Response moved = server.patchJson("/v1/endpoints/" + id, Map.of("merchant_id", "tls-only", "url", "http://pay.example/"));
        assertThat(moved.status()).isEqualTo(422);
        assertThat(server.get("/v1/endpoints/" + id).json().get("url").asText()).isEqualTo("https://pay.shop.example/hook");
    }

    @Test
    void newHostRulesThatLiveEndpointsBreakAreRefusedNamingThem() {
        assertThat(server.put("/v1/merchants/narrowing", "{\"url_rules\": {\"hosts\": [\"*.shop.example\"]}}").status()).isEqualTo(201);
        String id = endpoint("narrowing", "https://old.shop.example/hook").json().get("id").asText();
        Response narrowed = server.put("/v1/merchants/narrowing", "{\"url_rules\": {\"hosts\": [\"new.shop.example\"]}}");
        assertThat(narrowed.status()).isEqualTo(422);
        assertThat(narrowed.json().get("field").asText()).isEqualTo("url_rules");
        assertThat(narrowed.json().get("detail").asText()).contains(id);
        Response httpsOnly = server.put("/v1/merchants/narrowing", "{\"url_rules\": {\"https_only\": true}}");
        assertThat(httpsOnly.status()).as("https-only holds for the https endpoint").isEqualTo(200);
        assertThat(server.get("/v1/merchants/narrowing").json().get("url_rules").get("hosts").get(0).asText()).isEqualTo("*.shop.example");
        assertThat(server.delete("/v1/endpoints/" + id).status()).isEqualTo(204);
        assertThat(server.put("/v1/merchants/narrowing", "{\"url_rules\": {\"hosts\": [\"new.shop.example\"]}}").status())
                .as("nothing left that breaks them").isEqualTo(200);
    }

    @Test
    void notifyUrlsKeepTheMerchantsRules() {
        Response r = server.postJson("/v1/notifications", Map.of("merchant_id", "bank-line", "notify_url", "https://evil.example/n", "mode", "async"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("field").asText()).isEqualTo("notify_url");
        assertThat(server.postJson("/v1/notifications", Map.of("merchant_id", "bank-line", "notify_url", "https://x.shop.example/n",
                "mode", "async")).status()).isEqualTo(202);
    }

    @Test
    void aBlockedMerchantsNewEventsAndNotificationsAre403() {
        assertThat(server.put("/v1/merchants/blocked-co", "{\"status\": \"blocked\"}").status()).isEqualTo(201);
        Response event = server.postJson("/v1/events", Map.of("event", "x.y", "merchant_id", "blocked-co"));
        assertThat(event.status()).as(event.body()).isEqualTo(403);
        assertThat(event.json().get("field").asText()).isEqualTo("merchant_id");
        Response notification = server.postJson("/v1/notifications", Map.of("merchant_id", "blocked-co", "notify_url", "https://a.example/n"));
        assertThat(notification.status()).isEqualTo(403);
        assertThat(server.get("/v1/merchants/blocked-co").json().get("status").asText()).isEqualTo("blocked");
    }
}
