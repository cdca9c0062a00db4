package dev.herald.bank.risk;

import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The transfer risk rules. Amounts are minor units of the transfer's currency.
 *
 * @param maxTransferAmount largest single transfer
 * @param dailyLimit        most a source account may send per UTC day (completed transfers, this one included)
 * @param velocityPerMinute most transfers a source account may complete within any 60 seconds, this one included
 * @param blockedAccounts   accounts that may neither send nor receive
 */
public record RiskRules(long maxTransferAmount, long dailyLimit, int velocityPerMinute, Set<UUID> blockedAccounts) {
    /** 100,000.00, 500,000.00 a day, 10 a minute, nobody blocked. */
    public static final RiskRules DEFAULTS = new RiskRules(10_000_000, 50_000_000, 10, Set.of());

    public RiskRules {
        if (maxTransferAmount < 1 || dailyLimit < 1 || velocityPerMinute < 1) {
            throw new IllegalArgumentException("risk limits must be at least 1");
        }
        blockedAccounts = Set.copyOf(Objects.requireNonNull(blockedAccounts, "blockedAccounts"));
    }

    public RiskRules withBlocked(Set<UUID> blocked) {
        return new RiskRules(maxTransferAmount, dailyLimit, velocityPerMinute, blocked);
    }
}
