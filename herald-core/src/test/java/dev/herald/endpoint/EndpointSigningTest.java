package dev.herald.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.sdk.SignatureSchemes;
import dev.herald.support.ValidationException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointSigningTest {

    @Test
    void absentSchemesAreTheDefaultClassicAndV1() {
        assertThat(EndpointSigning.parseSchemes(null)).isEqualTo(SignatureSchemes.DEFAULT);
        assertThat(EndpointSigning.parseSchemes(List.of("v1a", "rsa-sha256")).names()).containsExactly("v1a", "rsa-sha256");
    }

    @Test
    void unknownEmptyOrRepeatedSchemesAreAValidationErrorOnSignatureSchemes() {
        for (List<String> bad : List.<List<String>>of(List.of("v1", "hmac"), List.of(), List.of("v1", "v1"))) {
            assertThatThrownBy(() -> EndpointSigning.parseSchemes(bad)).isInstanceOfSatisfying(ValidationException.class,
                    e -> assertThat(e.field()).isEqualTo("signature_schemes"));
        }
        assertThatThrownBy(() -> EndpointSigning.parseSchemes(List.of("hmac"))).hasMessageContaining("unknown signature scheme 'hmac'");
    }

    @Test
    void aBadPayloadKeyIsAValidationErrorThatDoesNotEchoIt() {
        assertThatThrownBy(() -> EndpointSigning.parsePayloadKey("payload_key", "secret-but-too-short"))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.field()).isEqualTo("payload_key"))
                .message().doesNotContain("secret-but-too-short");
        assertThat(EndpointSigning.parsePayloadKey("payload_key", "0123456789abcdefghijABCDEFGHIJ!#").encoded()).hasSize(32);
    }
}
