package dev.herald.bank;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.bank.account.Account;
import dev.herald.bank.api.BankServices;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bank.support.Json;
import dev.herald.bank.support.Op;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.Jdbc;
import dev.herald.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The bank's services on a fresh migrated database with a clock the test moves. */
public final class BankHarness implements AutoCloseable {
    public static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    public static final Op OP = Op.trace(TRACE);

    public final Database db;
    public final MutableClock clock = new MutableClock(Instant.parse("2025-01-14T10:30:00Z"));
    public final BankServices bank;
    /** The audit key of each database (random, one per database as a deployed bank has one): harnesses on one database share it. */
    private static final java.util.Map<String, byte[]> AUDIT_KEYS = new java.util.concurrent.ConcurrentHashMap<>();

    private BankHarness(Database db, RiskRules rules, byte[] auditKey) {
        this.db = db;
        this.bank = BankServices.create(db.dataSource(), clock, rules, 1_000, Duration.ofMinutes(5), auditKey);
    }

    public static BankHarness open(DatabaseConfig config) {
        return open(config, RiskRules.DEFAULTS);
    }

    public static BankHarness open(DatabaseConfig config, RiskRules rules) {
        byte[] auditKey = AUDIT_KEYS.computeIfAbsent(config.jdbcUrl() + "|" + config.user(), k -> {
            byte[] key = new byte[dev.herald.store.chain.HashChain.KEY_BYTES];
            new java.security.SecureRandom().nextBytes(key);
            return key;
        });
        return new BankHarness(Database.open(config.withMaxPoolSize(20), "classpath:db/bank"), rules, auditKey);
    }

    public Jdbc jdbc() {
        return bank.jdbc();
    }

    public Account open(String currency) {
        return bank.accounts().open(OP, "Alice", UUID.randomUUID(), currency);
    }

    /** An account holding {@code balance} minor units. */
    public Account funded(String currency, long balance) {
        Account a = open(currency);
        if (balance > 0) {
            bank.ledger().deposit(OP, a.uuid(), balance, null, "initial");
        }
        return bank.accounts().get(a.uuid());
    }

    public long balance(UUID account) {
        return bank.accounts().get(account).balance();
    }

    /** Bodies of the outbox rows, oldest first, optionally of one type. */
    public List<JsonNode> outbox(String type) {
        return jdbc().read(c -> Jdbc.query(c, "select body from herald_outbox where (?::text is null or type = ?) order by seq", ps -> {
            ps.setString(1, type);
            ps.setString(2, type);
        }, rs -> Json.read(rs.getString(1))));
    }

    public long outboxCount() {
        return jdbc().read(c -> Jdbc.query(c, "select count(*) from herald_outbox", ps -> {}, rs -> rs.getLong(1)).getFirst());
    }

    public int sql(String sql) {
        return jdbc().inTransaction(c -> Jdbc.update(c, sql, ps -> {}));
    }

    @Override
    public void close() {
        db.close();
    }
}
