package dev.herald.bank;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bank.support.Json;
import dev.herald.bus.InProcessBus;
import dev.herald.store.DatabaseConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A whole bank (HTTP, relay, risk consumer) on an in-process bus, with a small client using {@link #KEY}. */
public final class TestBank implements AutoCloseable {
    public static final String KEY = "test-bank-key-0123456789";

    public final InProcessBus bus = InProcessBus.create();
    public final Bank bank;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** An HTTP answer. */
    public record Response(int status, String contentType, String body, Map<String, java.util.List<String>> headers) {
        public JsonNode json() {
            return Json.read(body);
        }
    }

    public TestBank(DatabaseConfig db, RiskRules rules) {
        this.bank = Bank.start(BankConfig.defaults(db, bus).withPort(0).withApiKey(KEY).withRisk(rules));
    }

    public Response send(String method, String path, String body, String key, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bank.port() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r.headers().map());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Response post(String path, String body) {
        return send("POST", path, body, KEY, Map.of());
    }

    public Response get(String path) {
        return send("GET", path, null, KEY, Map.of());
    }

    /** Opens an account and returns its uuid. */
    public String account(String currency) {
        Response r = post("/bank/v1/accounts", "{\"name\":\"Alice\",\"user_uuid\":\"" + java.util.UUID.randomUUID() + "\",\"currency\":\"" + currency + "\"}");
        if (r.status() != 201) {
            throw new AssertionError(r.toString());
        }
        return r.json().get("account_uuid").asText();
    }

    @Override
    public void close() {
        bank.close();
        bus.close();
    }
}
