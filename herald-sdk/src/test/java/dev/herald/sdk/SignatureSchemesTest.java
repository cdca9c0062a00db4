package dev.herald.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignatureSchemesTest {

    @Test
    void defaultIsClassicAndStandardHmacExactly() {
        assertThat(SignatureSchemes.DEFAULT.names()).containsExactly("sha256", "v1");
        assertThat(SignatureSchemes.DEFAULT.keyAlgorithms()).isEmpty();
        assertThat(SignatureSchemes.DEFAULT.needsSecret()).isTrue();
    }

    @Test
    void parsesEveryKnownSchemeKeepingTheConfiguredOrder() {
        SignatureSchemes s = SignatureSchemes.parse(List.of("rsa-sha256", "v1a", "v1", "sha256"));
        assertThat(s.names()).containsExactly("rsa-sha256", "v1a", "v1", "sha256");
        assertThat(s.keyAlgorithms()).containsExactlyInAnyOrder(KeyAlgorithm.ED25519, KeyAlgorithm.RSA);
        assertThat(SignatureSchemes.parse(List.of("v1a")).needsSecret()).isFalse();
        assertThat(SignatureSchemes.parse(List.of("sha256")).sendsStandardHeaders()).isFalse();
        assertThat(SignatureSchemes.parse(List.of("rsa-sha256")).sendsStandardHeaders()).isTrue();
    }

    @Test
    void rejectsUnknownNamesNamingTheKnownOnes() {
        for (String bad : List.of("SHA256", "v2", "", " v1", "ed25519", "hmac-sha256")) {
            assertThatThrownBy(() -> SignatureSchemes.parse(List.of("v1", bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown signature scheme")
                    .hasMessageContaining("sha256, v1, v1a, rsa-sha256");
        }
    }

    @Test
    void rejectsEmptyNullAndRepeatedLists() {
        assertThatThrownBy(() -> SignatureSchemes.parse(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignatureSchemes.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignatureSchemes.parse(Arrays.asList("v1", null))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignatureSchemes.parse(List.of("v1", "v1"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
    }
}
