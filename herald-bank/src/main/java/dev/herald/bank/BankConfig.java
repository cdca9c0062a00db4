package dev.herald.bank;

import dev.herald.web.ApiKeyStore;
import dev.herald.web.ConnectionLimits;
import dev.herald.bank.risk.RiskRules;
import dev.herald.bus.Bus;
import dev.herald.store.DatabaseConfig;
import dev.herald.store.chain.HashChain;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run a {@link Bank}.
 *
 * @param database            the bank's own PostgreSQL database (migrated from {@code classpath:db/bank})
 * @param bus                 where the outbox relay publishes and the risk consumer consumes; owned by the caller
 * @param host                HTTP bind address
 * @param port                HTTP port, 0 for an ephemeral one
 * @param apiKey              the API key to accept (BANK_API_KEY); null generates one on a database without keys
 * @param risk                the transfer risk rules
 * @param lowBalanceThreshold {@code balance.low} fires when a balance falls from at least this to below it (minor units)
 * @param outboxStaleAfter    reconciliation reports unpublished outbox events older than this
 * @param consumerPrefetch    most transfers the risk consumer works on at once
 * @param maxBodyBytes        largest request body accepted
 * @param clock               the bank's time
 * @param connectionLimits    the HTTP listener's bounds on client connections (cap, idle and header timeouts)
 */
public record BankConfig(DatabaseConfig database, Bus bus, String host, int port, String apiKey, RiskRules risk, long lowBalanceThreshold,
                         Duration outboxStaleAfter, int consumerPrefetch, long maxBodyBytes, Clock clock, ConnectionLimits connectionLimits,
                         byte[] auditKey) {

    public BankConfig {
        Objects.requireNonNull(auditKey, "auditKey");
        if (auditKey.length != HashChain.KEY_BYTES) {
            throw new IllegalArgumentException("the audit key has " + HashChain.KEY_BYTES + " bytes");
        }
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(bus, "bus");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(risk, "risk");
        Objects.requireNonNull(outboxStaleAfter, "outboxStaleAfter");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(connectionLimits, "connectionLimits");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        if (apiKey != null && !ApiKeyStore.acceptable(apiKey)) {
            throw new IllegalArgumentException(ApiKeyStore.rule("BANK_API_KEY"));
        }
        if (consumerPrefetch < 1) {
            throw new IllegalArgumentException("consumerPrefetch must be at least 1, was " + consumerPrefetch);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1024, was " + maxBodyBytes);
        }
        if (outboxStaleAfter.isNegative()) {
            throw new IllegalArgumentException("outboxStaleAfter must not be negative");
        }
    }

    /**
     * 127.0.0.1:8090, a generated key, default risk rules, low balance 1,000, stale outbox after 5 minutes, 16 transfers at once,
     * 64 KiB bodies, UTC, default connection limits, a random audit chain key (see {@link #withAuditKey}).
     */
    public static BankConfig defaults(DatabaseConfig database, Bus bus) {
        return new BankConfig(database, bus, "127.0.0.1", 8090, null, RiskRules.DEFAULTS, 1_000, Duration.ofMinutes(5), 16, 64 * 1024,
                Clock.systemUTC(), ConnectionLimits.defaults(), randomKey());
    }

    public BankConfig withHost(String h) {
        return new BankConfig(database, bus, h, port, apiKey, risk, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, clock, connectionLimits, auditKey);
    }

    public BankConfig withPort(int p) {
        return new BankConfig(database, bus, host, p, apiKey, risk, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, clock, connectionLimits, auditKey);
    }

    public BankConfig withApiKey(String k) {
        return new BankConfig(database, bus, host, port, k, risk, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, clock, connectionLimits, auditKey);
    }

    public BankConfig withRisk(RiskRules r) {
        return new BankConfig(database, bus, host, port, apiKey, r, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, clock, connectionLimits, auditKey);
    }

    public BankConfig withClock(Clock c) {
        return new BankConfig(database, bus, host, port, apiKey, risk, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, c, connectionLimits, auditKey);
    }

    public BankConfig withConnectionLimits(ConnectionLimits l) {
        return new BankConfig(database, bus, host, port, apiKey, risk, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, clock, l, auditKey);
    }

    /**
     * This config with the key its audit chain is keyed with ({@link HashChain#KEY_BYTES} bytes; see
     * {@link dev.herald.bank.audit.AuditLog}): keep it, or the entries written under it no longer verify. The defaults
     * use a random key, good for one run.
     */
    public BankConfig withAuditKey(byte[] key) {
        return new BankConfig(database, bus, host, port, apiKey, risk, lowBalanceThreshold, outboxStaleAfter, consumerPrefetch, maxBodyBytes, clock,
                connectionLimits, key.clone());
    }

    private static byte[] randomKey() {
        byte[] key = new byte[HashChain.KEY_BYTES];
        new java.security.SecureRandom().nextBytes(key);
        return key;
    }

    @Override
    public String toString() {
        return "BankConfig[database=" + database + ", host=" + host + ", port=" + port + ", apiKey=" + (apiKey == null ? "(generated)" : "****")
                + ", risk=" + risk + ", lowBalanceThreshold=" + lowBalanceThreshold + ", outboxStaleAfter=" + outboxStaleAfter
                + ", consumerPrefetch=" + consumerPrefetch + ", maxBodyBytes=" + maxBodyBytes + ", " + connectionLimits + "]";
    }
}
