package dev.herald.audit;

import dev.herald.seal.SealContext;
import dev.herald.seal.Vault;
import dev.herald.store.Jdbc;
import dev.herald.store.chain.HashChain;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator audit log: one entry per control-plane change — who (key id, name, merchant), what (action, target),
 * the before and after with secrets redacted ({@link Redaction}), from where (client address, trace id) and when —
 * append-only (the database refuses updates and deletes), numbered 1, 2, 3 … in commit order without gaps, and chained
 * with an HMAC ({@link HashChain}) under a key sealed by the master key, so whoever can rewrite the rows but has not the
 * master key cannot make a rewritten log verify. Entries written before chains were keyed keep verifying as they were.
 * The head is written to the log as an anchor ({@link #logAnchor()}) for operators to keep: {@link #verify(HashChain.Anchor)}
 * against one also finds entries removed from the end.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    private static final SealContext KEY_PLACE = new SealContext("audit_chain_key", "sealed_key", "chain");

    private final Jdbc jdbc;
    private final AuditRepository repository = new AuditRepository();
    private final Clock clock;
    private final Vault vault;
    private volatile HashChain chain;
    private volatile HashChain.Anchor lastLogged;

    public AuditLog(Jdbc jdbc, Clock clock, Vault vault) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.vault = vault;
    }

    /**
     * What to list, newest first: entries whose target belongs to {@code merchantId} (all when null), about {@code target}
     * (an id), by {@code actor} (a key id or name), of {@code action}, at or after {@code since}, numbered below
     * {@code beforeSeq} (the cursor); any null is no filter.
     */
    public record Query(String merchantId, String target, String actor, String action, Instant since, Long beforeSeq, int limit) {}

    /** The verdict of {@link #verify()}: ok, or the number of the first entry that does not verify and why. */
    public record Verification(boolean ok, long entries, Long firstBadEntry, String problem) {}

    /**
     * Makes the chain's key on first use (sealed by the master key; the entries written so far stay unkeyed, and the
     * first keyed entry covers them); called at start, so a log that has entries always has its key.
     */
    public void ensureKey() {
        jdbc.inTransaction(c -> chain(c));
    }

    /**
     * Records a change in the caller's transaction on {@code c}; call it as the transaction's last statement, after the
     * change itself, so a refused or rolled-back change leaves no entry. It waits for (and holds until commit) the chain's
     * head, so appends are serialised. {@code before} and {@code after} are any values (records, maps, JSON), null when
     * there was nothing before or is nothing after; they are redacted before they are written.
     */
    public AuditEntry append(Connection c, AuditContext ctx, String action, Target target, Object before, Object after) throws SQLException {
        Redaction.Pair json = Redaction.of(before, after);
        HashChain keyed = chain(c);
        AuditRepository.Head head = repository.lockHead(c);
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Actor actor = new Actor(storable(ctx.actor().keyId()), storable(ctx.actor().keyName()), storable(ctx.actor().merchantId()));
        Target t = new Target(storable(target.type()), storable(target.id()), storable(target.merchantId()));
        AuditEntry unsigned = new AuditEntry(head.seq() + 1, at, actor, storable(action), t, storable(json.before()), storable(json.after()),
                storable(ctx.clientAddress()), storable(ctx.traceId()), head.hash(), null);
        AuditEntry e = new AuditEntry(unsigned.seq(), at, actor, unsigned.action(), t, unsigned.before(), unsigned.after(), unsigned.clientAddress(),
                unsigned.traceId(), head.hash(), keyed.link(unsigned.seq(), head.hash(), canonical(unsigned)));
        repository.append(c, e);
        return e;
    }

    /**
     * Records, in a transaction of its own, something that changes nothing else in the database (e.g. a refused console
     * login); {@code before} and {@code after} are redacted as for {@link #append}.
     */
    public AuditEntry record(AuditContext ctx, String action, Target target, Object before, Object after) {
        return jdbc.inTransaction(c -> append(c, ctx, action, target, before, after));
    }

    /** A page of entries, newest first. */
    public List<AuditEntry> page(Query q) {
        return jdbc.read(c -> repository.page(c, q));
    }

    /** The head now: the newest entry's number and hash, to keep outside the database; empty while the log is. */
    public Optional<HashChain.Anchor> anchor() {
        AuditRepository.Head head = jdbc.read(repository::head);
        return head.seq() == 0 ? Optional.empty() : Optional.of(new HashChain.Anchor(head.seq(), head.hash()));
    }

    /** Writes the head to the log ({@code audit anchor <seq>:<hash>}) when it moved since the last time: the operator's outside copy. */
    public void logAnchor() {
        Optional<HashChain.Anchor> now = anchor();
        if (now.isPresent() && !now.get().equals(lastLogged)) {
            log.info("audit anchor {} (keep it outside the database: a verification against it finds the log cut or rewritten before it)", now.get());
            lastLogged = now.get();
        }
    }

    /** {@link #verify(HashChain.Anchor)} without an anchor. */
    public Verification verify() {
        return verify(null);
    }

    /**
     * Recomputes the chain from one snapshot: every entry's hash from its fields and the entry before (under the chain
     * key), numbering from 1 without gaps, the head naming the newest entry, and, given an {@code anchor} (null: none),
     * that the entry it names is still there unchanged — so an edited field, a relinked, inserted, rewritten or removed
     * entry (the newest ones too, against an anchor) is found.
     */
    public Verification verify(HashChain.Anchor anchor) {
        return jdbc.read(c -> {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return verify(c, anchor);
            } finally {
                c.rollback();
                c.setAutoCommit(true);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
        });
    }

    private Verification verify(Connection c, HashChain.Anchor anchor) throws SQLException {
        AuditRepository.Head head = repository.head(c);
        HashChain keyed;
        try {
            keyed = storedChain(c);
        } catch (IllegalStateException e) {
            return new Verification(false, 0, 1L, e.getMessage());
        }
        if (keyed == null) {
            return head.seq() == 0 && anchor == null ? new Verification(true, 0, null, null)
                    : new Verification(false, 0, 1L, "the chain's key is missing (it was removed from audit_chain_key)");
        }
        HashChain.Walk walk = keyed.walk(anchor);
        long[] n = {0};
        Verification[] bad = {null};
        repository.each(c, e -> {
            long expected = n[0] + 1;
            n[0]++;
            String problem = e.seq() != expected ? "entry " + expected + " is missing (the next stored is " + e.seq() + ")"
                    : walk.next(e.seq(), e.prevHash(), canonical(e), e.hash());
            if (problem != null) {
                bad[0] = new Verification(false, n[0], e.seq() != expected ? expected : e.seq(), problem);
            }
            return bad[0] == null;
        });
        if (bad[0] != null) {
            return bad[0];
        }
        if (head.seq() != n[0] || !head.hash().equals(walk.last())) {
            return new Verification(false, n[0], n[0] + 1, "the head names entry " + head.seq() + " but the log ends at entry " + n[0]
                    + " (entries were removed from its end)");
        }
        String end = walk.end();
        if (end != null) {
            return new Verification(false, n[0], anchor.position(), end);
        }
        return new Verification(true, n[0], null, null);
    }

    /** The chain, its key made (and sealed) on first use with the entries so far as its unkeyed ones. */
    private HashChain chain(Connection c) throws SQLException {
        HashChain known = chain;
        if (known != null) {
            return known;
        }
        HashChain stored = storedChain(c);
        if (stored == null) {
            AuditRepository.Head head = repository.lockHead(c); // no entry is added meanwhile
            stored = storedChain(c);
            if (stored == null) {
                byte[] key = new byte[HashChain.KEY_BYTES];
                new SecureRandom().nextBytes(key);
                stored = new HashChain(key, head.seq());
                repository.insertKey(c, head.seq(), vault.sealBytes(key, KEY_PLACE), stored.boundaryMac());
                if (head.seq() > 0) {
                    log.warn("the audit log's chain now has a key (sealed by the master key); its {} entries so far stay unkeyed and the"
                            + " next entry covers them. Made once per database: if you see this again, the key was removed", head.seq());
                }
            }
        }
        chain = stored;
        return stored;
    }

    /** The stored chain key, or null when there is none; throws when it does not open or its boundary was moved. */
    private HashChain storedChain(Connection c) throws SQLException {
        AuditRepository.Key row = repository.key(c);
        if (row == null) {
            return null;
        }
        byte[] key;
        try {
            key = vault.openBytes(row.sealedKey(), KEY_PLACE);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the chain's key does not open under the master key (it was replaced or altered)", e);
        }
        HashChain stored = new HashChain(key, row.legacyThrough());
        if (!stored.boundaryVerifies(row.boundaryMac())) {
            throw new IllegalStateException("the chain key's boundary between unkeyed and keyed entries was changed");
        }
        return stored;
    }

    /** The canonical encoding of an entry's fields, as hashed: times are whole microseconds since the epoch, as stored. */
    static String canonical(AuditEntry e) {
        return HashChain.canonical(e.seq(), ChronoUnit.MICROS.between(Instant.EPOCH, e.at()), e.actor().keyId(), e.actor().keyName(),
                e.actor().merchantId(), e.action(), e.target().type(), e.target().id(), e.target().merchantId(), e.before(), e.after(),
                e.clientAddress(), e.traceId());
    }

    /** {@code s} with NUL and unpaired surrogates (which PostgreSQL cannot store as given) replaced by U+FFFD, so it hashes as stored. */
    static String storable(String s) {
        return HashChain.storable(s);
    }
}
