package dev.herald.bench;

import java.nio.file.Path;

/** Everything a scenario run is configured with, after the scenario's defaults and the flags were applied. Times in seconds. */
record Settings(
        int endpoints,
        int fanout,
        int eventBytes,
        int batch,
        int producers,
        double rate,
        long maxPending,
        long events,
        int duration,
        int warmup,
        int drainTimeout,
        int rawDuration,
        int rawWarmup,
        int rawConcurrency,
        int maxInFlight,
        int timeoutSeconds,
        String fleet,
        int fleetPorts,
        String fleetThreads,
        int quietWait,
        boolean keep,
        Path out) {

    Settings {
        check(endpoints >= 1 && endpoints <= 100_000, "--endpoints must be 1..100000");
        check(fanout >= 1 && endpoints % fanout == 0, "--endpoints must be a multiple of --fanout");
        check(batch >= 1 && batch <= 1000, "--batch must be 1..1000 (Herald's ingest limit)");
        check(producers >= 1 && producers <= 10_000, "--producers must be 1..10000");
        check(rate >= 0 && rate <= 1_000_000, "--rate must be 0 (as fast as possible) .. 1000000 events/s");
        check(events >= 1 && events * fanout <= 200_000_000L, "--events x --fanout must be 1..200000000");
        check(duration >= 1 && duration <= 3600, "--duration must be 1..3600 s");
        check(warmup >= 0 && warmup < duration, "--warmup must be shorter than --duration");
        check(drainTimeout >= 0 && drainTimeout <= 3600, "--drain-timeout must be 0..3600 s");
        check(rawDuration >= 0 && rawDuration <= 3600, "--raw-duration must be 0..3600 s (0 skips the raw limit)");
        check(rawDuration == 0 || (rawWarmup >= 0 && rawWarmup < rawDuration), "--raw-warmup must be shorter than --raw-duration");
        check(rawConcurrency >= 1 && rawConcurrency <= 10_000, "--raw-concurrency must be 1..10000");
        check(maxInFlight >= 1 && maxInFlight <= 1000, "--max-in-flight must be 1..1000");
        check(timeoutSeconds >= 0 && timeoutSeconds <= 300, "--timeout-seconds must be 0 (Herald's default) .. 300");
        check(fleetThreads.equals("platform") || fleetThreads.equals("virtual"), "--fleet-threads must be platform or virtual");
        check(quietWait >= 0 && quietWait <= 3600, "--quiet-wait must be 0..3600 s");
        check(eventBytes >= 0 && eventBytes <= 65_536, "--event-size must be 0..65536 bytes");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    Workload workload(String idPrefix) {
        return new Workload(idPrefix, endpoints, fanout, eventBytes);
    }

    /** Largest POST /v1/events body a batch can make, with room to spare. */
    long maxBodyBytes() {
        return Math.min(64L << 20, Math.max(256L << 10, 2L * batch * (eventBytes + 256)));
    }
}
