package dev.herald.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;

/** Reads a request's body, refusing more than the configured limit with a 413 problem (declared or streamed). */
public final class BodyReader {
    private final long maxBytes;

    public BodyReader(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The largest body accepted, in bytes. */
    public long maxBytes() {
        return maxBytes;
    }

    /** The body's bytes (empty when there is none). */
    public byte[] bytes(ServerRequest req) {
        if (req.headers().contentLength().orElse(-1) > maxBytes) {
            throw tooLarge();
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw tooLarge();
            }
            return bytes;
        } catch (IOException e) {
            throw Problem.badRequest("could not read the request body", null);
        }
    }

    /** The body as a JSON document (see {@link JsonInput#parse}). */
    public JsonNode json(ServerRequest req) {
        return JsonInput.parse(bytes(req));
    }

    private Problem tooLarge() {
        return new Problem(413, "Content too large", "request body exceeds the limit of " + maxBytes + " bytes", null);
    }
}
