package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.store.Database;
import dev.herald.store.DatabaseConfig;
import dev.herald.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;

/**
 * A copy of the database holds no secret in any encoding: after endpoints (known secrets, rotated, custom header
 * values), merchants (secrets shown on creation and rotation, copied to their notify_url targets) and API keys are
 * made through the real API — with a merchant's client certificate and key, proxy password, payload key and generated
 * Ed25519 and RSA signing keys — neither a {@code pg_dump} of the real PostgreSQL nor a {@code COPY} of every table of the
 * embedded one contains any of them — plain, as the base64 body of {@code whsec_…}, that body's bytes in hex or
 * URL-safe base64, or the value's own UTF-8 bytes in base64 or hex — nor the master key.
 */
@Timeout(180)
class SecretsAtRestTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void aCopyOfEveryTableOfTheEmbeddedDatabaseHoldsNoSecret() throws Exception {
        DatabaseConfig db = TestPostgres.embedded();
        try (TestServer server = TestServer.start(true, Clock.systemUTC(), db, null, List.of("#"))) {
            Map<String, String> secrets = createEverything(server);
            String dump = copyEveryTable(db);
            assertThat(dump).as("the copy holds the data").contains("shop-at-rest", "sealed:v1:");
            assertHoldsNone(dump, secrets);
        }
    }

    @Test
    void aPgDumpOfTheRealDatabaseHoldsNoSecret() throws Exception {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        Optional<DatabaseConfig> real = TestPostgres.realServer(); // with CI=true an unreachable server fails here
        Optional<Path> pgDump = pgDump();
        if (ci) {
            assertThat(pgDump).as("CI=true requires pg_dump (Debian's postgresql-client)").isPresent();
        }
        assumeTrue(real.isPresent(), "no PostgreSQL at 127.0.0.1:5432");
        assumeTrue(pgDump.isPresent(), "no pg_dump");
        DatabaseConfig db = real.get();
        try (TestServer server = TestServer.start(true, Clock.systemUTC(), db, null, List.of("#"))) {
            Map<String, String> secrets = createEverything(server);
            String dump = runPgDump(pgDump.get(), db);
            assertThat(dump).as("the dump holds the data").contains("shop-at-rest", "sealed:v1:", "data_keys");
            assertHoldsNone(dump, secrets);
        }
    }

    /** Makes endpoints, merchants, notification targets and API keys through the API; returns each secret by what it is. */
    private static Map<String, String> createEverything(TestServer server) {
        Map<String, String> secrets = new LinkedHashMap<>();
        String first = whsec();
        String second = whsec();
        String apiKeyHeader = "hdr-" + HexFormat.of().formatHex(bytes(16));
        String bearer = "Bearer tok-" + HexFormat.of().formatHex(bytes(16));
        secrets.put("endpoint secret, rotated out", first);
        secrets.put("endpoint secret", second);
        secrets.put("custom header X-Api-Key", apiKeyHeader);
        secrets.put("custom header Authorization", bearer);

        JsonNode a = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/a", "events", List.of("*"), "secret", first,
                "headers", Map.of("X-Api-Key", apiKeyHeader, "Authorization", bearer)));
        String id = a.get("id").asText();
        assertThat(a.get("secret").asText()).isEqualTo(first);
        TestServer.Response changed = server.patchJson("/v1/endpoints/" + id, Map.of("secret", second));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        JsonNode b = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/b", "events", List.of("*")));
        secrets.put("generated endpoint secret", b.get("secret").asText());

        TestServer.Response made = server.put("/v1/merchants/shop-at-rest", "{\"name\": \"Shop\"}");
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        secrets.put("merchant secret, rotated out", made.json().get("secret").asText());
        TestServer.Response rotated = server.put("/v1/merchants/shop-at-rest", "{\"rotate_secret\": true}");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        secrets.put("merchant secret", rotated.json().get("secret").asText());
        TestServer.Response notified = server.postJson("/v1/notifications", Map.of("merchant_id", "shop-at-rest",
                "notify_url", "http://127.0.0.1:9/notify", "event", "payment.succeeded", "payload", Map.of("order", "o-1")));
        assertThat(notified.status()).as(notified.body()).isEqualTo(202);

        // certificate control, the egress line, payload sealing and asymmetric signing keys
        dev.herald.testing.TestPki pki = dev.herald.testing.TestPki.get();
        String proxyPassword = "pw-" + HexFormat.of().formatHex(bytes(12));
        TestServer.Response controls = server.send(server.request("/v1/merchants/shop-at-rest").header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(TestServer.toJson(Map.of(
                        "rotate_payload_key", true, "signature_schemes", List.of("v1", "v1a", "rsa-sha256"),
                        "tls", Map.of("client_certificate", pki.clientCertPem, "client_key", pki.clientKeyPem),
                        "proxy", Map.of("url", "http://line:" + proxyPassword + "@127.0.0.1:3128")))))
                .build());
        assertThat(controls.status()).as(controls.body()).isEqualTo(200);
        secrets.put("payload key", controls.json().get("payload_key").asText());
        secrets.put("proxy password", proxyPassword);
        secrets.put("tls client key (its PEM)", pki.clientKeyPem);
        pki.clientKeyPem.lines().filter(l -> !l.startsWith("-----")).limit(3)
                .forEach(l -> secrets.put("tls client key (a line of its PEM: " + l.substring(0, 8) + "…)", l));
        JsonNode signed = server.createEndpoint(Map.of("url", "http://127.0.0.1:9/signed", "events", List.of("*"), "merchant_id", "shop-at-rest",
                "signature_schemes", List.of("v1a", "rsa-sha256"), "encryption", "aead_aes_256_gcm"));
        assertThat(server.get("/v1/endpoints/" + signed.get("id").asText() + "/signing-keys").json().get("data")).hasSize(2);

        TestServer.Response key = server.postJson("/v1/api-keys", Map.of("name", "ops", "scopes", List.of("admin")));
        assertThat(key.status()).as(key.body()).isEqualTo(201);
        secrets.put("API key", key.json().get("key").asText());
        secrets.put("admin key", TestServer.ADMIN_KEY);
        secrets.put("master key", TestServer.MASTER_KEY.encoded());

        // what the API shows: no secret in a read or a list
        String shown = server.get("/v1/endpoints/" + id).body() + server.get("/v1/endpoints").body() + server.get("/v1/merchants/shop-at-rest").body()
                + server.get("/v1/api-keys").body();
        for (var s : secrets.entrySet()) {
            assertThat(shown).as("reads and lists show no %s", s.getKey()).doesNotContain(s.getValue());
        }
        return secrets;
    }

    private static void assertHoldsNone(String dump, Map<String, String> secrets) {
        List<String> found = new ArrayList<>();
        for (String shape : List.of("whsk_", "PRIVATE KEY", "whsec_")) { // generated signing keys and any PEM key, whatever their value
            if (dump.contains(shape)) {
                found.add("a value shaped " + shape);
            }
        }
        for (var s : secrets.entrySet()) {
            for (var e : encodings(s.getValue()).entrySet()) {
                if (dump.contains(e.getValue())) {
                    found.add(s.getKey() + " (" + e.getKey() + ")");
                }
            }
        }
        assertThat(found).as("secrets found in the copy of the database").isEmpty();
    }

    /** {@code secret} as it might leak: plain; its UTF-8 in base64 or hex; for whsec_, its base64 body and that body's bytes. */
    static Map<String, String> encodings(String secret) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("plain", secret);
        byte[] utf8 = secret.getBytes(StandardCharsets.UTF_8);
        out.put("base64 of the text", unpadded(Base64.getEncoder().encodeToString(utf8)));
        out.put("hex of the text", HexFormat.of().formatHex(utf8));
        out.put("HEX of the text", HexFormat.of().formatHex(utf8).toUpperCase(Locale.ROOT));
        Matcher whsec = Pattern.compile("whsec_([A-Za-z0-9+/=]+)").matcher(secret);
        if (whsec.matches()) {
            out.put("base64 body", unpadded(whsec.group(1)));
            byte[] raw = Base64.getDecoder().decode(whsec.group(1));
            out.put("hex of the body", HexFormat.of().formatHex(raw));
            out.put("HEX of the body", HexFormat.of().formatHex(raw).toUpperCase(Locale.ROOT));
            out.put("url-safe base64 of the body", unpadded(Base64.getUrlEncoder().encodeToString(raw)));
        }
        byte[] key = tryBase64(secret);
        if (key != null && key.length == 32) { // the master key's raw bytes
            out.put("hex of the key", HexFormat.of().formatHex(key));
            out.put("url-safe base64 of the key", unpadded(Base64.getUrlEncoder().encodeToString(key)));
        }
        return out;
    }

    private static String copyEveryTable(DatabaseConfig db) throws Exception {
        try (Database d = Database.open(db.withMaxPoolSize(2).withApplicationName("herald-dump"), "classpath:db/none");
             Connection c = d.dataSource().getConnection()) {
            List<String> tables = new ArrayList<>();
            try (var rs = c.createStatement().executeQuery(
                    "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables"
                            + " where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).anyMatch(t -> t.endsWith(".endpoints")).anyMatch(t -> t.endsWith(".data_keys"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (String t : tables) {
                out.write(("-- " + t + "\n").getBytes(StandardCharsets.UTF_8));
                copy.copyOut("copy (select * from " + t + ") to stdout", out); // a query: COPY cannot read a partitioned table itself
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static String runPgDump(Path pgDump, DatabaseConfig db) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/([^?]+)\\?.*currentSchema=([A-Za-z0-9_]+)").matcher(db.jdbcUrl());
        assertThat(m.find()).as("a schema of the real server: " + db).isTrue();
        Path out = Files.createTempFile("herald-dump", ".sql");
        try {
            ProcessBuilder pb = new ProcessBuilder(pgDump.toString(), "--host", m.group(1), "--port", m.group(2), "--username", db.user(),
                    "--no-password", "--schema", m.group(4), "--file", out.toString(), m.group(3)).redirectErrorStream(true);
            Process p = pb.start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("pg_dump: " + log).isZero();
            return Files.readString(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Debian's pg_dump of the newest installed version, else one on the PATH. */
    private static Optional<Path> pgDump() throws IOException {
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.map(v -> v.resolve("bin/pg_dump")).filter(Files::isExecutable)
                        .max(Comparator.comparingInt(SecretsAtRestTest::majorVersion));
                if (newest.isPresent()) {
                    return newest;
                }
            }
        }
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "pg_dump")).filter(Files::isExecutable).findFirst();
    }

    private static int majorVersion(Path pgDump) {
        try {
            return Integer.parseInt(pgDump.getParent().getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String whsec() {
        return "whsec_" + Base64.getEncoder().encodeToString(bytes(32));
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String unpadded(String base64) {
        return base64.replaceAll("=+$", "");
    }

    private static byte[] tryBase64(String s) {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
