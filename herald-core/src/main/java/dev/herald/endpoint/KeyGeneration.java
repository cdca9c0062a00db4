package dev.herald.endpoint;

import dev.herald.sdk.KeyAlgorithm;
import dev.herald.sdk.SigningKey;
import dev.herald.support.TryLaterException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Makes signing keys. An RSA key costs a CPU for about 0.4 s, so RSA keys are made one at a time on one background
 * thread of the process, never on the threads answering requests: however many are asked for at once, key making holds
 * at most one CPU and the rest of Herald (publishing, delivering) keeps the others. At most {@value #MAX_WAITING} wait;
 * past that a request is refused as busy ({@link TryLaterException#busy}). Ed25519 keys are cheap and made at once.
 */
final class KeyGeneration {
    /** RSA keys Herald makes: 3072 bits (2048 is the floor; 3072 is good past 2030). */
    static final int RSA_BITS = 3072;
    static final int MAX_WAITING = 16;
    private static final Duration BUSY_RETRY = Duration.ofSeconds(5);
    private static final ThreadPoolExecutor RSA = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_WAITING),
            Thread.ofPlatform().name("herald-keygen").daemon().factory());

    private KeyGeneration() {}

    /** A new key of {@code algorithm}; waits for its turn on the key thread for RSA. */
    static SigningKey make(KeyAlgorithm algorithm) {
        if (algorithm == KeyAlgorithm.ED25519) {
            return SigningKey.generateEd25519();
        }
        Future<SigningKey> made;
        try {
            made = RSA.submit(() -> SigningKey.generateRsa(RSA_BITS));
        } catch (RejectedExecutionException e) {
            throw TryLaterException.busy("signing keys are being made for other requests; try again shortly", BUSY_RETRY);
        }
        try {
            return made.get();
        } catch (InterruptedException e) {
            made.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a signing key was made", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot make a signing key", e.getCause());
        }
    }
}
