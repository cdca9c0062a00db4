package dev.herald.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The audit log's hash chain: {@code hash = hex(SHA-256(prev_hash || canonical(entry)))}, the first entry's
 * {@code prev_hash} being {@link #GENESIS}. The canonical encoding writes every field as {@code <length>:<value>;} (null as
 * {@code -;}), so no value can imitate a field boundary; times are whole microseconds since the epoch, as stored.
 */
public final class Chain {
    /** The previous hash of the first entry: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);

    private Chain() {}

    /** The hash {@code e} must carry given its fields and its {@code prevHash}. */
    public static String hash(AuditEntry e) {
        return link(e.prevHash(), canonical(e.seq(), ChronoUnit.MICROS.between(Instant.EPOCH, e.at()), e.actor().keyId(), e.actor().keyName(),
                e.actor().merchantId(), e.action(), e.target().type(), e.target().id(), e.target().merchantId(), e.before(), e.after(),
                e.clientAddress(), e.traceId()));
    }

    static String link(String previousHash, String canonical) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((previousHash + canonical).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String canonical(Object... fields) {
        StringBuilder sb = new StringBuilder();
        for (Object f : fields) {
            if (f == null) {
                sb.append("-;");
            } else {
                String s = f.toString();
                sb.append(s.length()).append(':').append(s).append(';');
            }
        }
        return sb.toString();
    }
}
