package dev.herald.store.chain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A keyed, tamper-evident chain of entries (the audit logs of Herald and of the bank): entry {@code n} stores
 * {@code hash = hex(HMAC-SHA256(key, previous_hash || canonical(entry)))}, the first entry's previous hash being
 * {@link #GENESIS}. Without the key, an entry cannot be altered, inserted or re-linked with a hash that verifies, even
 * by someone who can rewrite every row. Entries at positions up to {@link #legacyThrough()} were written before chains
 * were keyed, as {@code hex(SHA-256(previous_hash || canonical))}; they keep verifying, and the first keyed entry's hash
 * covers the last of them. The boundary itself is bound to the key ({@link #boundaryMac()}).
 *
 * <p>What a key cannot show is entries removed from the end (the head can be moved back over entries that verify): an
 * {@link Anchor} — the head as seen earlier, kept outside the database (the log, a file) — catches that.
 */
public final class HashChain {
    /** The previous hash of the first entry: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);
    /** The length of a chain key in bytes. */
    public static final int KEY_BYTES = 32;

    private final SecretKeySpec key;
    private final long legacyThrough;

    /** A chain keyed with {@code key} ({@value #KEY_BYTES} bytes) whose entries at positions up to {@code legacyThrough} are unkeyed. */
    public HashChain(byte[] key, long legacyThrough) {
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("a chain key has " + KEY_BYTES + " bytes, not " + key.length);
        }
        if (legacyThrough < 0) {
            throw new IllegalArgumentException("legacyThrough must be 0 or more");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.legacyThrough = legacyThrough;
    }

    /** The position of the newest entry written unkeyed (before the chain had a key); 0 when none was. */
    public long legacyThrough() {
        return legacyThrough;
    }

    /** The MAC that binds {@link #legacyThrough()} to the key: stored beside it, checked by {@link #boundaryVerifies}. */
    public String boundaryMac() {
        return hmac("herald-chain-legacy-through:" + legacyThrough);
    }

    /** True when {@code storedMac} is this chain's {@link #boundaryMac()} (the boundary was not moved, the key is the one it was made with). */
    public boolean boundaryVerifies(String storedMac) {
        return storedMac != null && MessageDigest.isEqual(boundaryMac().getBytes(StandardCharsets.US_ASCII),
                storedMac.strip().getBytes(StandardCharsets.US_ASCII));
    }

    /** The hash a new entry at {@code position} (after the legacy ones) carries, linked to {@code previous}. */
    public String link(long position, String previous, String canonical) {
        if (position <= legacyThrough) {
            throw new IllegalArgumentException("position " + position + " is among the unkeyed entries (up to " + legacyThrough + ")");
        }
        return hmac(previous + canonical);
    }

    /** The hash the entry at {@code position} must carry: keyed, or (up to {@link #legacyThrough()}) the unkeyed SHA-256. */
    String expected(long position, String previous, String canonical) {
        return position <= legacyThrough ? unkeyed(previous, canonical) : hmac(previous + canonical);
    }

    /** The unkeyed link of entries written before chains were keyed: {@code hex(SHA-256(previous || canonical))}. */
    public static String unkeyed(String previous, String canonical) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((previous + canonical).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private String hmac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Fields joined without ambiguity: each as {@code <length>:<value>;}, null as {@code -;}, so no value can imitate a
     * field boundary.
     */
    public static String canonical(Object... fields) {
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

    /** {@code s} with NUL and unpaired surrogates (which PostgreSQL cannot store as given) replaced by U+FFFD, so it hashes as stored. */
    public static String storable(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(ch).append(s.charAt(++i));
            } else {
                sb.append(ch == 0 || Character.isSurrogate(ch) ? '\uFFFD' : ch);
            }
        }
        return sb.toString();
    }

    /**
     * The head of a chain as seen at some time, kept outside the database: the position of an entry and its hash, written
     * {@code <position>:<hash>}. A later verification against it fails if that entry is gone or changed.
     */
    public record Anchor(long position, String hash) {
        public Anchor {
            if (position < 1) {
                throw new IllegalArgumentException("an anchor names an entry from 1 on");
            }
            if (hash == null || !hash.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("an anchor's hash is 64 lowercase hex digits");
            }
        }

        /** Parses {@code <position>:<hash>}, as {@link #toString()} writes it. */
        public static Anchor parse(String text) {
            int colon = text == null ? -1 : text.indexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("an anchor looks like 42:<64 hex digits>");
            }
            long position;
            try {
                position = Long.parseLong(text.substring(0, colon).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("an anchor looks like 42:<64 hex digits>");
            }
            return new Anchor(position, text.substring(colon + 1).strip());
        }

        @Override
        public String toString() {
            return position + ":" + hash;
        }
    }

    /** Starts a verification walk over the entries in chain order, against {@code anchor} (null: none). */
    public Walk walk(Anchor anchor) {
        return new Walk(anchor);
    }

    /** One verification of the entries, fed oldest first; each step says what is wrong, or null. */
    public final class Walk {
        private final Anchor anchor;
        private String previous = GENESIS;
        private boolean anchorSeen;

        private Walk(Anchor anchor) {
            this.anchor = anchor;
        }

        /** The hash of the last entry seen ({@link #GENESIS} before the first). */
        public String last() {
            return previous;
        }

        /**
         * Checks the next entry: its stored previous hash is the last entry's hash, its hash is what its fields and
         * position give, and, if the anchor names it, its hash is the anchor's. Null when it verifies.
         */
        public String next(long position, String storedPrevious, String canonical, String hash) {
            String problem = null;
            if (!previous.equals(storedPrevious)) {
                problem = "the previous hash does not match the hash of the entry before (relinked or inserted)";
            } else if (!MessageDigest.isEqual(expected(position, storedPrevious, canonical).getBytes(StandardCharsets.US_ASCII),
                    String.valueOf(hash).getBytes(StandardCharsets.US_ASCII))) {
                problem = position <= legacyThrough
                        ? "hash does not match the entry's fields (the entry was altered)"
                        : "hash does not match the entry's fields under the chain key (the entry was altered or rewritten without the key)";
            } else if (anchor != null && anchor.position() == position) {
                anchorSeen = true;
                if (!anchor.hash().equals(hash)) {
                    problem = "the entry differs from the anchor " + anchor + " (the log was rewritten since)";
                }
            }
            previous = hash;
            return problem;
        }

        /** After the last entry: null, or that the entry the anchor names is gone (entries were removed from the end). */
        public String end() {
            if (anchor != null && !anchorSeen) {
                return "the anchor names entry " + anchor.position() + " but the log has no such entry (entries were removed from its end)";
            }
            return null;
        }
    }
}
