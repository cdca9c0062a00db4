package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatabaseConfigTest {

    @Test
    void parsesPostgresqlUrlWithCredentialsInTheAuthority() {
        DatabaseConfig cfg = DatabaseConfig.fromUrl("postgresql://herald:s3cret@db.internal:6543/herald?sslmode=require");
        assertThat(cfg.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/herald?sslmode=require");
        assertThat(cfg.user()).isEqualTo("herald");
        assertThat(cfg.password()).isEqualTo("s3cret");
        assertThat(cfg.maxPoolSize()).isEqualTo(DatabaseConfig.DEFAULT_POOL_SIZE);
    }

    @Test
    void acceptsPostgresSchemeAndDefaultsThePort() {
        DatabaseConfig cfg = DatabaseConfig.fromUrl("postgres://app@localhost/payments");
        assertThat(cfg.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/payments");
        assertThat(cfg.user()).isEqualTo("app");
        assertThat(cfg.password()).isNull();
    }

    @Test
    void takesCredentialsFromJdbcQueryParametersAndKeepsTheOtherParameters() {
        DatabaseConfig cfg = DatabaseConfig.fromUrl(
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=p%40ss&ApplicationName=x");
        assertThat(cfg.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test?ApplicationName=x");
        assertThat(cfg.user()).isEqualTo("postgres");
        assertThat(cfg.password()).isEqualTo("p@ss");
    }

    @Test
    void decodesPercentEscapesInUserInfoButKeepsPlusLiteral() {
        DatabaseConfig cfg = DatabaseConfig.fromUrl("postgresql://me%40corp:a+b%2Fc@host_1:5432/db");
        assertThat(cfg.user()).isEqualTo("me@corp");
        assertThat(cfg.password()).isEqualTo("a+b/c");
        assertThat(cfg.jdbcUrl()).isEqualTo("jdbc:postgresql://host_1:5432/db");
    }

    @Test
    void acceptsBracketedIpv6Hosts() {
        assertThat(DatabaseConfig.fromUrl("postgresql://u@[::1]:5433/db").jdbcUrl())
                .isEqualTo("jdbc:postgresql://[::1]:5433/db");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ''                                        | it is empty
            mysql://u@h:3306/db                       | the scheme must be postgresql or postgres, not mysql
            h:5432/db                                 | the scheme must be postgresql or postgres, not h
            postgresql:db                             | the host is missing
            postgresql://u@:5432/db                   | the host is missing
            postgresql://u@h:5432                     | the path must be a single database name, like /herald
            postgresql://u@h:5432/a/b                 | the path must be a single database name, like /herald
            postgresql://u@h:port/db                  | the port must be a number from 1 to 65535, not port
            postgresql://u@h:70000/db                 | the port must be a number from 1 to 65535, not 70000
            postgresql://h:5432/db                    | the user is missing
            postgresql://u@h1:5432,h2:5432/db         | only a single host is supported
            postgresql://u:100%@h/db                  | it is not a valid URL (Malformed escape pair)
            """)
    void rejectsMalformedUrlsWithAnExactMessage(String url, String reason) {
        assertThatThrownBy(() -> DatabaseConfig.fromUrl(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("database URL must look like postgresql://user@host:5432/db: " + reason);
    }

    @Test
    void neverShowsThePasswordInToString() {
        DatabaseConfig cfg = DatabaseConfig.fromUrl("postgresql://herald:hunter2@db:5432/herald");
        assertThat(cfg.toString()).doesNotContain("hunter2").contains("password=****").contains("user=herald");
        DatabaseConfig handMade = new DatabaseConfig("jdbc:postgresql://db/h?password=hunter2&ssl=true", "u", "hunter2", 5, "herald");
        assertThat(handMade.toString()).doesNotContain("hunter2").contains("ssl=true");
    }

    @Test
    void rejectsNonPostgresJdbcUrlsAndEmptyPools() {
        assertThatThrownBy(() -> new DatabaseConfig("jdbc:mysql://h/db", "u", null, 5, "herald"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DatabaseConfig.fromUrl("postgres://u@h/db").withMaxPoolSize(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DatabaseConfig.fromUrl("postgres://u@h/db").withApplicationName("a b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("applicationName");
    }
}
