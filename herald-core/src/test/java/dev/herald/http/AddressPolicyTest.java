package dev.herald.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressPolicyTest {

    private final AddressPolicy strict = AddressPolicy.create(false);
    private final AddressPolicy open = AddressPolicy.create(true);

    private static InetAddress literal(String host) {
        return AddressPolicy.parseIpLiteral(host).orElseThrow(() -> new AssertionError("not an IP literal: " + host));
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001",
        "017700000001", "0x7F.1", "127.0.0.1.", "[::1]", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1",
        "[::ffff:127.0.0.1]", "::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::127.0.0.1", "2002:7f00:1::"})
    void everyEncodingOfLoopbackIsBlocked(String host) {
        assertThat(strict.isBlocked(literal(host))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.0/8", "127.0.0.1/32", "127.200.0.0/16", "126.0.0.0/7", "0.0.0.0/8", "0.0.0.0/32", "::1/128", "::/128",
        "::/96", "::/16", "::ffff:7f00:1/128", "::ffff:7f00:0/104", "::ffff:0:0/96", "::7f00:1/128", "64:ff9b::7f00:1/128", "2002:7f00::/24",
        "2002::/16", "2002:7f01:203::/48", "2001::80ff:fffe/128", "2001::/32"})
    void networksHoldingThisHostInAnyFormReachIt(String network) {
        assertThat(AddressPolicy.reachesThisHost(network)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8", "126.0.0.0/8", "128.0.0.0/8", "1.0.0.0/8", "fd00::/16", "::ffff:a00:0/104", "64:ff9b::a00:1/128",
        "2002:a00::/24", "2001::7f00:1/128", "2001:db8::/32", "fe80::/16"})
    void otherNetworksDoNotReachThisHost(String network) {
        assertThat(AddressPolicy.reachesThisHost(network)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "017700000001"})
    void legacyIpv4FormsDecodeToTheSameAddress(String host) throws Exception {
        assertThat(literal(host)).isEqualTo(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "fe80::1", "fe80::1%eth0", "fd00::1", "fd00:ec2::254", "ff02::1", "100.64.0.1", "0.0.0.0", "::",
        "224.0.0.1", "255.255.255.255", "240.0.0.1", "192.0.2.10", "198.18.0.1", "203.0.113.7", "fec0::1",
        "100::1", "2001:db8::1", "::ffff:10.0.0.1", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:80ff:fffe"})
    void privateLinkLocalMetadataAndReservedAddressesAreBlocked(String host) {
        assertThat(strict.isBlocked(literal(host))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "93.184.216.34", "172.32.0.1",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"})
    void publicAddressesAreAllowed(String host) {
        assertThat(strict.isBlocked(literal(host))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "fd00::1"})
    void allowPrivateOpensEveryRange(String host) {
        assertThat(open.isBlocked(literal(host))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "localhost", "hooks.example.com.", "1.2.3.4.5", "256.0.0.1",
        "0x100.0.0.1", "08.0.0.1", "1..2", "12:34:56", "::1::2", "", "٣.1.1.1"})
    void dnsNamesAndMalformedLiteralsAreNotIpLiterals(String host) {
        assertThat(AddressPolicy.parseIpLiteral(host)).isEmpty();
    }

    @Test
    void ipv6LiteralIsParsedFromBytesIncludingCompressionAndZone() throws Exception {
        assertThat(literal("[2001:db8::8:800:200c:417a]"))
                .isEqualTo(InetAddress.getByAddress(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0,
                    0, 8, 8, 0, 0x20, 0x0c, 0x41, 0x7a}));
        assertThat(literal("fe80::1%25en0").getAddress()[0]).isEqualTo((byte) 0xfe);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/hook", "/relative/hook", "example.com/hook",
        "https://user:secret@example.com/hook", "http:///nohost", "mailto:ops@example.com", "http://host_x/"})
    void rejectsUnusableUrls(String url) {
        assertThat(strict.rejectUrl(URI.create(url), false)).isPresent();
        assertThat(strict.check(URI.create(url), false)).get()
                .extracting(AddressPolicy.Rejection::kind).isEqualTo(ErrorClass.INVALID_URL);
    }

    @Test
    void rejectsPlainHttpWhenHttpsIsRequired() {
        assertThat(strict.rejectUrl(URI.create("http://example.com/hook"), true)).isPresent();
        assertThat(strict.rejectUrl(URI.create("https://example.com/hook"), true)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1/", "http://0x7f000001/", "http://2130706433:8080/",
        "http://0177.0.0.1/", "http://[::1]:9000/", "http://[::ffff:127.0.0.1]/", "https://169.254.169.254/latest"})
    void rejectsUrlsWhoseHostIsABlockedLiteral(String url) {
        assertThat(strict.check(URI.create(url), false)).get()
                .extracting(AddressPolicy.Rejection::kind).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
        assertThat(open.rejectUrl(URI.create(url), false)).isEmpty();
    }

    @Test
    void judgesLiteralsThatJavaUriCannotParseByTheirAuthority() {
        URI shortForm = URI.create("http://127.1:8080/hook"); // java.net.URI reports no host for this

        assertThat(strict.check(shortForm, false)).get()
                .extracting(AddressPolicy.Rejection::kind).isEqualTo(ErrorClass.BLOCKED_ADDRESS);
        assertThat(open.check(shortForm, false)).get()
                .extracting(AddressPolicy.Rejection::kind).isEqualTo(ErrorClass.INVALID_URL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://example.com/hook", "http://hooks.example.com:8443/a?b=c", "https://8.8.8.8/",
        "HTTPS://Example.COM/x", "http://localhost/"})
    void acceptsPublicLiteralsAndDnsNames(String url) {
        assertThat(strict.rejectUrl(URI.create(url), false)).isEmpty();
    }

    private static AddressPolicy withNetworks(String... networks) {
        return AddressPolicy.create(false, true, OutboundProfile.defaults().withPrivateNetworks(java.util.List.of(networks)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.1.2.3", "::ffff:10.1.2.3", "64:ff9b::a01:203", "fd00:1::9", "127.0.0.1", "8.8.8.8"})
    void aProfilesNetworksOpenTheirAddresses(String host) {
        assertThat(withNetworks("10.0.0.0/8", "fd00:1::/48", "127.0.0.0/8").isBlocked(literal(host))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.1.2.3", "192.168.1.1", "fd00:2::1", "::1", "169.254.1.1"})
    void addressesOutsideAProfilesNetworksStayBlocked(String host) {
        assertThat(withNetworks("172.16.0.0/12", "fd00:1::/48").isBlocked(literal(host))).isTrue();
        assertThat(AddressPolicy.create(false, false, null).isBlocked(literal(host))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.9.9.9", "0.0.0.0", "::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe"})
    void thisHostStaysBlockedInsideListedNetworksUnlessTheNodeAllowsIt(String host) {
        OutboundProfile wide = OutboundProfile.defaults().withPrivateNetworks(java.util.List.of("127.0.0.0/8", "0.0.0.0/8", "64:ff9b::/96",
                "2002::/16", "2001::/32", "::ffff:0:0/96", "::/96"));
        assertThat(AddressPolicy.create(false, false, wide).isBlocked(literal(host))).as("a network stored before the rule").isTrue();
        assertThat(AddressPolicy.create(false, true, wide).isBlocked(literal(host))).as("--allow-loopback-networks").isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "::ffff:169.254.169.254", "::169.254.169.254", "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:5601:5601", "fd00:ec2::254", "fd00:ec2::1"})
    void metadataAddressesStayBlockedInsideListedNetworks(String host) {
        assertThat(withNetworks("169.254.0.0/16", "fd00::/16", "2002::/16", "64:ff9b::/96", "2001::/32", "::ffff:0:0/96")
                .isBlocked(literal(host))).isTrue();
    }

    @Test
    void theUrlCheckFollowsTheProfile() {
        URI url = URI.create("http://127.0.0.1:8080/hook");
        assertThat(strict.rejectUrl(url, false)).isPresent();
        assertThat(withNetworks("127.0.0.0/8").rejectUrl(url, false)).isEmpty();
        assertThat(withNetworks("169.254.0.0/16").rejectUrl(URI.create("http://169.254.169.254/latest"), false)).isPresent();
    }
}
