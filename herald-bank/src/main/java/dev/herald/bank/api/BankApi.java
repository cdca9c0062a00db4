package dev.herald.bank.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.BankServices;
import dev.herald.bank.account.Account;
import dev.herald.bank.audit.AuditLog;
import dev.herald.bank.audit.AuditRecord;
import dev.herald.bank.ledger.Ledger;
import dev.herald.bank.ledger.Transaction;
import dev.herald.bank.reconcile.Reconciliation;
import dev.herald.bank.support.BankException;
import dev.herald.bank.support.Json;
import dev.herald.bank.transfer.Transfer;
import dev.herald.bank.transfer.TransferService;
import dev.herald.store.StoreException;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bank's JSON API under {@code /bank/v1}: bearer API keys, strict JSON input, RFC 9457 problem+json for every
 * error with the field at fault. Every request gets a trace id (from {@code traceparent}, else generated; echoed as
 * {@code X-Trace-Id}) that its events carry; every state-changing request is written to the audit log with its
 * bodies and status before the answer is sent.
 */
public final class BankApi {
    private static final Logger log = LoggerFactory.getLogger(BankApi.class);
    private static final Pattern TRACEPARENT = Pattern.compile("00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");
    private static final String PREFIX = "/bank/v1";
    private static final int MAX_PAGE = 500;

    private final BankServices bank;
    private final ApiKeys keys;
    private final Clock clock;
    private final long maxBodyBytes;

    /** What a route answers, and what its audit entry records about money. */
    private record Answer(int status, JsonNode body, UUID account, Long amount, Long balanceBefore, Long balanceAfter) {
        static Answer of(int status, JsonNode body) {
            return new Answer(status, body, null, null, null, null);
        }

        static Answer of(int status, Account a) {
            return new Answer(status, a.view(), a.uuid(), null, a.balance(), a.balance());
        }

        static Answer of(int status, Transaction t) {
            return new Answer(status, t.view(), t.accountUuid(), t.amount(), t.balanceBefore(), t.balanceAfter());
        }
    }

    /** One request: its trace id and raw body. */
    private record Call(ServerRequest req, String traceId, byte[] body) {
        Input json(Set<String> allowed) {
            return Input.object(body, allowed, false);
        }

        Input optionalJson(Set<String> allowed) {
            return Input.object(body, allowed, true);
        }

        UUID id(String field) {
            return Input.uuid(req.path().pathParameters().get("id"), field, 400);
        }

        String query(String name) {
            String v = req.query().first(name).orElse(null);
            return v == null ? null : Input.storable(v, name, name);
        }

        int limit() {
            String s = query("limit");
            if (s == null) {
                return 100;
            }
            try {
                int n = Integer.parseInt(s);
                if (n >= 1 && n <= MAX_PAGE) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // answered below
            }
            throw BankException.invalid("limit must be an integer from 1 to " + MAX_PAGE, "limit");
        }
    }

    @FunctionalInterface
    private interface Route {
        Answer handle(Call call);
    }

