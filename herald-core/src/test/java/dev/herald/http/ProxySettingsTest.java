package dev.herald.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.herald.support.ValidationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxySettingsTest {

    @Test
    void credentialsAreHiddenFromToStringAndRedactedUrl() {
        ProxySettings p = new ProxySettings("http://egress:s3cr%40t@proxy.internal:3128");
        assertThat(p.hasCredentials()).isTrue();
        assertThat(p.redactedUrl()).isEqualTo("http://egress:***@proxy.internal:3128");
        assertThat(p.toString()).doesNotContain("s3cr").contains("***");
        assertThat(p.authorization()).isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("egress:s3cr@t".getBytes()));
    }

    @Test
    void aPasswordGivenApartIsEncodedIntoTheUrlAndNeverEchoed() {
        ProxySettings p = ProxySettings.withPassword("http://egress@proxy.internal:3128", "p@ss:w/rd é");
        assertThat(p.authorization()).isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString(
                "egress:p@ss:w/rd é".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(p.redactedUrl()).isEqualTo("http://egress:***@proxy.internal:3128");
        for (String url : java.util.List.of("http://proxy.internal:3128", "http://egress:other@proxy.internal:3128")) {
            ValidationException e = catchThrowableOfType(ValidationException.class, () -> ProxySettings.withPassword(url, "p@ss"));
            assertThat(e.field()).isEqualTo("proxy.password");
            assertThat(e.getMessage()).doesNotContain("p@ss").doesNotContain("other");
        }
    }

    @Test
    void aUserWithoutAPasswordKeepsTheStoredPasswordOnlyForTheSameUserHostAndPort() {
        ProxySettings stored = new ProxySettings("http://egress:s3cret@proxy.internal:3128");
        assertThat(new ProxySettings("http://egress@proxy.internal:3128").keepingPasswordOf(stored)).isSameAs(stored);
        assertThat(new ProxySettings("http://egress@PROXY.internal:3128").keepingPasswordOf(stored)).isSameAs(stored);
        for (String other : java.util.List.of("http://egress@proxy-b.internal:3128", "http://egress@proxy.internal:8080",
                "http://someone@proxy.internal:3128", "http://proxy.internal:3128", "http://egress:new@proxy.internal:3128")) {
            ProxySettings p = new ProxySettings(other);
            assertThat(p.keepingPasswordOf(stored)).as(other).isSameAs(p);
        }
        ProxySettings p = new ProxySettings("http://egress@proxy.internal:3128");
        assertThat(p.keepingPasswordOf(null)).isSameAs(p);
        assertThat(p.keepingPasswordOf(new ProxySettings("http://egress@proxy.internal:3128"))).as("nothing stored to keep").isSameAs(p);
    }

    @Test
    void portDefaultsTo80AndHostIsKept() {
        ProxySettings p = new ProxySettings("http://proxy.internal");
        assertThat(p.port()).isEqualTo(80);
        assertThat(p.host()).isEqualTo("proxy.internal");
        assertThat(p.hasCredentials()).isFalse();
        assertThat(p.authorization()).isNull();
        assertThat(p.redactedUrl()).isEqualTo("http://proxy.internal:80");
        assertThat(new ProxySettings("http://[fd00::5]:8080/").host()).isEqualTo("fd00::5");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://user:hunter2@proxy.internal:3128", "socks5://user:hunter2@proxy.internal:1080",
        "user:hunter2@proxy.internal:3128", "http://user:hunter2@:3128", "http://user:hunter2@proxy.internal:3128/path",
        "http://user:hunter2@proxy.internal:3128?q=1", "http://user:hunter2@proxy internal:3128", "http://user:hunter2@proxy.internal:0",
        "http://user:hunter2@proxy.internal:99999", "", "   "})
    void badUrlsNameProxyUrlWithoutEchoingIt(String url) {
        ValidationException e = catchThrowableOfType(ValidationException.class, () -> new ProxySettings(url));
        assertThat(e.field()).isEqualTo("proxy.url");
        assertThat(e.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void missingUrlNamesProxyUrl() {
        assertThat(catchThrowableOfType(ValidationException.class, () -> new ProxySettings(null)).field()).isEqualTo("proxy.url");
    }
}
