package dev.herald.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How one fleet endpoint answers. Parsed from specs such as {@code fast}, {@code slow:20}, {@code slow:5-50},
 * {@code hang}, {@code error:503:1} (status, Retry-After seconds), {@code flaky:0.1}, {@code reset}, {@code trickle:2000}.
 */
sealed interface Behaviour {
    /** True when every request eventually gets a 2xx, so each accepted delivery must arrive (loss is counted). */
    boolean eventuallyAcks();

    String spec();

    record Fast() implements Behaviour {
        public boolean eventuallyAcks() { return true; }
        public String spec() { return "fast"; }
    }

    /** Answers 200 after a uniform wait in {@code [minMs, maxMs]}. */
    record Slow(int minMs, int maxMs) implements Behaviour {
        public boolean eventuallyAcks() { return true; }
        public String spec() { return minMs == maxMs ? "slow:" + minMs : "slow:" + minMs + "-" + maxMs; }
    }

    /** Never answers; the connection is reset when the fleet releases hangs or closes. */
    record Hang() implements Behaviour {
        public boolean eventuallyAcks() { return false; }
        public String spec() { return "hang"; }
    }

    /** Answers {@code status}, with {@code Retry-After} when {@code retryAfterSeconds} > 0. */
    record Error(int status, int retryAfterSeconds) implements Behaviour {
        public boolean eventuallyAcks() { return false; }
        public String spec() { return "error:" + status + (retryAfterSeconds > 0 ? ":" + retryAfterSeconds : ""); }
    }

    /** Answers 500 with probability {@code p}, else 200; retried deliveries converge when the endpoint retries fast. */
    record Flaky(double p) implements Behaviour {
        public boolean eventuallyAcks() { return true; }
        public String spec() { return "flaky:" + p; }
    }

    /** Closes the connection with a TCP reset instead of answering. */
    record Reset() implements Behaviour {
        public boolean eventuallyAcks() { return false; }
        public String spec() { return "reset"; }
    }

    /** Answers 200 with a 10-byte body written one byte at a time over {@code totalMs}. */
    record Trickle(int totalMs) implements Behaviour {
        public boolean eventuallyAcks() { return true; }
        public String spec() { return "trickle:" + totalMs; }
    }

    static Behaviour parse(String spec) {
        String[] p = spec.trim().toLowerCase(Locale.ROOT).split(":");
        try {
            return switch (p[0]) {
                case "fast" -> new Fast();
                case "slow" -> {
                    String[] r = p[1].split("-");
                    int lo = Integer.parseInt(r[0]);
                    int hi = r.length > 1 ? Integer.parseInt(r[1]) : lo;
                    if (lo < 0 || hi < lo) {
                        throw new IllegalArgumentException("slow needs 0 <= min <= max");
                    }
                    yield new Slow(lo, hi);
                }
                case "hang" -> new Hang();
                case "error" -> new Error(p.length > 1 ? Integer.parseInt(p[1]) : 503, p.length > 2 ? Integer.parseInt(p[2]) : 0);
                case "flaky" -> {
                    double f = p[1].endsWith("%") ? Double.parseDouble(p[1].substring(0, p[1].length() - 1)) / 100 : Double.parseDouble(p[1]);
                    if (f < 0 || f >= 1) {
                        throw new IllegalArgumentException("flaky probability must be in [0, 1)");
                    }
                    yield new Flaky(f);
                }
                case "reset" -> new Reset();
                case "trickle" -> new Trickle(p.length > 1 ? Integer.parseInt(p[1]) : 2000);
                default -> throw new IllegalArgumentException("unknown behaviour");
            };
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("bad behaviour '" + spec + "': " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad behaviour '" + spec + "': " + e.getMessage()
                    + " (use fast, slow:MS, slow:MIN-MAX, hang, error:STATUS[:RETRY_AFTER], flaky:P, reset, trickle:MS)");
        }
    }

    /**
     * A fleet composition such as {@code 10%hang,10%error:503:1,80%fast}; percentages must add up to 100. Endpoint i gets the
     * behaviour covering position {@code i % 100}, so every block of 100 endpoints has the exact mix.
     */
    record Mix(List<Share> shares) {
        record Share(int percent, Behaviour behaviour) {}

        static Mix of(String spec) {
            List<Share> shares = new ArrayList<>();
            int sum = 0;
            for (String part : spec.split(",")) {
                String s = part.trim();
                int pct = 100;
                int at = s.indexOf('%');
                if (at >= 0) {
                    pct = Integer.parseInt(s.substring(0, at).trim());
                    s = s.substring(at + 1);
                }
                shares.add(new Share(pct, parse(s)));
                sum += pct;
            }
            if (sum != 100) {
                throw new IllegalArgumentException("fleet percentages must add up to 100, got " + sum + " in '" + spec + "'");
            }
            return new Mix(List.copyOf(shares));
        }

        Behaviour[] assign(int endpoints) {
            Behaviour[] out = new Behaviour[endpoints];
            for (int i = 0; i < endpoints; i++) {
                int pos = i % 100;
                int acc = 0;
                for (Share s : shares) {
                    acc += s.percent();
                    if (pos < acc) {
                        out[i] = s.behaviour();
                        break;
                    }
                }
            }
            return out;
        }

        String spec() {
            return String.join(",", shares.stream().map(s -> s.percent() + "%" + s.behaviour().spec()).toList());
        }
    }
}
