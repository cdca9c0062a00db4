package dev.herald.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpMethod;

/**
 * How the hand-written consumer POSTs one signed webhook: the message body as is, {@code webhook-id} (the message id,
 * so receivers dedupe a redelivery) and {@code X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, body)>}, the classic
 * header of the finance-bus design. Two clients: the JDK's with its defaults (the design), or Jetty's with a sized
 * connection pool per destination (tuned). Blocking; thread-safe.
 */
interface WebhookPoster extends AutoCloseable {
    Duration TIMEOUT = Duration.ofSeconds(30);

    /** POSTs {@code body} to {@code url}; returns the status code, or throws when no answer came. */
    int post(URI url, String webhookId, byte[] secret, byte[] body) throws IOException, InterruptedException;

    @Override
    void close();

    /** {@code sha256=<lowercase hex HMAC-SHA256(secret, body)>}. */
    static String signature(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** {@code java.net.http.HttpClient} as a team first writes it: HTTP/1.1, defaults otherwise (it keeps idle connections alive). */
    static WebhookPoster jdk() {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        return new WebhookPoster() {
            @Override
            public int post(URI url, String webhookId, byte[] secret, byte[] body) throws IOException, InterruptedException {
                HttpRequest request = HttpRequest.newBuilder(url).timeout(TIMEOUT)
                        .header("Content-Type", "application/json")
                        .header("webhook-id", webhookId)
                        .header("X-Webhook-Signature", signature(secret, body))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            }

            @Override
            public void close() {
                http.close();
            }
        };
    }

    /** Jetty's {@code HttpClient} with up to {@code connectionsPerDestination} pooled keep-alive connections per merchant. */
    static WebhookPoster pooled(int connectionsPerDestination) {
        org.eclipse.jetty.client.HttpClient http = Targets.client("payments-webhooks", connectionsPerDestination);
        return new WebhookPoster() {
            @Override
            public int post(URI url, String webhookId, byte[] secret, byte[] body) throws IOException, InterruptedException {
                try {
                    ContentResponse r = http.newRequest(url).method(HttpMethod.POST)
                            .headers(h -> h.put("webhook-id", webhookId).put("X-Webhook-Signature", signature(secret, body)))
                            .body(new BytesRequestContent("application/json", body))
                            .timeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                            .send();
                    return r.getStatus();
                } catch (TimeoutException | ExecutionException e) {
                    throw new IOException(e.getCause() == null ? e : e.getCause());
                }
            }

            @Override
            public void close() {
                Targets.stop(http);
            }
        };
    }
}
