package dev.herald.audit;

import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The operator audit log: one entry per control-plane change — who (key id, name, merchant), what (action, target),
 * the before and after with secrets redacted ({@link Redaction}), from where (client address, trace id) and when —
 * append-only (the database refuses updates and deletes) and hash-chained ({@link Chain}), numbered 1, 2, 3 … in commit
 * order without gaps.
 */
public final class AuditLog {
    private final Jdbc jdbc;
    private final AuditRepository repository = new AuditRepository();
    private final Clock clock;

    public AuditLog(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
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
     * Records a change in the caller's transaction on {@code c}; call it as the transaction's last statement, after the
     * change itself, so a refused or rolled-back change leaves no entry. It waits for (and holds until commit) the chain's
     * head, so appends are serialised. {@code before} and {@code after} are any values (records, maps, JSON), null when
     * there was nothing before or is nothing after; they are redacted before they are written.
     */
    public AuditEntry append(Connection c, AuditContext ctx, String action, Target target, Object before, Object after) throws SQLException {
        Redaction.Pair json = Redaction.of(before, after);
        AuditRepository.Head head = repository.lockHead(c);
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Actor actor = new Actor(storable(ctx.actor().keyId()), storable(ctx.actor().keyName()), storable(ctx.actor().merchantId()));
        Target t = new Target(storable(target.type()), storable(target.id()), storable(target.merchantId()));
        AuditEntry unsigned = new AuditEntry(head.seq() + 1, at, actor, storable(action), t, storable(json.before()), storable(json.after()),
                storable(ctx.clientAddress()), storable(ctx.traceId()), head.hash(), null);
        AuditEntry e = new AuditEntry(unsigned.seq(), at, actor, unsigned.action(), t, unsigned.before(), unsigned.after(), unsigned.clientAddress(),
                unsigned.traceId(), head.hash(), Chain.hash(unsigned));
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

    /**
     * Recomputes the chain from one snapshot: every entry's hash from its fields and the entry before, numbering from 1
     * without gaps, and the head naming the newest entry — so an edited field, a relinked, inserted or removed entry
     * (the newest one and an emptied log included) is found.
     */
    public Verification verify() {
        return jdbc.read(c -> {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return verify(c);
            } finally {
                c.rollback();
                c.setAutoCommit(true);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
        });
    }

    private Verification verify(Connection c) throws SQLException {
        AuditRepository.Head head = repository.head(c);
        long[] n = {0};
        String[] previous = {Chain.GENESIS};
        Verification[] bad = {null};
        repository.each(c, e -> {
            long expected = n[0] + 1;
            n[0]++;
            if (e.seq() != expected) {
                bad[0] = new Verification(false, n[0], expected, "entry " + expected + " is missing (the next stored is " + e.seq() + ")");
            } else if (!e.prevHash().equals(previous[0])) {
                bad[0] = new Verification(false, n[0], e.seq(), "prev_hash does not match the hash of entry " + (e.seq() - 1) + " (relinked or inserted)");
            } else if (!Chain.hash(e).equals(e.hash())) {
                bad[0] = new Verification(false, n[0], e.seq(), "hash does not match the entry's fields (the entry was altered)");
            }
            previous[0] = e.hash();
            return bad[0] == null;
        });
        if (bad[0] != null) {
            return bad[0];
        }
        if (head.seq() != n[0] || !head.hash().equals(previous[0])) {
            return new Verification(false, n[0], n[0] + 1, "the head names entry " + head.seq() + " but the log ends at entry " + n[0]
                    + " (entries were removed from its end)");
        }
        return new Verification(true, n[0], null, null);
    }

    /** {@code s} with NUL and unpaired surrogates (which PostgreSQL cannot store as given) replaced by U+FFFD, so it hashes as stored. */
    static String storable(String s) {
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
}
