package dev.herald.server.console;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Failed console logins per client address and presented key prefix: a token bucket of {@code failures} tokens per
 * (address, label), one token back every {@code window / failures}. The label is the prefix of the key presented when a
 * live key has that prefix, else {@link #UNKNOWN}: guesses that can match no key share one bucket per address, and
 * guesses aimed at one key's prefix share that key's. So one caller's failures never lock out a key with another prefix
 * (an operator behind the same proxy or NAT keeps logging in), and each address has at most 10 failures per window for
 * each live key plus 10 for everything else. Each login takes a token before its key is looked at and a login that did
 * not fail gives it back, so each failed login costs one; a bucket with none left is refused until one is back, its key
 * unread. A successful login gives back only its own token (so a caller holding one valid key cannot reset the count it
 * burns guessing others), and one bucket's state never touches another's. An IPv6 address counts by its /64, which one
 * client typically holds whole.
 *
 * <p>Memory is bounded: at most {@code maxAddresses} buckets are kept; past that, buckets that have refilled are dropped
 * first, then the least recently touched. Per node: each node of a cluster counts on its own.
 */
final class LoginThrottle {
    /** Ten failed logins per address, then one more every minute. */
    static final int FAILURES = 10;
    static final Duration WINDOW = Duration.ofMinutes(10);
    static final int MAX_ADDRESSES = 10_000;
    /** The label of a presented key whose prefix no live key has. */
    static final String UNKNOWN = "*";

    private final Clock clock;
    private final int capacity;
    private final long refillNanos;
    private final int maxAddresses;
    private final LinkedHashMap<String, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true);

    /** A bucket's tokens as of {@code at}. */
    private record Bucket(double tokens, Instant at) {}

    LoginThrottle(Clock clock, int failures, Duration window, int maxAddresses) {
        if (failures < 1 || window.isZero() || window.isNegative() || maxAddresses < 1) {
            throw new IllegalArgumentException("failures, window and maxAddresses must be positive");
        }
        this.clock = clock;
        this.capacity = failures;
        this.refillNanos = window.toNanos() / failures;
        this.maxAddresses = maxAddresses;
    }

    LoginThrottle(Clock clock) {
        this(clock, FAILURES, WINDOW, MAX_ADDRESSES);
    }

    /**
     * Takes a try for {@code address} presenting a key labelled {@code label}: empty when it may try now, else how long it
     * must wait. A try taken is kept as a failure unless {@link #release} gives it back, so parallel guesses cannot all
     * pass before the first one fails.
     */
    synchronized Optional<Duration> acquire(String address, String label) {
        Instant now = clock.instant();
        String k = key(address) + " " + label;
        Bucket b = buckets.get(k);
        double tokens = b == null ? capacity : tokens(b, now);
        if (tokens < 1) {
            return Optional.of(Duration.ofNanos((long) Math.ceil((1 - tokens) * refillNanos)));
        }
        buckets.put(k, new Bucket(tokens - 1, now));
        if (buckets.size() > maxAddresses) {
            evict(now);
        }
        return Optional.empty();
    }

    /** Gives back the try {@link #acquire} took, for a login that did not fail (it logged in, or gave no key). */
    synchronized void release(String address, String label) {
        String k = key(address) + " " + label;
        Bucket b = buckets.get(k);
        if (b != null) {
            Instant now = clock.instant();
            buckets.put(k, new Bucket(Math.min(capacity, tokens(b, now) + 1), now));
        }
    }

    /** Buckets (address and label) counted now (for tests and metrics). */
    synchronized int buckets() {
        return buckets.size();
    }

    private double tokens(Bucket b, Instant now) {
        long elapsed = Math.max(0, Duration.between(b.at(), now).toNanos());
        return Math.min(capacity, b.tokens() + (double) elapsed / refillNanos);
    }

    private void evict(Instant now) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext() && buckets.size() > maxAddresses; ) {
            if (tokens(it.next(), now) >= capacity) {
                it.remove(); // refilled: it holds nothing worth keeping
            }
        }
        for (Iterator<Map.Entry<String, Bucket>> it = buckets.entrySet().iterator(); it.hasNext() && buckets.size() > maxAddresses; ) {
            it.next();
            it.remove(); // least recently touched first
        }
    }

    /** The bucket of {@code address}: itself, or its /64 for IPv6. */
    static String key(String address) {
        if (address == null || address.isEmpty()) {
            return "";
        }
        if (address.indexOf(':') < 0) {
            return address;
        }
        try {
            // a literal with ':' is parsed, never looked up
            byte[] raw = InetAddress.getByName(address.startsWith("[") ? address : "[" + address + "]").getAddress();
            if (raw.length != 16) {
                return address;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                sb.append(Integer.toHexString(((raw[i] & 0xff) << 8) | (raw[i + 1] & 0xff))).append(':');
            }
            return sb.append(":/64").toString();
        } catch (UnknownHostException e) {
            return address;
        }
    }
}
