package dev.herald.bank.ledger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.support.Hashing;
import dev.herald.bank.support.Json;
import dev.herald.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Recomputes accounts' journal hash chains from the stored entries and reports the first entry that does not verify. */
public final class ChainVerifier {

    /** The verdict for one account: {@code ok}, or the first broken entry (its {@code seq} and why). */
    public record Result(UUID accountUuid, boolean ok, long entries, Long firstBadSeq, Long firstBadEntryId, String problem) {
        public ObjectNode view() {
            return Json.obj().put("account_uuid", accountUuid.toString()).put("ok", ok).put("entries", entries)
                    .put("first_bad_seq", firstBadSeq).put("first_bad_entry_id", firstBadEntryId).put("problem", problem);
        }
    }

    private ChainVerifier() {}

    /** Verifies one account's chain. */
    public static Result verify(Connection c, long accountId) throws SQLException {
        List<Result> r = run(c, accountId);
        return r.getFirst();
    }

    /** Verifies every account's chain (customer and cash), in account id order. */
    public static List<Result> verifyAll(Connection c) throws SQLException {
        return run(c, null);
    }

    private static List<Result> run(Connection c, Long only) throws SQLException {
        List<Result> out = new ArrayList<>();
        List<long[]> accounts = new ArrayList<>();
        List<UUID> uuids = new ArrayList<>();
        List<String> heads = new ArrayList<>();
        Jdbc.query(c, "select id, uuid, last_hash, entry_count from bank_accounts where (?::bigint is null or id = ?) order by id", ps -> {
            ps.setObject(1, only);
            ps.setObject(2, only);
        }, rs -> {
            accounts.add(new long[] {rs.getLong("id"), rs.getLong("entry_count")});
            uuids.add(rs.getObject("uuid", UUID.class));
            heads.add(rs.getString("last_hash"));
            return null;
        });
        try (PreparedStatement ps = c.prepareStatement("""
                select e.id, e.seq, e.amount, e.balance_after, e.created_at, e.previous_hash, e.hash, t.uuid as tx_uuid
                from bank_entries e join bank_transactions t on t.id = e.transaction_id
                where e.account_id = ? order by e.seq""")) {
            for (int i = 0; i < accounts.size(); i++) {
                ps.setLong(1, accounts.get(i)[0]);
                out.add(verifyOne(ps, uuids.get(i), heads.get(i), accounts.get(i)[1]));
            }
        }
        return out;
    }

    private static Result verifyOne(PreparedStatement ps, UUID account, String head, long entryCount) throws SQLException {
        String previous = Hashing.GENESIS;
        long expectedSeq = 1;
        long n = 0;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                n++;
                long id = rs.getLong("id");
                long seq = rs.getLong("seq");
                if (seq != expectedSeq) {
                    return new Result(account, false, n, expectedSeq, id, "entry " + expectedSeq + " is missing (next is " + seq + ")");
                }
                if (!rs.getString("previous_hash").equals(previous)) {
                    return new Result(account, false, n, seq, id, "previous_hash does not match the hash of the entry before");
                }
                String recomputed = Hashing.link(previous, Ledger.canonical(account, seq, rs.getObject("tx_uuid", UUID.class),
                        rs.getLong("amount"), rs.getLong("balance_after"), Jdbc.instant(rs, "created_at")));
                if (!recomputed.equals(rs.getString("hash"))) {
                    return new Result(account, false, n, seq, id, "hash does not match the entry's fields (the entry was altered)");
                }
                previous = recomputed;
                expectedSeq++;
            }
        }
        if (n != entryCount || !previous.equals(head)) {
            return new Result(account, false, n, n + 1, null,
                    "the account's head (" + entryCount + " entries) does not match its journal (" + n + " entries): entries were removed or added");
        }
        return new Result(account, true, n, null, null, null);
    }
}
