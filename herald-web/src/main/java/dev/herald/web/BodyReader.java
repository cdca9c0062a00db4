package dev.herald.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.CloseConnectionException;
import java.io.ByteArrayOutputStream;
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

    /**
     * The body's bytes (empty when there is none). While it is read the connection is on the idle clock (a body that
     * stops arriving is cut off by the listener); a client that breaks the connection mid-body ends the connection
     * quietly ({@link CloseConnectionException}), without an answer nobody would read.
     */
    public byte[] bytes(ServerRequest req) {
        if (req.headers().contentLength().orElse(-1) > maxBytes) {
            throw tooLarge();
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        ConnectionGuard.bodyStarted();
        try (InputStream in = req.content().inputStream()) {
            int limit = (int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1);
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(limit, 16 * 1024));
            byte[] chunk = new byte[16 * 1024];
            int n;
            while (out.size() < limit && (n = in.read(chunk, 0, Math.min(chunk.length, limit - out.size()))) >= 0) {
                out.write(chunk, 0, n);
                ConnectionGuard.bodyProgress();
            }
            if (out.size() > maxBytes) {
                throw tooLarge();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw Problem.badRequest("could not read the request body", null);
        } catch (Problem p) {
            throw p;
        } catch (RuntimeException e) {
            if (e instanceof NumberFormatException || e.getCause() instanceof NumberFormatException) {
                throw Problem.badRequest("the request body's chunked encoding is malformed", null);
            }
            if (ClientFaults.isClientFault(e)) {
                ConnectionGuard.noteFault("request body cut off (" + ClientFaults.describe(e) + ")");
                throw new CloseConnectionException("request body could not be read", e);
            }
            throw e;
        } finally {
            ConnectionGuard.bodyFinished();
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
