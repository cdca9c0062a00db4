package dev.herald.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The event stream of one phase. Event {@code seq} has id {@code <prefix><seq>} and type {@code bench.g<group>} with
 * {@code group = seq % groups}; endpoint {@code i} subscribes to {@code bench.g<i / fanout>}, so each event goes to exactly
 * the {@code fanout} endpoints of its group and a delivery to any other endpoint is a routing error. Every event carries
 * {@code data.sent_ns} (System.nanoTime() when posted) and is padded so the body a receiver gets is about
 * {@code eventBytes} long.
 */
record Workload(String idPrefix, int endpoints, int fanout, int eventBytes) {
    /** Length of {@code ,"timestamp":"2025-01-14T10:30:00Z"}, which Herald adds to the wire body. */
    private static final int TIMESTAMP_FIELD = 35;
    private static final String PAD = "x".repeat(1 << 16);

    Workload {
        if (fanout < 1 || endpoints < fanout || endpoints % fanout != 0) {
            throw new IllegalArgumentException("endpoints (" + endpoints + ") must be a positive multiple of fanout (" + fanout + ")");
        }
        if (eventBytes < 0 || eventBytes > PAD.length()) {
            throw new IllegalArgumentException("event size must be between 0 and " + PAD.length() + " bytes");
        }
    }

    int groups() {
        return endpoints / fanout;
    }

    int group(long seq) {
        return (int) (seq % groups());
    }

    static String type(int group) {
        return "bench.g" + group;
    }

    String subscription(int endpoint) {
        return type(endpoint / fanout);
    }

    String eventId(long seq) {
        return idPrefix + seq;
    }

    /** The seq of a webhook-id of this workload, or -1. */
    long seqOf(String webhookId) {
        if (webhookId == null || !webhookId.startsWith(idPrefix) || webhookId.length() == idPrefix.length()
                || webhookId.length() - idPrefix.length() > 18) {
            return -1;
        }
        long v = 0;
        for (int i = idPrefix.length(); i < webhookId.length(); i++) {
            char c = webhookId.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** The event as posted to {@code POST /v1/events} (Herald adds {@code timestamp}). */
    void appendEvent(StringBuilder sb, long seq, long sentNs) {
        int mark = sb.length();
        sb.append("{\"id\":\"").append(eventId(seq)).append("\",\"event\":\"").append(type(group(seq)))
                .append("\",\"account_uuid\":\"acct-").append(seq % 1000).append("\",\"data\":{\"sent_ns\":").append(sentNs)
                .append(",\"seq\":").append(seq).append(",\"pad\":\"");
        int pad = eventBytes - (sb.length() - mark) - 3 - TIMESTAMP_FIELD;
        sb.append(PAD, 0, Math.max(0, pad)).append("\"}}");
    }

    /** A body shaped like the one Herald sends for {@code seq} (id, event, timestamp, account_uuid, data): the raw-limit load. */
    byte[] wireBody(long seq, long sentNs, String timestamp) {
        StringBuilder sb = new StringBuilder(eventBytes + 64);
        appendEvent(sb, seq, sentNs);
        int at = sb.indexOf(",\"account_uuid\"");
        sb.insert(at, ",\"timestamp\":\"" + timestamp + "\"");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String timestampNow() {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }
}
