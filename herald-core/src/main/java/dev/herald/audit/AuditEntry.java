package dev.herald.audit;

import java.time.Instant;

/**
 * One stored entry of the operator audit log. {@code before} and {@code after} are the redacted JSON exactly as hashed
 * (null when there was nothing before, or nothing after); {@code hash} links this entry to {@code prevHash} (see {@code dev.herald.store.chain.HashChain}).
 */
public record AuditEntry(long seq, Instant at, Actor actor, String action, Target target, String before, String after,
                         String clientAddress, String traceId, String prevHash, String hash) {}
