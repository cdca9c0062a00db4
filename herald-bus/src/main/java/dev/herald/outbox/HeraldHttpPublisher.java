package dev.herald.outbox;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Publishes outbox events to a Herald node over HTTP: one {@code POST {heraldUrl}/v1/events} per batch, the body a
 * JSON array of the stored event bodies, authorised with {@code Bearer <apiKey>}. Herald answers 202 only once the
 * events are committed, so 202 is the only success; anything else (or no answer within {@code timeout}) throws and the
 * relay publishes the batch again (Herald dedupes by event id).
 */
public final class HeraldHttpPublisher implements OutboxPublisher {
    private final URI eventsUri;
    private final String apiKey;
    private final Duration timeout;
    private final HttpClient http;

    public HeraldHttpPublisher(URI heraldUrl, String apiKey, Duration timeout) {
        Objects.requireNonNull(heraldUrl, "heraldUrl");
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        String base = heraldUrl.toString();
        this.eventsUri = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/events");
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public void publish(List<OutboxEvent> events) throws IOException, InterruptedException {
        if (events.isEmpty()) {
            return;
        }
        StringBuilder body = new StringBuilder(events.size() * 256).append('[');
        for (int i = 0; i < events.size(); i++) {
            body.append(i == 0 ? "" : ",").append(events.get(i).body());
        }
        body.append(']');
        HttpRequest request = HttpRequest.newBuilder(eventsUri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            String answer = response.body() == null ? "" : response.body();
            throw new IOException("Herald answered " + response.statusCode() + " to " + events.size() + " events at " + eventsUri
                    + ": " + (answer.length() > 500 ? answer.substring(0, 500) + "…" : answer));
        }
    }

    @Override
    public String toString() {
        return "HeraldHttpPublisher[" + eventsUri + "]"; // never the key
    }
}
