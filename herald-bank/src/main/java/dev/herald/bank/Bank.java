package dev.herald.bank;

import dev.herald.bank.api.BankApi;
import dev.herald.bank.api.BankServices;
import dev.herald.bank.reconcile.Reconciliation;
import dev.herald.bank.transfer.TransferConsumer;
import dev.herald.bus.Bus;
import dev.herald.outbox.BusPublisher;
import dev.herald.outbox.OutboxRelay;
import dev.herald.store.Database;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.HttpListener;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running reference bank: its database (migrated), HTTP API, outbox relay publishing to the configured
 * {@link Bus}, and the risk consumer executing transfers from {@link dev.herald.bus.Topology#TRANSFER}.
 * {@link #close()} stops all of it except the bus, which belongs to the caller.
 */
public final class Bank implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Bank.class);
    /** Where the bank's schema migrations live (for {@code Database.open}). */
    public static final String MIGRATIONS = "classpath:db/bank";

    private final Database db;
    private final BankServices services;
    private final OutboxRelay relay;
    private final TransferConsumer consumer;
    private final Bus.Subscription subscription;
    private final HttpListener web;
    private final Optional<String> generatedKey;

    private Bank(Database db, BankServices services, OutboxRelay relay, TransferConsumer consumer, Bus.Subscription subscription, HttpListener web,
                 Optional<String> generatedKey) {
        this.db = db;
        this.services = services;
        this.relay = relay;
        this.consumer = consumer;
        this.subscription = subscription;
        this.web = web;
        this.generatedKey = generatedKey;
    }

    /** Opens and migrates the database, then starts the relay, the risk consumer and the HTTP API; fails fast. */
    public static Bank start(BankConfig cfg) {
        Database db = Database.open(cfg.database().withApplicationName("herald-bank"), MIGRATIONS);
        OutboxRelay relay = null;
        TransferConsumer consumer = null;
        Bus.Subscription subscription = null;
        try {
            BankServices services = BankServices.create(db.dataSource(), cfg.clock(), cfg.risk(), cfg.lowBalanceThreshold(), cfg.outboxStaleAfter(),
                    cfg.auditKey());
            ApiKeyStore keys = new ApiKeyStore(services.jdbc(), "bank_api_keys", cfg.clock());
            Optional<String> generated = keys.bootstrap(cfg.apiKey(), "bk_");
            relay = new OutboxRelay(db.dataSource(), new BusPublisher(cfg.bus()), OutboxRelay.Config.defaults(), cfg.clock()).start();
            consumer = new TransferConsumer(services.transfers(), Duration.ofSeconds(1));
            subscription = consumer.subscribe(cfg.bus(), cfg.consumerPrefetch());
            BankApi api = new BankApi(services, keys, cfg.clock(), cfg.maxBodyBytes());
            HttpListener web = HttpListener.start("bank", cfg.host(), cfg.port(), cfg.maxBodyBytes(), cfg.connectionLimits(), api::routing);
            log.info("bank listening on http://{}:{} ({})", cfg.host(), web.port(), cfg);
            return new Bank(db, services, relay, consumer, subscription, web, generated);
        } catch (RuntimeException e) {
            if (subscription != null) {
                subscription.close();
            }
            if (consumer != null) {
                consumer.close();
            }
            if (relay != null) {
                relay.close();
            }
            db.close();
            throw e;
        }
    }

    /** The HTTP port. */
    public int port() {
        return web.port();
    }

    /** The API key generated at start (to print once), when none was configured and none was stored. */
    public Optional<String> generatedApiKey() {
        return generatedKey;
    }

    /** The bank's services (for embedding and tests). */
    public BankServices services() {
        return services;
    }

    /** Reconciles the books now (what {@code GET /bank/v1/reconciliation} answers). */
    public Reconciliation reconcile() {
        return services.reconciler().run();
    }

    /** Stops HTTP, the consumer (unacked transfers return to the queue), the relay and the database pool. */
    @Override
    public void close() {
        web.close();
        subscription.close();
        consumer.close();
        relay.close();
        db.close();
    }
}
