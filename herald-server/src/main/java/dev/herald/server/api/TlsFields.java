package dev.herald.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.endpoint.TlsDraft;
import dev.herald.http.ProxySettings;
import dev.herald.http.TlsSettings;
import dev.herald.web.JsonInput;
import dev.herald.web.Problem;
import java.util.Set;

/**
 * The {@code tls} and {@code proxy} objects of merchants and endpoints, as read from a request and as shown: the client
 * key is write-only ({@code has_client_key}), a proxy URL is shown without its password.
 */
final class TlsFields {
    private static final Set<String> TLS = Set.of("client_certificate", "client_key", "ca_certificates", "pinned_spki_sha256", "min_version");
    private static final int MAX_PEM = 256 * 1024;

    private TlsFields() {}

    /** The {@code tls} object of {@code o}, or null when absent; {@code {}} removes the settings. */
    static TlsDraft tls(JsonInput.Obj o) {
        if (o.object("tls") == null) {
            return null;
        }
        JsonInput.Obj t = JsonInput.object(o.object("tls"), o.path() + "tls.", TLS);
        return new TlsDraft(t.string("client_certificate", MAX_PEM), t.string("client_key", MAX_PEM), t.string("ca_certificates", MAX_PEM),
                t.strings("pinned_spki_sha256"), t.string("min_version", 20));
    }

    /**
     * The proxy URL of {@code o}'s {@code proxy} object: null when absent (unchanged), empty when {@code {}} or
     * {@code {"url": null}} (removed). A {@code password} given apart (write-only) goes into the URL, whose user it is for.
     */
    static String proxyUrl(JsonInput.Obj o) {
        if (o.object("proxy") == null) {
            return null;
        }
        JsonInput.Obj p = JsonInput.object(o.object("proxy"), o.path() + "proxy.", Set.of("url", "password"));
        String url = p.string("url", 2048);
        String password = p.string("password", 1024);
        if (url == null) {
            if (password != null) {
                throw Problem.invalid("a proxy password needs proxy.url", "proxy.password");
            }
            return "";
        }
        return password == null ? url : ProxySettings.withPassword(url, password).url();
    }

    static void put(ObjectNode n, TlsSettings t) {
        if (t == null) {
            n.putNull("tls");
            return;
        }
        ObjectNode v = n.putObject("tls").put("client_certificate", t.clientCertificate()).put("has_client_key", t.hasClientKey())
                .put("ca_certificates", t.caCertificates()).put("min_version", t.minVersion());
        t.pinnedSpkiSha256().forEach(v.putArray("pinned_spki_sha256")::add);
    }

    static void put(ObjectNode n, ProxySettings p) {
        if (p == null) {
            n.putNull("proxy");
        } else {
            n.putObject("proxy").put("url", p.redactedUrl());
        }
    }
}
