package dev.herald.web;

import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** W3C trace context: the trace id of a {@code traceparent} header, and fresh trace ids. */
public final class Traceparent {
    /** Version 00; an all-zero trace id or parent id makes the header invalid (it is then ignored). */
    private static final Pattern HEADER = Pattern.compile("00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");
    private static final Pattern TRACE_ID = Pattern.compile("(?!0{32})[0-9a-f]{32}");

    private Traceparent() {}

    /** The trace id of a valid {@code traceparent} header value, else empty (an invalid header is ignored, as W3C says). */
    public static Optional<String> traceId(String header) {
        if (header == null) {
            return Optional.empty();
        }
        Matcher m = HEADER.matcher(header);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** True when {@code s} is a trace id: 32 lower-case hex digits, not all zero. */
    public static boolean isTraceId(String s) {
        return s != null && TRACE_ID.matcher(s).matches();
    }

    /** A random trace id. */
    public static String newTraceId() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1; // never all zero
        return HexFormat.of().formatHex(b);
    }
}
