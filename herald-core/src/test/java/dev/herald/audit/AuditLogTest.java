package dev.herald.audit;

import static dev.herald.testing.EngineHarness.OP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.delivery.Delivery;
import dev.herald.endpoint.Endpoint;
import dev.herald.endpoint.EndpointDraft;
import dev.herald.merchant.MerchantDraft;
import dev.herald.merchant.MerchantService;
import dev.herald.store.Jdbc;
import dev.herald.store.StoreException;
import dev.herald.support.NotFoundException;
import dev.herald.support.ValidationException;
import dev.herald.testing.EngineHarness;
import dev.herald.testing.TestPostgres;
import dev.herald.testing.TestReceiver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every control-plane change of the engine leaves one audit entry in its own transaction — none when it is refused or
 * rolled back — numbered without gaps and hash-chained, and verification finds each way of tampering with the log.
 */
class AuditLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String NEW_SECRET = "whsec_ZZZZ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static List<AuditEntry> oldestFirst(EngineHarness h) {
        List<AuditEntry> page = new ArrayList<>(h.herald.audit().page(new AuditLog.Query(null, null, null, null, null, null, 1000)));
        return page.reversed();
    }

    private static JsonNode json(String s) throws Exception {
        return s == null ? null : JSON.readTree(s);
    }

    private static EndpointDraft draft(String url, String name) {
        return new EndpointDraft("shop-1", name, null, url, List.of("*"), Map.of("Authorization", "Bearer header-credential"), SECRET, null, 0,
                null, null, 2);
    }

    @Test
    void everyKindOfChangeIsRecordedWithRedactedBeforeAndAfter() throws Exception {
        try (TestReceiver receiver = TestReceiver.start(); EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            MerchantService.Put made = h.herald.merchants().put(OP, "shop-1", new MerchantDraft("Shop", null, false, null, null, null, null, null, null, null, null));
            h.herald.merchants().put(OP, "shop-1", MerchantDraft.own(null, null, true));
            Endpoint ep = h.endpoint(draft(receiver.url("/a").toString(), "a"));
            h.herald.endpoints().update(OP, ep.id(), new EndpointDraft(null, null, "rotated", null, null, null, NEW_SECRET, null, null, null, null, null));
            h.herald.endpoints().disable(OP, ep.id());
            h.herald.endpoints().enable(OP, ep.id());
            h.herald.deliveries().test(OP, ep.id());
            String event = h.publish("order.paid").id();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.onlyDeliveryOf(event).status() == Delivery.Status.DELIVERED);
            h.herald.deliveries().resend(OP, h.onlyDeliveryOf(event).id(), null);
            h.herald.deliveries().recover(OP, ep.id(), Instant.EPOCH);
            h.herald.endpoints().delete(OP, ep.id());

            List<AuditEntry> entries = oldestFirst(h);
            assertThat(entries).extracting(AuditEntry::action).containsExactly("merchant.create", "merchant.update", "endpoint.create",
                    "endpoint.update", "endpoint.disable", "endpoint.enable", "endpoint.test", "delivery.resend", "endpoint.recover", "endpoint.delete");
            assertThat(entries).extracting(AuditEntry::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(entries).allSatisfy(e -> {
                assertThat(e.actor()).isEqualTo(OP.actor());
                assertThat(e.clientAddress()).isEqualTo(OP.clientAddress());
                assertThat(e.traceId()).isEqualTo(OP.traceId());
                assertThat(e.target().merchantId()).isEqualTo("shop-1");
                assertThat(e.before() + " " + e.after()).doesNotContain(SECRET, NEW_SECRET, made.merchant().secret(), "header-credential",
                        h.herald.merchants().get("shop-1").secret());
            });
            AuditEntry merchantCreated = entries.get(0);
            assertThat(merchantCreated.before()).isNull();
            assertThat(json(merchantCreated.after()).get("secret").asText()).isEqualTo(Redaction.REDACTED);
            JsonNode rotation = json(entries.get(1).after());
            assertThat(rotation.get("secret").asText()).isEqualTo(Redaction.CHANGED);
            assertThat(rotation.get("previous_secret").asText()).isEqualTo(Redaction.CHANGED);
            assertThat(rotation.get("previous_secret_until").asText()).as("metadata about the secret stays").isNotBlank();

            AuditEntry created = entries.get(2);
            assertThat(created.target()).isEqualTo(Target.endpoint(ep.id(), "shop-1"));
            assertThat(json(created.after()).get("headers").get("Authorization").asText()).isEqualTo(Redaction.REDACTED);
            assertThat(json(created.after()).get("url").asText()).isEqualTo(receiver.url("/a").toString());
            JsonNode updated = json(entries.get(3).after());
            assertThat(updated.get("secret").asText()).isEqualTo(Redaction.CHANGED);
            assertThat(updated.get("description").asText()).isEqualTo("rotated");
            assertThat(json(entries.get(3).before()).get("description").asText()).isEmpty();
            assertThat(json(entries.get(4).after()).get("active").asBoolean()).isFalse();
            assertThat(json(entries.get(5).after()).get("active").asBoolean()).isTrue();
            assertThat(json(entries.get(7).after()).get("status").asText()).isEqualTo("pending");
            assertThat(json(entries.get(7).before()).get("status").asText()).isEqualTo("delivered");
            assertThat(json(entries.get(8).after()).get("since").asText()).isEqualTo("1970-01-01T00:00:00Z");
            assertThat(entries.get(9).after()).isNull();
            assertThat(json(entries.get(9).before()).get("id").asText()).isEqualTo(ep.id());
            assertThat(h.herald.audit().verify()).isEqualTo(new AuditLog.Verification(true, 10, null, null));
        }
    }

    @Test
    void aRefusedChangeWritesNothing() {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            Endpoint ep = h.endpoint("http://127.0.0.1:9/x", List.of("*"));
            assertThatThrownBy(() -> h.herald.endpoints().update(OP, ep.id(), new EndpointDraft(null, null, null, "not a url", null, null, null,
                    null, null, null, null, null))).isInstanceOf(ValidationException.class);
            assertThatThrownBy(() -> h.herald.endpoints().delete(OP, "ep_missing")).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> h.herald.merchants().put(OP, "shop-2", new MerchantDraft(null, null, false, -1, null, null, null, null, null,
                    null, null))).isInstanceOf(ValidationException.class);
            assertThat(oldestFirst(h)).extracting(AuditEntry::action).containsExactly("endpoint.create");
        }
    }

    @Test
    void aTransactionFailingAtCommitAfterItsEntryLeavesNoEntryAndNoGap() {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            h.endpoint("http://127.0.0.1:9/first", List.of("*"));
            h.jdbc.inTransaction(c -> {
                Jdbc.update(c, """
                        create function refuse_doomed() returns trigger language plpgsql as $$
                        begin
                            if new.name = 'doomed' then raise exception 'refused at commit'; end if;
                            return null;
                        end $$""", ps -> {});
                Jdbc.update(c, "create constraint trigger refuse_doomed after insert on endpoints deferrable initially deferred"
                        + " for each row execute function refuse_doomed()", ps -> {});
                return null;
            });
            assertThatThrownBy(() -> h.endpoint(new EndpointDraft(null, "doomed", null, "http://127.0.0.1:9/d", List.of("*"), null, null, null,
                    null, null, null, 2))).isInstanceOf(StoreException.class).hasMessageContaining("refused at commit");
            h.endpoint("http://127.0.0.1:9/after", List.of("*"));
            assertThat(oldestFirst(h)).extracting(AuditEntry::seq).containsExactly(1L, 2L);
            assertThat(oldestFirst(h)).extracting(e -> e.target().id()).doesNotHaveDuplicates();
            assertThat(h.herald.audit().verify().ok()).isTrue();
        }
    }

    @Test
    void concurrentChangesKeepOneValidGaplessChain() throws Exception {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 15; i++) {
                            h.endpoint("http://127.0.0.1:9/t" + thread + "-" + i, List.of("*"));
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            List<AuditEntry> entries = oldestFirst(h);
            assertThat(entries).hasSize(90);
            assertThat(entries).extracting(AuditEntry::seq).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 90).boxed().toList());
            assertThat(h.herald.audit().verify()).isEqualTo(new AuditLog.Verification(true, 90, null, null));
        }
    }

    @Test
    void theDatabaseRefusesToChangeOrRemoveEntriesOrMoveTheHeadBack() {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            h.endpoint("http://127.0.0.1:9/x", List.of("*"));
            h.endpoint("http://127.0.0.1:9/y", List.of("*"));
            for (String sql : List.of("update audit_log set action = 'nothing' where seq = 1", "delete from audit_log where seq = 2",
                    "truncate audit_log", "update audit_chain set seq = 1, hash = (select hash from audit_log where seq = 1)",
                    "delete from audit_chain", "insert into audit_log select seq + 10, at, actor_key_id, actor_name, actor_merchant, action, target_type,"
                            + " target_id, target_merchant, before, after, client_address, trace_id, prev_hash, hash from audit_log where seq = 2")) {
                assertThatThrownBy(() -> h.jdbc.inTransaction(c -> Jdbc.update(c, sql, ps -> {}))).as(sql).isInstanceOf(StoreException.class);
            }
            assertThat(h.herald.audit().verify()).isEqualTo(new AuditLog.Verification(true, 2, null, null));
        }
    }

    /** Ways to tamper with the log (as a superuser with triggers off) and the entry verification must name. */
    enum Tampering {
        EDITED_FIELD("update audit_log set after = replace(after, 'http', 'https') where seq = 3", 3, "altered"),
        EDITED_ACTOR("update audit_log set actor_name = 'someone else' where seq = 2", 2, "altered"),
        RELINKED_ENTRY("update audit_log set prev_hash = (select hash from audit_log where seq = 2) where seq = 4", 4, "relinked"),
        DELETED_MIDDLE_ENTRY("delete from audit_log where seq = 3", 3, "missing"),
        DELETED_AND_RENUMBERED("delete from audit_log where seq = 3; update audit_log set seq = seq - 1 where seq > 3", 3, "relinked"),
        DELETED_NEWEST_ENTRY("delete from audit_log where seq = 5", 5, "removed from its end"),
        EMPTIED_TABLE("delete from audit_log", 1, "removed from its end"),
        REMOVED_KEY("delete from audit_chain_key", 1, "key is missing"),
        MOVED_BOUNDARY("update audit_chain_key set legacy_through = 5", 1, "boundary"),
        FOREIGN_KEY("update audit_chain_key set sealed_key = (select sealed_key from audit_chain_key) || 'x'", 1, "does not open");

        final String sql;
        final long firstBad;
        final String problem;

        Tampering(String sql, long firstBad, String problem) {
            this.sql = sql;
            this.firstBad = firstBad;
            this.problem = problem;
        }
    }

    @ParameterizedTest
    @EnumSource(Tampering.class)
    void verificationFindsTampering(Tampering t) {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            for (int i = 0; i < 5; i++) {
                h.endpoint("http://127.0.0.1:9/e" + i, List.of("*"));
            }
            assertThat(h.herald.audit().verify().ok()).isTrue();
            h.jdbc.inTransaction(c -> {
                Jdbc.update(c, "set local session_replication_role = replica", ps -> {});
                for (String sql : t.sql.split("; ")) {
                    Jdbc.update(c, sql, ps -> {});
                }
                return null;
            });
            AuditLog.Verification v = h.herald.audit().verify();
            assertThat(v.ok()).isFalse();
            assertThat(v.firstBadEntry()).isEqualTo(t.firstBad);
            assertThat(v.problem()).contains(t.problem);
        }
    }

    /**
     * The attack of issue 18: a superuser turns the append-only triggers off, re-attributes an entry, deletes the newest
     * and recomputes every hash and the head with the public SHA-256 formula. The keyed chain finds it.
     */
    @Test
    void aRewriteRecomputedWithThePublicFormulaDoesNotVerify() {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            for (int i = 0; i < 5; i++) {
                h.endpoint("http://127.0.0.1:9/e" + i, List.of("*"));
            }
            assertThat(h.herald.audit().verify().ok()).isTrue();
            h.jdbc.inTransaction(c -> {
                Jdbc.update(c, "set local session_replication_role = replica", ps -> {});
                Jdbc.update(c, "update audit_log set actor_name = 'someone else' where seq = 2", ps -> {});
                Jdbc.update(c, "delete from audit_log where seq = 5", ps -> {});
                return null;
            });
            rehashWithThePublicFormula(h);

            AuditLog.Verification v = h.herald.audit().verify();
            assertThat(v.ok()).isFalse();
            assertThat(v.firstBadEntry()).isEqualTo(1);
            assertThat(v.problem()).contains("without the key");
        }
    }

    @Test
    void removingTheNewestEntriesIsFoundAgainstAnAnchorKeptOutside() {
        try (EngineHarness h = EngineHarness.open(TestPostgres.embedded())) {
            for (int i = 0; i < 5; i++) {
                h.endpoint("http://127.0.0.1:9/e" + i, List.of("*"));
            }
            dev.herald.store.chain.HashChain.Anchor anchor = h.herald.audit().anchor().orElseThrow();
            assertThat(anchor.position()).isEqualTo(5);
            assertThat(h.herald.audit().verify(anchor).ok()).isTrue();
            // the newest two entries go and the head moves back onto entry 3, whose keyed hash is still valid
            h.jdbc.inTransaction(c -> {
                Jdbc.update(c, "set local session_replication_role = replica", ps -> {});
                Jdbc.update(c, "delete from audit_log where seq > 3", ps -> {});
                Jdbc.update(c, "update audit_chain set seq = 3, hash = (select hash from audit_log where seq = 3)", ps -> {});
                return null;
            });

            assertThat(h.herald.audit().verify().ok()).as("without an anchor a cut at the end looks whole").isTrue();
            AuditLog.Verification v = h.herald.audit().verify(anchor);
            assertThat(v.ok()).isFalse();
            assertThat(v.firstBadEntry()).isEqualTo(5);
            assertThat(v.problem()).contains("removed from its end");
        }
    }

    @Test
    void entriesWrittenBeforeTheChainWasKeyedKeepVerifyingAndTheFirstKeyedEntryCoversThem() {
        dev.herald.store.DatabaseConfig db = TestPostgres.embedded();
        try (dev.herald.store.Database database = dev.herald.store.Database.open(db, dev.herald.Herald.MIGRATIONS)) {
            Jdbc jdbc = new Jdbc(database.dataSource());
            for (int seq = 1; seq <= 3; seq++) { // as an older Herald wrote them: unkeyed SHA-256
                long n = seq;
                jdbc.inTransaction(c -> {
                    String prev = Jdbc.query(c, "select hash from audit_chain", ps -> {}, rs -> rs.getString(1)).getFirst();
                    AuditEntry e = new AuditEntry(n, Instant.parse("2030-01-01T00:00:00Z").plusSeconds(n), new Actor("key_1", "ops", null),
                            "endpoint.create", new Target("endpoint", "ep_" + n, "shop-1"), null, "{}", "127.0.0.1", null, prev, null);
                    String hash = dev.herald.store.chain.HashChain.unkeyed(prev, AuditLog.canonical(e));
                    Jdbc.update(c, "insert into audit_log (seq, at, actor_key_id, actor_name, action, target_type, target_id, target_merchant,"
                            + " after, client_address, prev_hash, hash) values (?, ?, 'key_1', 'ops', 'endpoint.create', 'endpoint', ?, 'shop-1', '{}',"
                            + " '127.0.0.1', ?, ?)", ps -> {
                        ps.setLong(1, n);
                        ps.setTimestamp(2, Jdbc.ts(e.at()));
                        ps.setString(3, "ep_" + n);
                        ps.setString(4, prev);
                        ps.setString(5, hash);
                    });
                    Jdbc.update(c, "update audit_chain set seq = ?, hash = ?", ps -> {
                        ps.setLong(1, n);
                        ps.setString(2, hash);
                    });
                    return null;
                });
            }
        }
        try (EngineHarness h = EngineHarness.open(db)) {
            h.endpoint("http://127.0.0.1:9/after", List.of("*")); // entry 4: the first keyed one
            assertThat(h.herald.audit().verify()).isEqualTo(new AuditLog.Verification(true, 4, null, null));

            // the unkeyed entries rewritten with the public formula: the keyed entry after them no longer links
            h.jdbc.inTransaction(c -> {
                Jdbc.update(c, "set local session_replication_role = replica", ps -> {});
                Jdbc.update(c, "update audit_log set actor_name = 'someone else' where seq = 1", ps -> {});
                return null;
            });
            rehashWithThePublicFormula(h);
            AuditLog.Verification v = h.herald.audit().verify();
            assertThat(v.ok()).isFalse();
            assertThat(v.firstBadEntry()).isEqualTo(4);
        }
    }

    /** What an attacker without the key can do: recompute every prev_hash, hash and the head with the public SHA-256 formula. */
    private static void rehashWithThePublicFormula(EngineHarness h) {
        List<AuditEntry> entries = oldestFirst(h);
        h.jdbc.inTransaction(c -> {
            Jdbc.update(c, "set local session_replication_role = replica", ps -> {});
            String prev = dev.herald.store.chain.HashChain.GENESIS;
            for (AuditEntry e : entries) {
                AuditEntry relinked = new AuditEntry(e.seq(), e.at(), e.actor(), e.action(), e.target(), e.before(), e.after(), e.clientAddress(),
                        e.traceId(), prev, null);
                String hash = dev.herald.store.chain.HashChain.unkeyed(prev, AuditLog.canonical(relinked));
                String p = prev;
                Jdbc.update(c, "update audit_log set prev_hash = ?, hash = ? where seq = ?", ps -> {
                    ps.setString(1, p);
                    ps.setString(2, hash);
                    ps.setLong(3, e.seq());
                });
                prev = hash;
            }
            String head = prev;
            Jdbc.update(c, "update audit_chain set seq = ?, hash = ?", ps -> {
                ps.setLong(1, entries.size());
                ps.setString(2, head);
            });
            return null;
        });
    }
}
