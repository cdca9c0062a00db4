package dev.herald.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.Herald;
import dev.herald.store.Database;
import dev.herald.store.Jdbc;
import dev.herald.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sealing at rest: values round-trip, open only in their own place, resist tampering, and survive a master-key rotation. */
class VaultTest {
    private static final SealContext ROW_A = new SealContext("endpoints", "secret", "ep_a");
    private static final SealContext ROW_B = new SealContext("endpoints", "secret", "ep_b");
    private static final String SECRET = "whsec_c2VjcmV0LXZhbHVlLW9mLXRoaXJ0eS10d28tYnl0ZXM=";

    private Database db;
    private Jdbc jdbc;
    private final LocalMasterKey master = LocalMasterKey.generate();

    @BeforeEach
    void database() {
        db = Database.open(TestPostgres.embedded().withMaxPoolSize(2), Herald.MIGRATIONS);
        jdbc = new Jdbc(db.dataSource());
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aSealedValueOpensToWhatWasSealedAndShowsNoneOfIt() {
        Vault vault = Vault.open(jdbc, master);
        String sealed = vault.seal(SECRET, ROW_A);
        assertThat(sealed).startsWith("sealed:v1:" + vault.currentDataKeyId() + ":").doesNotContain(SECRET).doesNotContain("c2VjcmV0");
        assertThat(vault.seal(SECRET, ROW_A)).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThat(vault.open(sealed, ROW_A)).isEqualTo(SECRET);
        assertThat(Vault.open(jdbc, master).open(sealed, ROW_A)).as("another node, same database and master key").isEqualTo(SECRET);
        byte[] raw = {0, 1, 2, (byte) 0xff};
        assertThat(vault.openBytes(vault.sealBytes(raw, ROW_A), ROW_A)).containsExactly(raw);
        assertThat(vault.seal(null, ROW_A)).isNull();
        assertThat(vault.open(null, ROW_A)).isNull();
    }

    @Test
    void aValueCopiedToAnotherRowOrColumnDoesNotOpen() {
        Vault vault = Vault.open(jdbc, master);
        String sealed = vault.seal(SECRET, ROW_A);
        assertThatThrownBy(() -> vault.open(sealed, ROW_B)).isInstanceOf(SealException.class)
                .hasMessageContaining("endpoints.secret[ep_b]").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> vault.open(sealed, new SealContext("endpoints", "previous_secret", "ep_a"))).isInstanceOf(SealException.class);
        assertThatThrownBy(() -> vault.open(sealed, new SealContext("merchants", "secret", "ep_a"))).isInstanceOf(SealException.class);
    }

    @Test
    void anAlteredValueDoesNotOpen() {
        Vault vault = Vault.open(jdbc, master);
        String sealed = vault.seal(SECRET, ROW_A);
        int colon = sealed.lastIndexOf(':');
        byte[] box = Base64.getDecoder().decode(sealed.substring(colon + 1));
        box[box.length / 2] ^= 1;
        String tampered = sealed.substring(0, colon + 1) + Base64.getEncoder().encodeToString(box);
        assertThatThrownBy(() -> vault.open(tampered, ROW_A)).isInstanceOf(SealException.class);
        String otherKey = sealed.replace(vault.currentDataKeyId(), "dk000000000000");
        assertThatThrownBy(() -> vault.open(otherKey, ROW_A)).isInstanceOf(SealException.class).hasMessageContaining("dk000000000000");
        assertThatThrownBy(() -> vault.openBytes("whsec_plain", ROW_A)).isInstanceOf(SealException.class);
    }

    @Test
    void plaintextFromBeforeSealingIsReadAsItIs() {
        Vault vault = Vault.open(jdbc, master);
        assertThat(vault.open(SECRET, ROW_A)).isEqualTo(SECRET);
    }

    @Test
    void isSealedTellsASealedValueFromPlaintext() {
        Vault vault = Vault.open(jdbc, master);
        assertThat(Vault.isSealed(vault.seal("x", ROW_A))).isTrue();
        assertThat(Vault.isSealed(SECRET)).isFalse();
        assertThat(Vault.isSealed(null)).isFalse();
        assertThat(Vault.isSealed("sealed:v1:")).isFalse();
        assertThat(Vault.isSealed("sealed:v1:dk1:not base64!")).isFalse();
    }

    @Test
    void anotherMasterKeyIsRefusedNamingBothIdsAndNeitherKey() {
        Vault.open(jdbc, master);
        LocalMasterKey other = LocalMasterKey.generate();
        assertThatThrownBy(() -> Vault.open(jdbc, other)).isInstanceOfSatisfying(WrongMasterKeyException.class, e -> {
            assertThat(e.givenId()).isEqualTo(other.id());
            assertThat(e.storedId()).isEqualTo(master.id());
            assertThat(e.getMessage()).contains(other.id(), master.id()).doesNotContain(master.encoded()).doesNotContain(other.encoded());
        });
    }

