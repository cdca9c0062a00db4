package dev.herald.server.console;

import dev.herald.web.Problem;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The console at {@code /console}: a static page (HTML shell, hand-written ES modules and CSS from the classpath's
 * {@code console/}) that is a client of {@code /v1} and nothing more; its session is {@link ConsoleSessionRoutes}. Every
 * answer carries a strict Content-Security-Policy and may not be framed.
 */
public final class ConsoleRoutes implements HttpService {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
            + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final Pattern ASSET = Pattern.compile("[a-z][a-z0-9-]{0,40}\\.(js|css|svg)");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml", "html", "text/html; charset=utf-8");

    @Override
    public void routing(HttpRules r) {
        r.get("/console", (req, res) -> asset(res, "index.html"));
        r.get("/console/", (req, res) -> asset(res, "index.html"));
        r.get("/console/{file}", (req, res) -> {
            String file = req.path().pathParameters().get("file");
            if (!ASSET.matcher(file).matches()) {
                throw Problem.notFound("no console file " + file, null);
            }
            asset(res, file);
        });
    }

    /** The headers of every console answer: a strict policy, no framing, no sniffing, no referrer, no caching. */
    static void guard(ServerResponse res) {
        res.header(HeaderNames.create("Content-Security-Policy"), CSP);
        res.header(HeaderNames.create("X-Frame-Options"), "DENY");
        res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
        res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
    }

    private static void asset(ServerResponse res, String file) {
        byte[] bytes;
        try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + file)) {
            if (in == null) {
                throw Problem.notFound("no console file " + file, null);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        guard(res);
        res.header(HeaderNames.CONTENT_TYPE, TYPES.get(file.substring(file.lastIndexOf('.') + 1)));
        res.send(bytes);
    }
}
