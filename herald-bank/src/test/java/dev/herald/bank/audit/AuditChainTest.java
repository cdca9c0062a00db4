package dev.herald.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.bank.BankHarness;
import dev.herald.bank.api.BankServices;
import dev.herald.bank.risk.RiskRules;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.store.chain.HashChain;
import dev.herald.testing.TestPostgres;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bank's audit log is chained with the same keyed chain as Herald's: a rewrite recomputed with the public SHA-256
 * formula does not verify, entries removed from the end are found against an anchor, and entries written before the
 * chain was keyed keep verifying.
 */
class AuditChainTest {
    private static final Instant AT = Instant.parse("2025-01-14T10:30:00Z");

    private static AuditRecord record(int i) {
        return new AuditRecord("trace-" + i, null, "api", "accounts.create", null, 100L * i, null, null, "127.0.0.1", "test", "{}", "{}", "201");
    }

    private static void appendFive(BankHarness h) {
        for (int i = 1; i <= 5; i++) {
            int n = i;
            h.jdbc().inTransaction(c -> {
                h.bank.audit().append(c, record(n), AT.plusSeconds(n));
                return null;
            });
        }
    }

    private static AuditLog.Verification verify(BankHarness h, HashChain.Anchor anchor) {
        return h.jdbc().read(c -> h.bank.audit().verify(c, anchor));
    }

    /** Recomputes every previous_hash and hash in id order with the public formula, as someone without the key would. */
    private static void rehashWithThePublicFormula(Connection c) throws SQLException {
        String previous = HashChain.GENESIS;
        for (AuditRecord.Stored s : AuditLog.byTrace(c, null, 1000)) {
            String hash = HashChain.unkeyed(previous, AuditLog.canonical(s.record(), s.createdAt()));
            String p = previous;
            Jdbc.update(c, "update bank_audit set previous_hash = ?, hash = ? where id = ?", ps -> {
                ps.setString(1, p);
                ps.setString(2, hash);
                ps.setLong(3, s.id());
            });
            previous = hash;
        }
    }

    @Test
    void aRewriteRecomputedWithThePublicFormulaDoesNotVerify() {
        try (BankHarness h = BankHarness.open(TestPostgres.embedded())) {
            appendFive(h);
            assertThat(verify(h, null).ok()).isTrue();
            h.jdbc().inTransaction(c -> {
                Jdbc.update(c, "set local session_replication_role = replica", ps -> {});
                Jdbc.update(c, "update bank_audit set client_ip = '10.9.9.9' where id = (select min(id) + 1 from bank_audit)", ps -> {});
                Jdbc.update(c, "delete from bank_audit where id = (select max(id) from bank_audit)", ps -> {});
                rehashWithThePublicFormula(c);
                return null;
            });
            AuditLog.Verification v = verify(h, null);
            assertThat(v.ok()).isFalse();
            assertThat(v.problem()).contains("without the key");
        }
    }

    @Test
    void removingTheNewestEntriesIsFoundAgainstAnAnchor() {
        try (BankHarness h = BankHarness.open(TestPostgres.embedded())) {
            appendFive(h);
            HashChain.Anchor anchor = h.jdbc().read(AuditLog::anchor).orElseThrow();
            assertThat(verify(h, anchor).ok()).isTrue();
            h.jdbc().inTransaction(c -> Jdbc.update(c, "delete from bank_audit where id >= (select max(id) - 1 from bank_audit)", ps -> {}));

            assertThat(verify(h, null).ok()).as("without an anchor a cut at the end looks whole").isTrue();
            AuditLog.Verification v = verify(h, anchor);
            assertThat(v.ok()).isFalse();
            assertThat(v.firstBadId()).isEqualTo(anchor.position());
            assertThat(v.problem()).contains("removed from its end");
        }
    }

    @Test
    void anotherKeyDoesNotVerifyTheChainNorAppendToIt() {
        DatabaseConfig db = TestPostgres.embedded();
        try (BankHarness h = BankHarness.open(db)) {
            appendFive(h);
            byte[] other = new byte[HashChain.KEY_BYTES];
            new SecureRandom().nextBytes(other);
            AuditLog foreign = new AuditLog(other);
            assertThat(h.jdbc().read(c -> foreign.verify(c, null)).ok()).isFalse();
            assertThatThrownBy(() -> h.jdbc().inTransaction(c -> {
                foreign.append(c, record(6), AT.plusSeconds(6));
                return null;
            })).hasMessageContaining("not the one");
            assertThat(verify(h, null).ok()).isTrue();
        }
    }

    @Test
    void entriesWrittenBeforeTheChainWasKeyedKeepVerifyingAndTheFirstKeyedEntryCoversThem() {
        DatabaseConfig db = TestPostgres.embedded();
        try (Database database = Database.open(db, "classpath:db/bank")) {
            Jdbc jdbc = new Jdbc(database.dataSource());
            for (int i = 1; i <= 3; i++) { // as an older bank wrote them: unkeyed SHA-256, no key row
                AuditRecord r = record(i);
                Instant at = AT.plusSeconds(i);
                jdbc.inTransaction(c -> {
                    String previous = Jdbc.query(c, "select hash from bank_audit order by id desc limit 1", ps -> {}, rs -> rs.getString(1))
                            .stream().findFirst().orElse(HashChain.GENESIS);
                    String hash = HashChain.unkeyed(previous, AuditLog.canonical(r, at));
                    return Jdbc.update(c, "insert into bank_audit (trace_id, type, operation, amount, client_ip, user_agent, request_body,"
                            + " response_body, status, created_at, previous_hash, hash) values (?, 'api', 'accounts.create', ?, '127.0.0.1', 'test',"
                            + " '{}', '{}', '201', ?, ?, ?)", ps -> {
                        ps.setString(1, r.traceId());
                        ps.setLong(2, r.amount());
                        ps.setTimestamp(3, Jdbc.ts(at));
                        ps.setString(4, previous);
                        ps.setString(5, hash);
                    });
                });
            }
            byte[] key = new byte[HashChain.KEY_BYTES];
            new SecureRandom().nextBytes(key);
            BankServices bank = BankServices.create(database.dataSource(), java.time.Clock.systemUTC(), RiskRules.DEFAULTS, 1_000,
                    Duration.ofMinutes(5), key);
            jdbc.inTransaction(c -> {
                bank.audit().append(c, record(4), AT.plusSeconds(4));
                return null;
            });
            AuditLog.Verification whole = jdbc.read(c -> bank.audit().verify(c, null));
            assertThat(whole).isEqualTo(new AuditLog.Verification(true, 4, null, null));

            jdbc.inTransaction(c -> {
                Jdbc.update(c, "update bank_audit set client_ip = '10.9.9.9' where id = (select min(id) from bank_audit)", ps -> {});
                rehashWithThePublicFormula(c);
                return null;
            });
            AuditLog.Verification v = jdbc.read(c -> bank.audit().verify(c, null));
            assertThat(v.ok()).isFalse();
            List<Long> ids = jdbc.read(c -> Jdbc.query(c, "select id from bank_audit order by id", ps -> {}, rs -> rs.getLong(1)));
            assertThat(v.firstBadId()).isEqualTo(ids.get(3)); // the first keyed entry
        }
    }
}
