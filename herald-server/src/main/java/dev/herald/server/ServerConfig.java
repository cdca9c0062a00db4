package dev.herald.server;

import dev.herald.server.auth.ApiKeys;
import dev.herald.store.DatabaseConfig;
import java.nio.file.Path;

/**
 * A validated server configuration. {@code databaseUrl} null means "embedded PostgreSQL in {@code dataDir}".
 * {@code adminKey} (from HERALD_ADMIN_KEY only, never a flag) replaces the generated first-start key.
 */
public record ServerConfig(
        String host,
        int port,
        Path dataDir,
        String databaseUrl,
        boolean allowPrivateAddresses,
        boolean httpsOnly,
        long maxBodyBytes,
        int autoDisableAfter,
        int maxInFlightPerEndpoint,
        int maxInFlightPerMerchant,
        String adminKey) {

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > 64L * 1024 * 1024) {
            throw new IllegalArgumentException("max-body-size must be between 1KiB and 64MiB, got " + maxBodyBytes + " bytes");
        }
        if (autoDisableAfter < 1) {
            throw new IllegalArgumentException("auto-disable-after must be at least 1, got " + autoDisableAfter);
        }
        if (maxInFlightPerEndpoint < 1 || maxInFlightPerEndpoint > 1000) {
            throw new IllegalArgumentException("max-in-flight-per-endpoint must be between 1 and 1000, got " + maxInFlightPerEndpoint);
        }
        if (maxInFlightPerMerchant < 1 || maxInFlightPerMerchant > 100_000) {
            throw new IllegalArgumentException("max-in-flight-per-merchant must be between 1 and 100000, got " + maxInFlightPerMerchant);
        }
        if (databaseUrl != null) {
            DatabaseConfig.fromUrl(databaseUrl); // a malformed URL is a configuration error, found before anything starts
        }
        if (adminKey != null && !ApiKeys.acceptable(adminKey)) {
            throw new IllegalArgumentException(ApiKeys.RULE);
        }
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", database="
                + (databaseUrl == null ? "embedded" : "external") + ", allowPrivateAddresses=" + allowPrivateAddresses
                + ", httpsOnly=" + httpsOnly + ", maxBodyBytes=" + maxBodyBytes + "]";
    }
}
