package dev.herald.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;

/** Reads a request's JSON body, refusing more than the configured limit with 413 (declared or streamed). */
final class BodyReader {
    private final long maxBytes;

    BodyReader(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    JsonNode read(ServerRequest req) {
        if (req.headers().contentLength().orElse(-1) > maxBytes) {
            throw tooLarge();
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw tooLarge();
            }
            return JsonInput.parse(bytes);
        } catch (IOException e) {
            throw Problem.badRequest("could not read the request body: " + e.getMessage(), null);
        }
    }

    private Problem tooLarge() {
        return new Problem(413, "Content too large", "request body exceeds the limit of " + maxBytes + " bytes", null);
    }
}
