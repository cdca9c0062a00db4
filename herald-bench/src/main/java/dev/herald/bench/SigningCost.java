package dev.herald.bench;

import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.sdk.SigningKey;
import dev.herald.sdk.WebhookSigner;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./herald bench signing}: the CPU one try's signatures (and payload sealing) cost on one thread, per set of
 * signature schemes an endpoint may choose, for an event body of {@code --body-bytes}, each as a ratio to the default
 * {@code sha256 + v1} measured in the same run. Every try is signed anew (its timestamp changes), so this is a cost per
 * try, not per event.
 */
@Command(name = "signing", mixinStandardHelpOptions = true,
        description = "CPU per try of each signature scheme set (and payload sealing) on one thread, as ratios to the default sha256+v1.")
final class SigningCost implements Callable<Integer> {
    @Option(names = "--body-bytes", defaultValue = "1024", description = "Event body size (default ${DEFAULT-VALUE}).")
    int bodyBytes;
    @Option(names = "--seconds", defaultValue = "3", description = "Measured seconds per case, after as long a warm-up (default ${DEFAULT-VALUE}).")
    int seconds;

    private static volatile long blackhole;

    private record Case(String name, SignatureSchemes schemes, List<SigningKey> keys, boolean sealed) {}

    @Override
    public Integer call() {
        PrintStream out = System.out;
        byte[] body = body(bodyBytes);
        List<String> secrets = List.of(WebhookSigner.generateSecret());
        List<SigningKey> keys = List.of(SigningKey.generateEd25519(), SigningKey.generateRsa(3072)); // what Herald makes
        List<SigningKey> rsa2048 = List.of(SigningKey.generateRsa(2048)); // the smallest a merchant may bring
        PayloadKey payloadKey = PayloadKey.generate();
        SignatureSchemes rsa = SignatureSchemes.parse(List.of("rsa-sha256"));
        List<Case> cases = List.of(
                new Case("sha256 + v1 (default)", SignatureSchemes.DEFAULT, keys, false),
                new Case("v1a (Ed25519)", SignatureSchemes.parse(List.of("v1a")), keys, false),
                new Case("sha256 + v1 + v1a", SignatureSchemes.parse(List.of("sha256", "v1", "v1a")), keys, false),
                new Case("rsa-sha256 (RSA 3072)", rsa, keys, false),
                new Case("rsa-sha256 (RSA 2048)", rsa, rsa2048, false),
                new Case("sha256 + v1, sealed data", SignatureSchemes.DEFAULT, keys, true),
                new Case("all four, sealed data", SignatureSchemes.parse(List.of("sha256", "v1", "v1a", "rsa-sha256")), keys, true));
        out.printf("body %d bytes, one thread, %d s per case after %d s of warm-up%n%n", bodyBytes, seconds, seconds);
        out.printf("%-28s %14s %16s %10s%n", "schemes", "us per try", "tries/s per core", "ratio");
        double base = 0;
        for (Case c : cases) {
            double micros = measure(c, body, secrets, payloadKey);
            if (base == 0) {
                base = micros;
            }
            out.printf("%-28s %14.1f %,16.0f %9.1fx%n", c.name(), micros, 1e6 / micros, micros / base);
        }
        return 0;
    }

    private double measure(Case c, byte[] body, List<String> secrets, PayloadKey payloadKey) {
        long sink = 0;
        for (int phase = 0; phase < 2; phase++) { // warm-up, then measured
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() < end) {
                byte[] sent = c.sealed() ? payloadKey.sealBody(body) : body;
                Map<String, String> h = WebhookSigner.signatureHeaders(c.schemes(), secrets, c.keys(), "evt_bench" + n, 1_714_000_000L + n, sent);
                sink += h.size() + sent.length;
                n++;
            }
            if (phase == 1) {
                blackhole = sink; // the work stays observable to the JIT
                return (System.nanoTime() - start) / 1000.0 / n;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** A Herald event body of about {@code size} bytes. */
    static byte[] body(int size) {
        StringBuilder data = new StringBuilder();
        while (data.length() < Math.max(0, size - 150)) {
            data.append('x');
        }
        return ("{\"id\":\"evt_bench\",\"event\":\"payment.succeeded\",\"timestamp\":\"2026-01-02T03:04:05Z\",\"account_uuid\":null,"
                + "\"data\":{\"note\":\"" + data + "\"}}").getBytes(StandardCharsets.UTF_8);
    }
}