    public BankApi(BankServices bank, ApiKeys keys, Clock clock, long maxBodyBytes) {
        this.bank = bank;
        this.keys = keys;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Registers the auth filter and every route. */
    public void routing(HttpRouting.Builder r) {
        r.addFilter((chain, req, res) -> {
            String path = req.path().path();
            if (path.equals(PREFIX) || path.startsWith(PREFIX + "/")) {
                String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
                String key = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
                if (!keys.verify(key)) {
                    res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                    problem(res, new BankException(401, "Unauthorized", "a valid API key is required: Authorization: Bearer <key>", null));
                    return;
                }
            }
            chain.proceed();
        });
        r.get("/bank/health", (req, res) -> send(res, 200, Json.obj().put("status", "up"), "application/json"));

        Set<String> accountFields = Set.of("name", "user_uuid", "currency");
        route(r, Method.POST, "/accounts", "account.open", c -> {
            Input in = c.json(accountFields);
            return Answer.of(201, bank.accounts().open(c.traceId(), in.requiredString("name"), in.uuid("user_uuid"), in.requiredString("currency")));
        });
        route(r, Method.GET, "/accounts/{id}", null, c -> Answer.of(200, bank.accounts().get(c.id("account_uuid"))));
        route(r, Method.PATCH, "/accounts/{id}", "account.update", c -> {
            UUID id = c.id("account_uuid");
            return Answer.of(200, bank.accounts().rename(c.traceId(), id, c.json(Set.of("name")).requiredString("name")));
        });
        route(r, Method.POST, "/accounts/{id}/freeze", "account.freeze", c -> {
            UUID id = c.id("account_uuid");
            return Answer.of(200, bank.accounts().freeze(c.traceId(), id, c.optionalJson(Set.of("reason")).string("reason")));
        });
        route(r, Method.POST, "/accounts/{id}/unfreeze", "account.unfreeze", c -> {
            UUID id = c.id("account_uuid");
            return Answer.of(200, bank.accounts().unfreeze(c.traceId(), id, c.optionalJson(Set.of("reason")).string("reason")));
        });
        route(r, Method.POST, "/accounts/{id}/close", "account.close", c -> {
            UUID id = c.id("account_uuid");
            c.optionalJson(Set.of());
            return Answer.of(200, bank.accounts().close(c.traceId(), id));
        });
        Set<String> postingFields = Set.of("amount", "currency", "reference");
        route(r, Method.POST, "/accounts/{id}/deposits", "deposit", c -> {
            UUID id = c.id("account_uuid");
            Input in = c.json(postingFields);
            Ledger.Posted p = bank.ledger().deposit(c.traceId(), id, in.amount("amount"), in.string("currency"), in.string("reference"));
            return Answer.of(201, p.transaction());
        });
        route(r, Method.POST, "/accounts/{id}/withdrawals", "withdrawal", c -> {
            UUID id = c.id("account_uuid");
            Input in = c.json(postingFields);
            Ledger.Posted p = bank.ledger().withdraw(c.traceId(), id, in.amount("amount"), in.string("currency"), in.string("reference"));
            return Answer.of(201, p.transaction());
        });
        route(r, Method.GET, "/accounts/{id}/transactions", null, c -> {
            UUID id = c.id("account_uuid");
            int limit = c.limit();
            String before = c.query("before");
            Long beforeId = null;
            if (before != null) {
                try {
                    beforeId = Long.parseLong(before);
                } catch (NumberFormatException e) {
                    throw BankException.invalid("before must be a next_cursor value from a previous page", "before");
                }
            }
            List<Transaction> page = bank.ledger().transactions(id, beforeId, limit + 1);
            ArrayNode data = Json.arr();
            page.stream().limit(limit).forEach(t -> data.add(t.view()));
            String next = page.size() > limit ? Long.toString(page.get(limit - 1).id()) : null;
            return Answer.of(200, Json.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        route(r, Method.GET, "/accounts/{id}/verify", null, c -> Answer.of(200, bank.ledger().verify(c.id("account_uuid")).view()));
        route(r, Method.GET, "/transactions/{id}", null, c -> Answer.of(200, bank.ledger().transaction(c.id("transaction_uuid"))));
        route(r, Method.POST, "/transactions/{id}/reversals", "reversal", c -> {
            UUID id = c.id("transaction_uuid");
            Ledger.Posted p = bank.ledger().reverse(c.traceId(), id, c.optionalJson(Set.of("reason")).string("reason"));
            return Answer.of(201, p.transaction());
        });
        Set<String> transferFields = Set.of("client_transfer_id", "from_account_uuid", "to_account_uuid", "amount", "currency", "description");
        route(r, Method.POST, "/transfers", "transfer.create", c -> {
            Input in = c.json(transferFields);
            TransferService.Request req = new TransferService.Request(in.requiredString("client_transfer_id"), in.uuid("from_account_uuid"),
                    in.uuid("to_account_uuid"), in.amount("amount"), in.requiredString("currency"), in.string("description"));
            TransferService.Created created = bank.transfers().create(c.traceId(), req);
            Transfer t = created.transfer();
            return new Answer(created.created() ? 201 : 200, t.view(), t.fromAccountUuid(), t.amount(), null, null);
        });
        route(r, Method.GET, "/transfers/{id}", null, c -> Answer.of(200, bank.transfers().get(c.id("transfer_uuid")).view()));
        route(r, Method.GET, "/audit", null, c -> {
            String trace = c.query("trace_id");
            int limit = c.limit();
            ArrayNode data = Json.arr();
            bank.jdbc().read(conn -> AuditLog.byTrace(conn, trace, limit)).forEach(s -> data.add(s.view()));
            return Answer.of(200, Json.obj().set("data", data));
        });
        route(r, Method.GET, "/audit/verify", null, c -> Answer.of(200, bank.jdbc().read(AuditLog::verify).view()));
        route(r, Method.GET, "/reconciliation", null, c -> {
            Reconciliation rec = bank.reconciler().run();
            return Answer.of(200, rec.view());
        });
        r.any((req, res) -> problem(res, BankException.notFound("no route " + req.prologue().method().text() + " " + req.path().path(), null)));
    }

    /**
     * Problem+json for what the web server answers itself before routing (a malformed request, a body beyond the
     * transport limit); fixed text, so nothing about the failure leaks.
     */
    public DirectHandler directHandler() {
        return (req, type, status, headers, message) -> DirectHandler.TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, "application/problem+json")
                .entity(Json.write(problemBody(new BankException(status.code(), status.reasonPhrase(),
                        status.code() == 413 ? "request body too large" : "the HTTP request could not be handled", null)))
                        .getBytes(StandardCharsets.UTF_8))
                .keepAlive(type.keepAlive())
                .build();
    }

    /**
     * Registers {@code route}; {@code operation} non-null marks it state-changing: its request and answer are audited.
     */
    private void route(HttpRouting.Builder r, Method method, String path, String operation, Route route) {
        r.route(method, PREFIX + path, (req, res) -> handle(req, res, operation, route));
    }

    private void handle(ServerRequest req, ServerResponse res, String operation, Route route) {
        String trace = traceId(req);
        res.header(HeaderNames.create("X-Trace-Id"), trace);
        byte[] body = new byte[0];
        Answer answer;
        try {
            body = readBody(req);
            answer = route.handle(new Call(req, trace, body));
        } catch (BankException e) {
            answer = Answer.of(e.status(), problemBody(e));
        } catch (StoreException e) {
            if (e.sqlState() != null && e.sqlState().startsWith("22")) {
                log.warn("database refused a value on {} {}: {}", req.prologue().method().text(), req.path().path(), e.getMessage());
                answer = Answer.of(422, problemBody(BankException.invalid("a value in the request cannot be stored", null)));
            } else {
                log.warn("database error on {} {}: {}", req.prologue().method().text(), req.path().path(), e.getMessage());
                res.header(HeaderNames.RETRY_AFTER, "1");
                answer = Answer.of(503, problemBody(new BankException(503, "Service unavailable", "the database is not answering; retry", null)));
            }
        } catch (RuntimeException e) {
            log.error("unexpected error on {} {}", req.prologue().method().text(), req.path().path(), e);
            answer = Answer.of(500, problemBody(new BankException(500, "Internal error", "an unexpected error occurred; it was logged", null)));
        }
        String text = Json.write(answer.body());
        if (operation != null) {
            audit(req, operation, trace, body, answer, text);
        }
        send(res, answer.status(), answer.body(), answer.status() >= 400 ? "application/problem+json" : "application/json");
    }

    private void audit(ServerRequest req, String operation, String trace, byte[] body, Answer a, String responseText) {
        try {
            AuditRecord rec = new AuditRecord(trace, req.headers().first(HeaderNames.create("X-Request-Id")).orElse(null), "api", operation,
                    a.account(), a.amount(), a.balanceBefore(), a.balanceAfter(), req.remotePeer().host(),
                    req.headers().first(HeaderNames.USER_AGENT).orElse(null), new String(body, StandardCharsets.UTF_8), responseText,
                    Integer.toString(a.status()));
            bank.jdbc().inTransaction(c -> {
                AuditLog.append(c, rec, clock.instant());
                return null;
            });
        } catch (RuntimeException e) {
            log.error("could not write the audit entry of {} (trace {})", operation, trace, e);
        }
    }

    private byte[] readBody(ServerRequest req) {
        if (req.headers().contentLength().orElse(-1) > maxBodyBytes) {
            throw new BankException(413, "Content too large", "request body exceeds " + maxBodyBytes + " bytes", null);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (bytes.length > maxBodyBytes) {
                throw new BankException(413, "Content too large", "request body exceeds " + maxBodyBytes + " bytes", null);
            }
            return bytes;
        } catch (IOException e) {
            throw BankException.badRequest("could not read the request body", null);
        }
    }

    private static String traceId(ServerRequest req) {
        return req.headers().first(HeaderNames.create("traceparent")).map(TRACEPARENT::matcher).filter(Matcher::matches)
                .map(m -> m.group(1))
                .orElseGet(() -> {
                    byte[] b = new byte[16];
                    ThreadLocalRandom.current().nextBytes(b);
                    return HexFormat.of().formatHex(b);
                });
    }

    private static ObjectNode problemBody(BankException p) {
        ObjectNode n = Json.obj().put("type", "about:blank").put("title", p.title()).put("status", p.status()).put("detail", p.getMessage());
        if (p.field() != null) {
            n.put("field", p.field());
        }
        return n;
    }

    private static void problem(ServerResponse res, BankException p) {
        send(res, p.status(), problemBody(p), "application/problem+json");
    }

    private static void send(ServerResponse res, int status, JsonNode body, String contentType) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, contentType);
        res.send(Json.write(body).getBytes(StandardCharsets.UTF_8));
    }
}
