package dev.herald.server.cli;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The filters of the delivery log (a picocli mixin), as the list and the bulk resend take them. */
final class DeliveryFilters {
    @Option(names = "--endpoint", description = "Only deliveries to this endpoint.")
    String endpoint;
    @Option(names = "--status", description = "pending, delivered, failed or cancelled.")
    String status;
    @Option(names = "--events", description = "Only events of this type, or of a 'prefix.*' pattern (or one event, by id).")
    String events;
    @Option(names = "--since", description = "Created at or after: 2026-12-07T10:00:00Z, 2026-12-07, or an age such as 30m, 2h, 7d.")
    String since;
    @Option(names = "--until", description = "Created before (same forms as --since).")
    String until;
    @Option(names = "--merchant", description = "Only deliveries to this merchant's endpoints.")
    String merchant;

    /** The times, resolved once: an age such as 2h means two hours before the first call. */
    private Instant sinceAt;
    private Instant untilAt;

    Instant since(Clock clock) {
        if (sinceAt == null && since != null) {
            sinceAt = Times.parse("--since", since, clock);
        }
        return sinceAt;
    }

    Instant until(Clock clock) {
        if (untilAt == null && until != null) {
            untilAt = Times.parse("--until", until, clock);
        }
        return untilAt;
    }

    /** The query parameters ({@code name=value} pairs joined by {@code &}, or empty), with the times resolved against {@code clock}. */
    String query(Clock clock) {
        List<String> q = new ArrayList<>();
        add(q, "endpoint_id", endpoint);
        add(q, "status", status);
        add(q, "event", events);
        add(q, "merchant_id", merchant);
        Instant s = since(clock);
        Instant u = until(clock);
        add(q, "since", s == null ? null : s.toString());
        add(q, "until", u == null ? null : u.toString());
        return String.join("&", q);
    }

    private static void add(List<String> q, String name, String value) {
        if (value != null) {
            q.add(name + "=" + Remote.enc(value));
        }
    }
}
