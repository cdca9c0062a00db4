package dev.herald.server;

import dev.herald.bus.RabbitBus;
import dev.herald.http.ProxySettings;
import dev.herald.support.ValidationException;
import dev.herald.seal.MasterKey;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.ConnectionLimits;
import dev.herald.store.DatabaseConfig;
import java.net.URI;
import java.net.URISyntaxException;
import dev.herald.catalog.ValidationMode;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import dev.herald.retention.PartitionMaintenance;

/**
 * A validated server configuration. {@code databaseUrl} null means "embedded PostgreSQL in {@code dataDir}".
 * {@code adminKey} (from HERALD_ADMIN_KEY only, never a flag) replaces the generated first-start key.
 * {@code amqpUrl} null means "an in-process bus"; {@code amqpBindings} are the event types Herald takes from the bus.
 * {@code connectionLimits} bound the HTTP listener's client connections (cap, idle and header timeouts). With
 * {@code merchantAllowList}, only merchants the operator listed receive. {@code egressProxy} (null: direct) is the
 * node's HTTP CONNECT proxy for every delivery whose merchant has none of its own. {@code masterKey} (HERALD_MASTER_KEY or
 * --master-key-file, never a flag with the key) seals secrets at rest; null means the embedded data directory's
 * {@code master.key}, so an external database without one is refused. {@code metrics} says where {@code /metrics} is
 * served ({@link Metrics}). With {@code allowLoopbackNetworks}, merchants may list loopback networks (Herald's own host)
 * among their private networks.
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
        String adminKey,
        String amqpUrl,
        List<String> amqpBindings,
        ConnectionLimits connectionLimits,
        boolean merchantAllowList,
        String egressProxy,
        MasterKey masterKey,
        Metrics metrics,
        int retentionDays,
        boolean allowLoopbackNetworks,
        ValidationMode schemaValidation) {
    private static final Pattern BINDING = Pattern.compile("[A-Za-z0-9_\\-*#]+(\\.[A-Za-z0-9_\\-*#]+)*");

    /** A configuration keeping work for the default retention (30 days, see {@link #withRetentionDays}). */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, boolean allowPrivateAddresses, boolean httpsOnly, long maxBodyBytes,
                        int autoDisableAfter, int maxInFlightPerEndpoint, int maxInFlightPerMerchant, String adminKey, String amqpUrl,
                        List<String> amqpBindings, ConnectionLimits connectionLimits, boolean merchantAllowList, String egressProxy,
                        MasterKey masterKey, Metrics metrics) {
        this(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter, maxInFlightPerEndpoint,
                maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, egressProxy, masterKey, metrics,
                PartitionMaintenance.Config.defaults().retentionDays(), false, ValidationMode.WARN);
    }

    /** A configuration with the in-process bus, Herald taking every event type from it. */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, boolean allowPrivateAddresses, boolean httpsOnly,
                        long maxBodyBytes, int autoDisableAfter, int maxInFlightPerEndpoint, int maxInFlightPerMerchant, String adminKey) {
        this(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter, maxInFlightPerEndpoint,
                maxInFlightPerMerchant, adminKey, null, List.of("#"));
    }

    /** A configuration with the default {@link ConnectionLimits} (from the open-files limit, 30 s idle, 10 s headers). */
    public ServerConfig(String host, int port, Path dataDir, String databaseUrl, boolean allowPrivateAddresses, boolean httpsOnly,
                        long maxBodyBytes, int autoDisableAfter, int maxInFlightPerEndpoint, int maxInFlightPerMerchant, String adminKey,
                        String amqpUrl, List<String> amqpBindings) {
        this(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter, maxInFlightPerEndpoint,
                maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, ConnectionLimits.defaults(), false, null, null, Metrics.defaults());
    }

    /** This configuration with {@code limits} on the HTTP listener's connections. */
    public ServerConfig withConnectionLimits(ConnectionLimits limits) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, limits, merchantAllowList, egressProxy, masterKey, metrics, retentionDays, allowLoopbackNetworks, schemaValidation);
    }

    /** This configuration with only allow-listed merchants receiving, or every merchant. */
    public ServerConfig withMerchantAllowList(boolean on) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, on, egressProxy, masterKey, metrics, retentionDays, allowLoopbackNetworks, schemaValidation);
    }

    /** This configuration sending through the HTTP CONNECT proxy at {@code url} (null: direct). */
    public ServerConfig withEgressProxy(String url) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, url, masterKey, metrics, retentionDays, allowLoopbackNetworks, schemaValidation);
    }

    /**
     * This configuration keeping events, deliveries and attempts {@code days} (1-3650) before their day's partitions may
     * go (see {@link PartitionMaintenance}); a merchant's own {@code retention_days} may be longer.
     */
    public ServerConfig withRetentionDays(int days) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, egressProxy, masterKey,
                metrics, days, allowLoopbackNetworks, schemaValidation);
    }

    /**
     * This configuration letting merchants list loopback networks (127.0.0.0/8, ::1, …: Herald's own host) among their
     * url_rules.private_networks, or not (the default; {@code allowPrivateAddresses} opens every address anyway).
     */
    public ServerConfig withLoopbackNetworks(boolean allowed) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, egressProxy, masterKey,
                metrics, retentionDays, allowed, schemaValidation);
    }

    /**
     * This configuration checking ingested events against the event catalog in {@code mode} ({@code warn} by default;
     * a merchant's own {@code schema_validation} takes precedence).
     */
    public ServerConfig withSchemaValidation(ValidationMode mode) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, egressProxy, masterKey,
                metrics, retentionDays, allowLoopbackNetworks, java.util.Objects.requireNonNull(mode, "mode"));
    }

    /** This configuration serving {@code /metrics} as {@code m} says. */
    public ServerConfig withMetrics(Metrics m) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, egressProxy, masterKey, m, retentionDays, allowLoopbackNetworks, schemaValidation);
    }

    /**
     * Where Prometheus scrapes {@code /metrics}. On the API port it always needs {@code Authorization: Bearer} with
     * {@code key} (when set) or an admin API key. With {@code port} (-1: none; 0: an ephemeral port) it is also served
     * without a key on {@code host:port}, a listener meant for a private network (default host 127.0.0.1).
     * {@code topEndpoints} (0-100, default 0) adds a gauge for the endpoints with the most recent failures.
     */
    public record Metrics(String host, int port, String key, int topEndpoints) {
        public Metrics {
            java.util.Objects.requireNonNull(host, "host");
            if (port < -1 || port > 65535) {
                throw new IllegalArgumentException("metrics-port must be between 0 and 65535, got " + port);
            }
            if (key != null && !ApiKeyStore.acceptable(key)) {
                throw new IllegalArgumentException(ApiKeyStore.rule("metrics-key"));
            }
            if (topEndpoints < 0 || topEndpoints > 100) {
                throw new IllegalArgumentException("metrics-top-endpoints must be between 0 and 100, got " + topEndpoints);
            }
        }

        /** Only on the API port, with an admin key; no top endpoints. */
        public static Metrics defaults() {
            return new Metrics("127.0.0.1", -1, null, 0);
        }

        /** True when a separate listener serves {@code /metrics}. */
        public boolean ownPort() {
            return port >= 0;
        }

        @Override
        public String toString() {
            return "Metrics[" + (ownPort() ? host + ":" + port : "api port only") + ", key=" + (key == null ? "admin keys" : "set")
                    + ", topEndpoints=" + topEndpoints + "]";
        }
    }

    /** The egress proxy, or null for direct connections. */
    public ProxySettings egressProxySettings() {
        return egressProxy == null ? null : new ProxySettings(egressProxy);
    }

    /** This configuration with {@code key} sealing secrets at rest (null: the embedded data directory's master.key). */
    public ServerConfig withMasterKey(MasterKey key) {
        return new ServerConfig(host, port, dataDir, databaseUrl, allowPrivateAddresses, httpsOnly, maxBodyBytes, autoDisableAfter,
                maxInFlightPerEndpoint, maxInFlightPerMerchant, adminKey, amqpUrl, amqpBindings, connectionLimits, merchantAllowList, egressProxy, key, metrics, retentionDays, allowLoopbackNetworks, schemaValidation);
    }

    /** The rule an external database without a master key breaks. */
    static final String MASTER_KEY_RULE = "an external database (--database-url) needs a master key to seal secrets at rest:"
            + " set HERALD_MASTER_KEY or --master-key-file (32 random bytes as base64 or hex, e.g. from 'openssl rand -base64 32');"
            + " keep it safe, without it the stored secrets cannot be opened";

    /**
     * Checks what only a complete configuration can (it is built in steps, {@link #withMasterKey} last): an external
     * database has a master key. {@link HeraldServer#start} calls it; {@code herald serve} before anything starts.
     *
     * @throws IllegalArgumentException naming HERALD_MASTER_KEY and --master-key-file
     */
    public ServerConfig validate() {
        if (databaseUrl != null && masterKey == null) {
            throw new IllegalArgumentException(MASTER_KEY_RULE);
        }
        return this;
    }

    public ServerConfig {
        java.util.Objects.requireNonNull(connectionLimits, "connectionLimits");
        metrics = metrics == null ? Metrics.defaults() : metrics;
        if (retentionDays < 1 || retentionDays > 3650) {
            throw new IllegalArgumentException("retention-days must be between 1 and 3650, got " + retentionDays);
        }
        if (egressProxy != null) {
            try {
                new ProxySettings(egressProxy);
            } catch (ValidationException e) {
                throw new IllegalArgumentException(e.getMessage().replace("proxy.url", "egress-proxy")); // never the URL: it may hold a password
            }
        }
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
        if (adminKey != null && !ApiKeyStore.acceptable(adminKey)) {
            throw new IllegalArgumentException(ApiKeyStore.rule("HERALD_ADMIN_KEY"));
        }
        if (amqpUrl != null) {
            checkAmqpUrl(amqpUrl);
        }
        amqpBindings = amqpBindings == null ? List.of("#") : List.copyOf(amqpBindings);
        if (amqpBindings.isEmpty()) {
            throw new IllegalArgumentException("amqp-bindings must name at least one routing pattern, e.g. # or account.*,transfer.*");
        }
        for (String b : amqpBindings) {
            if (!BINDING.matcher(b).matches()) {
                throw new IllegalArgumentException("amqp-bindings must be dot-separated words, * or #, such as transfer.* or #, got '" + b + "'");
            }
        }
    }

    /** A malformed AMQP URL is a configuration error; the message shows the URL with its password masked. */
    private static void checkAmqpUrl(String url) {
        String shown = RabbitBus.redact(url);
        String rule = "amqp-url must look like amqp://user:password@host:5672/vhost";
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(rule + ": cannot read " + shown);
        }
        if (u.getScheme() == null || !(u.getScheme().equals("amqp") || u.getScheme().equals("amqps"))) {
            throw new IllegalArgumentException(rule + ": the scheme must be amqp or amqps, got " + shown);
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException(rule + ": the host is missing in " + shown);
        }
        if (u.getPort() > 65535) {
            throw new IllegalArgumentException(rule + ": the port must be 1-65535 in " + shown);
        }
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", database="
                + (databaseUrl == null ? "embedded" : "external") + ", allowPrivateAddresses=" + allowPrivateAddresses
                + ", allowLoopbackNetworks=" + allowLoopbackNetworks
                + ", httpsOnly=" + httpsOnly + ", maxBodyBytes=" + maxBodyBytes + ", bus="
                + (amqpUrl == null ? "in-process" : RabbitBus.redact(amqpUrl)) + ", amqpBindings=" + amqpBindings + ", " + connectionLimits + ", merchantAllowList=" + merchantAllowList
                + ", egressProxy=" + (egressProxy == null ? "direct" : egressProxySettings().redactedUrl())
                + ", masterKey=" + (masterKey == null ? "data-dir" : masterKey.id()) + ", " + metrics + "]";
    }
}
