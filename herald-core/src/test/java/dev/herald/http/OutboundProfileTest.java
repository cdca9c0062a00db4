package dev.herald.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.herald.support.ValidationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OutboundProfileTest {

    private static ValidationException invalidNetworks(String... networks) {
        return catchThrowableOfType(ValidationException.class,
                () -> OutboundProfile.defaults().withPrivateNetworks(Arrays.asList(networks)));
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0/8",
        "10.1.2.3/8, 10.0.0.0/8",
        "192.168.7.9, 192.168.7.9/32",
        "' 172.16.0.0/12 ', 172.16.0.0/12",
        "fd00:0:0:0:0:0:0:0/16, fd00::/16",
        "FD00:1::1/48, fd00:1::/48",
        "fd00::1, fd00::1/128",
        "2001:db8:0:0:1:0:0:1/128, 2001:db8::1:0:0:1/128",
        "::ffff:10.0.0.0/104, ::ffff:a00:0/104"})
    void networksAreStoredCanonically(String given, String stored) {
        assertThat(OutboundProfile.defaults().withPrivateNetworks(List.of(given)).privateNetworks()).containsExactly(stored);
    }

    @Test
    void duplicateNetworksCollapseKeepingOrder() {
        OutboundProfile p = OutboundProfile.defaults().withPrivateNetworks(List.of("10.9.0.0/16", "127.0.0.0/8", "10.9.1.0/16"));
        assertThat(p.privateNetworks()).containsExactly("10.9.0.0/16", "127.0.0.0/8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/7", "0.0.0.0/0", "fd00::/15", "::/0"})
    void networksWiderThanSlash8OrSlash16AreRefused(String network) {
        ValidationException e = invalidNetworks("10.0.0.0/8", network);
        assertThat(e.field()).isEqualTo("private_networks[1]");
        assertThat(e.getMessage()).contains("/8").contains("/16");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "10.0.0.0/33", "10.0.0/8", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.256/32", "0x0a.0.0.0/8",
        "fd00::/129", "fe80::1%eth0/64", "example.com/24", "10.0.0.0/-8", "10.0.0.0/ 8", "fd00:::/16"})
    void malformedNetworksNameTheirIndex(String network) {
        assertThat(invalidNetworks("127.0.0.0/8", network).field()).isEqualTo("private_networks[1]");
    }

    @Test
    void aMissingNetworkEntryNamesItsIndex() {
        assertThat(invalidNetworks((String) null).field()).isEqualTo("private_networks[0]");
    }

    @Test
    void atMost32NetworksAreAccepted() {
        List<String> networks = new ArrayList<>();
        for (int i = 0; i < 33; i++) {
            networks.add("10." + i + ".0.0/16");
        }
        assertThat(invalidNetworks(networks.toArray(String[]::new)).field()).isEqualTo("private_networks");
        assertThat(OutboundProfile.defaults().withPrivateNetworks(networks.subList(0, 32)).privateNetworks()).hasSize(32);
    }

    @Test
    void defaultsHaveNoNetworksDefaultTlsAndNoProxy() {
        OutboundProfile p = OutboundProfile.defaults();
        assertThat(p.privateNetworks()).isEmpty();
        assertThat(p.httpsOnly()).isFalse();
        assertThat(p.tls()).isEqualTo(TlsSettings.defaults());
        assertThat(p.proxy()).isNull();
        assertThat(new OutboundProfile(null, false, null, null)).isEqualTo(p);
    }

    @Test
    void withersChangeOnlyTheirComponent() {
        ProxySettings proxy = new ProxySettings("http://proxy.internal:3128");
        OutboundProfile p = OutboundProfile.defaults().withHttpsOnly(true).withProxy(proxy)
                .withTls(TlsSettings.defaults().withMinVersion("TLSv1.3")).withPrivateNetworks(List.of("10.0.0.0/8"));
        assertThat(p).isEqualTo(new OutboundProfile(List.of("10.0.0.0/8"), true, TlsSettings.defaults().withMinVersion("TLSv1.3"), proxy));
    }
}
