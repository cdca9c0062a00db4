package dev.herald.bank.support;

import dev.herald.store.chain.HashChain;

/**
 * The ledger's SHA-256 hash chains (per account): {@code hash = hex(SHA-256(previous_hash || canonical))}, starting from
 * {@link #GENESIS}, with {@link HashChain}'s encoding. (The audit log is keyed: see {@code dev.herald.bank.audit.AuditLog}.)
 */
public final class Hashing {
    /** The previous hash of a chain's first link: 64 zeros. */
    public static final String GENESIS = HashChain.GENESIS;

    private Hashing() {}

    /** The next link of a chain: lowercase hex SHA-256 of the UTF-8 bytes of {@code previousHash + canonical}. */
    public static String link(String previousHash, String canonical) {
        return HashChain.unkeyed(previousHash, canonical);
    }

    /** Fields joined without ambiguity (see {@link HashChain#canonical}). */
    public static String canonical(Object... fields) {
        return HashChain.canonical(fields);
    }
}