    @Test
    void aMasterKeyThatClaimsTheRightIdButCannotUnwrapIsRefused() {
        Vault.open(jdbc, master);
        LocalMasterKey other = LocalMasterKey.generate();
        MasterKey impostor = new MasterKey() {
            public String id() { return master.id(); }
            public byte[] wrap(byte[] k) { return other.wrap(k); }
            public byte[] unwrap(byte[] w) { return other.unwrap(w); }
        };
        assertThatThrownBy(() -> Vault.open(jdbc, impostor)).isInstanceOf(WrongMasterKeyException.class);
    }

    @Test
    void rotatingTheMasterKeyKeepsEveryValueReadableAndRetiresTheOldKey() {
        Vault before = Vault.open(jdbc, master);
        String sealed = before.seal(SECRET, ROW_A);
        LocalMasterKey next = LocalMasterKey.generate();

        Vault.Rotation r = Vault.rotateMaster(jdbc, master, next, false);
        assertThat(r.rewrapped()).isEqualTo(1);
        assertThat(Vault.rotateMaster(jdbc, master, next, false)).as("idempotent").isEqualTo(new Vault.Rotation(0, 1, null));

        assertThat(before.open(sealed, ROW_A)).as("a node running across the rotation keeps working").isEqualTo(SECRET);
        assertThat(before.open(before.seal("new", ROW_B), ROW_B)).isEqualTo("new");
        assertThat(Vault.open(jdbc, next).open(sealed, ROW_A)).isEqualTo(SECRET);
        assertThatThrownBy(() -> Vault.open(jdbc, master)).as("a restart with the old key").isInstanceOf(WrongMasterKeyException.class);
        assertThatThrownBy(() -> Vault.rotateMaster(jdbc, LocalMasterKey.generate(), LocalMasterKey.generate(), false))
                .isInstanceOf(WrongMasterKeyException.class);
    }

    @Test
    void aNewDataKeySealsNewValuesWhileOldOnesStillOpen() {
        Vault before = Vault.open(jdbc, master);
        String old = before.seal(SECRET, ROW_A);
        Vault.Rotation r = Vault.rotateMaster(jdbc, master, master, true);
        assertThat(r.newDataKeyId()).isNotNull().isNotEqualTo(before.currentDataKeyId());

        Vault after = Vault.open(jdbc, master);
        assertThat(after.currentDataKeyId()).isEqualTo(r.newDataKeyId());
        String fresh = after.seal("fresh", ROW_B);
        assertThat(fresh).contains(r.newDataKeyId());
        assertThat(after.open(old, ROW_A)).isEqualTo(SECRET);
        assertThat(before.open(fresh, ROW_B)).as("a running node loads a data key added since it started").isEqualTo("fresh");
    }

    @Test
    void nodesOpeningANewDatabaseTogetherShareOneCurrentDataKey() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = java.util.stream.IntStream.range(0, 4).mapToObj(i -> pool.submit(() -> Vault.open(jdbc, master))).toList();
            java.util.Set<String> current = new java.util.HashSet<>();
            for (var f : futures) {
                current.add(f.get().currentDataKeyId());
            }
            assertThat(current).hasSize(1);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void theDataKeysAreStoredWrappedAndTheMasterKeyNever() {
        Vault vault = Vault.open(jdbc, master);
        byte[] raw = java.util.HexFormat.of().parseHex(HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(master.encoded())));
        String stored = jdbc.read(c -> Jdbc.query(c, "select encode(wrapped, 'hex') || master_key_id from data_keys", ps -> {}, rs -> rs.getString(1)))
                .getFirst();
        assertThat(stored).doesNotContain(HexFormat.of().formatHex(raw)).contains(master.id());
        assertThat(vault.toString()).doesNotContain(master.encoded());
        assertThat(master.toString()).isEqualTo("LocalMasterKey[id=" + master.id() + "]");
    }

    @Test
    void aLocalMasterKeyReadsBase64OrHexAndRefusesAnythingElse() {
        byte[] raw = new byte[32];
        raw[0] = 7;
        String b64 = Base64.getEncoder().encodeToString(raw);
        String id = LocalMasterKey.parse(b64, "k").id();
        assertThat(LocalMasterKey.parse(HexFormat.of().formatHex(raw), "k").id()).isEqualTo(id);
        assertThat(LocalMasterKey.parse(Base64.getUrlEncoder().encodeToString(raw) + "\n", "k").id()).isEqualTo(id);
        assertThat(LocalMasterKey.generate().id()).isNotEqualTo(id);
        assertThatThrownBy(() -> LocalMasterKey.parse(Base64.getEncoder().encodeToString(new byte[31]), "HERALD_MASTER_KEY"))
                .hasMessageStartingWith("HERALD_MASTER_KEY must hold");
        assertThatThrownBy(() -> LocalMasterKey.parse("secret words", "k")).hasMessageNotContaining("secret words");
        assertThat(new String(LocalMasterKey.parse(b64, "k").unwrap(LocalMasterKey.parse(b64, "k").wrap("dk".getBytes(StandardCharsets.UTF_8))),
                StandardCharsets.UTF_8)).isEqualTo("dk");
    }
}
