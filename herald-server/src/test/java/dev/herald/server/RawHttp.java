package dev.herald.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Hand-written HTTP/1.1 exchanges for requests java.net.http refuses to make (odd paths, chunked bodies with
 * chosen sizes, missing headers). One request per connection ({@code Connection: close}).
 */
public final class RawHttp {
    private RawHttp() {}

    /** A parsed answer; header names lower-cased, body de-chunked. */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends {@code head} (request line and headers, without the blank line) then {@code body}, and reads the answer. */
    public static Answer exchange(int port, String head, byte[] body) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write((head + "\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            try {
                if (body != null) {
                    out.write(body);
                }
                out.flush();
            } catch (IOException serverStoppedReading) {
                // the server may answer (e.g. 413) and close before reading everything; read its answer anyway
            }
            return read(s.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code body} as chunked transfer coding in chunks of {@code chunkSize}. */
    public static byte[] chunked(byte[] body, int chunkSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < body.length; i += chunkSize) {
            int n = Math.min(chunkSize, body.length - i);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Reads one answer, stopping at its end (servers may keep the connection open despite Connection: close). */
    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int headEnd = -1;
        Map<String, String> headers = new LinkedHashMap<>();
        int status = 0;
        while (true) {
            int n = in.read(chunk);
            if (n > 0) {
                buf.write(chunk, 0, n);
            }
            byte[] all = buf.toByteArray();
            if (headEnd < 0) {
                headEnd = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
                if (headEnd >= 0) {
                    String[] lines = new String(all, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
                    status = Integer.parseInt(lines[0].split(" ")[1]);
                    for (int i = 1; i < lines.length; i++) {
                        int colon = lines[i].indexOf(':');
                        headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
                                (a, b) -> a + ", " + b);
                    }
                }
            }
            if (headEnd >= 0) {
                byte[] rest = java.util.Arrays.copyOfRange(all, headEnd + 4, all.length);
                if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                    if (n < 0 || indexOf(rest, "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0) >= 0 && complete(rest)) {
                        return new Answer(status, headers, dechunk(rest));
                    }
                } else if (headers.containsKey("content-length")) {
                    int length = Integer.parseInt(headers.get("content-length"));
                    if (rest.length >= length || n < 0) {
                        return new Answer(status, headers, java.util.Arrays.copyOf(rest, Math.min(rest.length, length)));
                    }
                } else if (n < 0) {
                    return new Answer(status, headers, rest);
                }
            } else if (n < 0) {
                throw new IOException("no complete HTTP head in: " + buf.toString(StandardCharsets.ISO_8859_1));
            }
        }
    }

    /** True when {@code b} holds a complete chunked body. */
    private static boolean complete(byte[] b) {
        int i = 0;
        while (i < b.length) {
            int eol = indexOf(b, "\r\n".getBytes(StandardCharsets.US_ASCII), i);
            if (eol < 0) {
                return false;
            }
            String sizeText = new String(b, i, eol - i, StandardCharsets.US_ASCII);
            int semi = sizeText.indexOf(';');
            int size = Integer.parseInt((semi >= 0 ? sizeText.substring(0, semi) : sizeText).trim(), 16);
            if (size == 0) {
                return indexOf(b, "\r\n".getBytes(StandardCharsets.US_ASCII), eol + 2) >= 0;
            }
            i = eol + 2 + size + 2;
        }
        return false;
    }

    private static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int eol = indexOf(b, "\r\n".getBytes(StandardCharsets.US_ASCII), i);
            if (eol < 0) {
                break;
            }
            String sizeText = new String(b, i, eol - i, StandardCharsets.US_ASCII);
            int semi = sizeText.indexOf(';');
            int size = Integer.parseInt((semi >= 0 ? sizeText.substring(0, semi) : sizeText).trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(b, eol + 2, Math.min(size, b.length - eol - 2));
            i = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
