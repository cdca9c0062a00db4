package dev.herald.bank.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.bank.account.Account;
import dev.herald.bank.audit.AuditLog;
import dev.herald.bank.audit.AuditRecord;
import dev.herald.store.chain.HashChain;
import dev.herald.bank.ledger.Ledger;
import dev.herald.bank.ledger.Transaction;
import dev.herald.bank.reconcile.Reconciliation;
import dev.herald.web.Problem;
import dev.herald.bank.support.Json;
import dev.herald.bank.support.Op;
import dev.herald.bank.transfer.Transfer;
import dev.herald.bank.transfer.TransferService;
import dev.herald.web.ApiKeyStore;
import dev.herald.web.BearerAuth;
import dev.herald.web.BodyReader;
import dev.herald.web.JsonInput;
import dev.herald.web.Problems;
import dev.herald.web.Responses;
import dev.herald.web.Traceparent;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
    private static final String PREFIX = "/bank/v1";
    private static final int MAX_PAGE = 500;

    private final BankServices bank;
    private final ApiKeyStore keys;
    private final Clock clock;
    private final BodyReader bodies;

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

    /**
     * One request: its trace id, raw body and, for a state-changing route, how it is audited: {@link #op()} writes the
     * audit entry inside the operation's own transaction; {@link #audited} records that it did.
     */
    private final class Call {
        final ServerRequest req;
        final String traceId;
        final byte[] body;
        final String operation;
        final int successStatus;
        boolean audited;

        Call(ServerRequest req, String traceId, byte[] body, String operation, int successStatus) {
            this.req = req;
            this.traceId = traceId;
            this.body = body;
            this.operation = operation;
            this.successStatus = successStatus;
        }

        /** The operation context for a service call: the trace id, and the audit entry written before commit. */
        Op op() {
            return new Op(traceId, (conn, result) -> {
                Answer a = BankApi.answer(result, successStatus);
                bank.audit().append(conn, auditRecord(this, a, Json.write(a.body())), clock.instant());
                audited = true;
            });
        }

        /** The answer for a service result, as audited. */
        Answer answer(Object result) {
            return BankApi.answer(result, successStatus);
        }

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
            return v == null ? null : JsonInput.storable(v, name, name);
        }

        /** The {@code anchor} parameter ({@code <id>:<hash>}, an entry seen earlier), or null. */
        HashChain.Anchor anchor() {
            String s = query("anchor");
            try {
                return s == null ? null : HashChain.Anchor.parse(s);
            } catch (IllegalArgumentException e) {
                throw Problem.invalid(e.getMessage(), "anchor");
            }
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
            throw Problem.invalid("limit must be an integer from 1 to " + MAX_PAGE, "limit");
        }
    }

    @FunctionalInterface
    private interface Route {
        Answer handle(Call call);
    }

    public BankApi(BankServices bank, ApiKeyStore keys, Clock clock, long maxBodyBytes) {
        this.bank = bank;
        this.keys = keys;
        this.clock = clock;
        this.bodies = new BodyReader(maxBodyBytes);
    }

    /** Registers the auth filter and every route. */
    public void routing(HttpRouting.Builder r) {
        r.addFilter(BearerAuth.filter(keys, PREFIX));
        r.get("/bank/health", (req, res) -> send(res, 200, Json.obj().put("status", "up"), "application/json"));

        Set<String> accountFields = Set.of("name", "user_uuid", "currency");
        change(r, Method.POST, "/accounts", "account.open", 201, c -> {
            Input in = c.json(accountFields);
            return c.answer(bank.accounts().open(c.op(), in.requiredString("name"), in.uuid("user_uuid"), in.requiredString("currency")));
        });
        read(r, "/accounts/{id}", c -> Answer.of(200, bank.accounts().get(c.id("account_uuid"))));
        change(r, Method.PATCH, "/accounts/{id}", "account.update", 200, c -> {
            UUID id = c.id("account_uuid");
            return c.answer(bank.accounts().rename(c.op(), id, c.json(Set.of("name")).requiredString("name")));
        });
        change(r, Method.POST, "/accounts/{id}/freeze", "account.freeze", 200, c -> {
            UUID id = c.id("account_uuid");
            return c.answer(bank.accounts().freeze(c.op(), id, c.optionalJson(Set.of("reason")).string("reason")));
        });
        change(r, Method.POST, "/accounts/{id}/unfreeze", "account.unfreeze", 200, c -> {
            UUID id = c.id("account_uuid");
            return c.answer(bank.accounts().unfreeze(c.op(), id, c.optionalJson(Set.of("reason")).string("reason")));
        });
        change(r, Method.POST, "/accounts/{id}/close", "account.close", 200, c -> {
            UUID id = c.id("account_uuid");
            c.optionalJson(Set.of());
            return c.answer(bank.accounts().close(c.op(), id));
        });
        Set<String> postingFields = Set.of("amount", "currency", "reference");
        change(r, Method.POST, "/accounts/{id}/deposits", "deposit", 201, c -> {
            UUID id = c.id("account_uuid");
            Input in = c.json(postingFields);
            return c.answer(bank.ledger().deposit(c.op(), id, in.amount("amount"), in.string("currency"), in.string("reference")));
        });
        change(r, Method.POST, "/accounts/{id}/withdrawals", "withdrawal", 201, c -> {
            UUID id = c.id("account_uuid");
            Input in = c.json(postingFields);
            return c.answer(bank.ledger().withdraw(c.op(), id, in.amount("amount"), in.string("currency"), in.string("reference")));
        });
        read(r, "/accounts/{id}/transactions", c -> {
            UUID id = c.id("account_uuid");
            int limit = c.limit();
            String before = c.query("before");
            Long beforeId = null;
            if (before != null) {
                try {
                    beforeId = Long.parseLong(before);
                } catch (NumberFormatException e) {
                    throw Problem.invalid("before must be a next_cursor value from a previous page", "before");
                }
            }
            List<Transaction> page = bank.ledger().transactions(id, beforeId, limit + 1);
            ArrayNode data = Json.arr();
            page.stream().limit(limit).forEach(t -> data.add(t.view()));
            String next = page.size() > limit ? Long.toString(page.get(limit - 1).id()) : null;
            return Answer.of(200, Json.obj().<ObjectNode>set("data", data).put("next_cursor", next).put("has_more", next != null));
        });
        read(r, "/accounts/{id}/verify", c -> Answer.of(200, bank.ledger().verify(c.id("account_uuid")).view()));
        read(r, "/transactions/{id}", c -> Answer.of(200, bank.ledger().transaction(c.id("transaction_uuid"))));
        change(r, Method.POST, "/transactions/{id}/reversals", "reversal", 201, c -> {
            UUID id = c.id("transaction_uuid");
            return c.answer(bank.ledger().reverse(c.op(), id, c.optionalJson(Set.of("reason")).string("reason")));
        });
        Set<String> transferFields = Set.of("client_transfer_id", "from_account_uuid", "to_account_uuid", "amount", "currency", "description");
        change(r, Method.POST, "/transfers", "transfer.create", 201, c -> {
            Input in = c.json(transferFields);
            TransferService.Request req = new TransferService.Request(in.requiredString("client_transfer_id"), in.uuid("from_account_uuid"),
                    in.uuid("to_account_uuid"), in.amount("amount"), in.requiredString("currency"), in.string("description"));
            return c.answer(bank.transfers().create(c.op(), req));
        });
        read(r, "/transfers/{id}", c -> Answer.of(200, bank.transfers().get(c.id("transfer_uuid")).view()));
        read(r, "/audit", c -> {
            String trace = c.query("trace_id");
            int limit = c.limit();
            ArrayNode data = Json.arr();
            bank.jdbc().read(conn -> AuditLog.byTrace(conn, trace, limit)).forEach(s -> data.add(s.view()));
            return Answer.of(200, Json.obj().set("data", data));
        });
        read(r, "/audit/verify", c -> {
            HashChain.Anchor anchor = c.anchor();
            return Answer.of(200, bank.jdbc().read(conn -> bank.audit().verify(conn, anchor)).view());
        });
        read(r, "/reconciliation", c -> {
            Reconciliation rec = bank.reconciler().run();
            return Answer.of(200, rec.view());
        });
        r.any((req, res) -> Responses.problem(res, Problem.notFound("no route " + req.prologue().method().text() + " " + req.path().path(), null)));
    }


    /** Registers a read-only GET route (not audited). */
    private void read(HttpRouting.Builder r, String path, Route route) {
        r.route(Method.GET, PREFIX + path, (req, res) -> handle(req, res, null, 200, route));
    }

    /**
     * Registers a state-changing route: its audit entry (request, answer, status) commits with the operation, or, when
     * the operation is refused or fails, is written on its own afterwards.
     */
    private void change(HttpRouting.Builder r, Method method, String path, String operation, int successStatus, Route route) {
        r.route(method, PREFIX + path, (req, res) -> handle(req, res, operation, successStatus, route));
    }

    private void handle(ServerRequest req, ServerResponse res, String operation, int successStatus, Route route) {
        String trace = traceId(req);
        res.header(HeaderNames.create("X-Trace-Id"), trace);
        Call call;
        try {
            call = new Call(req, trace, bodies.bytes(req), operation, successStatus);
        } catch (Problem e) {
            call = new Call(req, trace, new byte[0], operation, successStatus);
            finish(res, call, Answer.of(e.status(), problemBody(e)));
            return;
        }
        Answer answer;
        try {
            answer = route.handle(call);
        } catch (RuntimeException e) {
            Problem p = Problems.of(e, req);
            if (p.status() == 503) {
                res.header(HeaderNames.RETRY_AFTER, "1");
            }
            answer = Answer.of(p.status(), problemBody(p));
        }
        if (answer.status() >= 400) {
            call.audited = false; // whatever the operation wrote before failing, its transaction rolled back
        }
        finish(res, call, answer);
    }

    /** Audits a state-changing call whose entry did not commit with it (refused, failed), then sends the answer. */
    private void finish(ServerResponse res, Call call, Answer answer) {
        if (call.operation != null && !call.audited) {
            try {
                AuditRecord rec = auditRecord(call, answer, Json.write(answer.body()));
                bank.jdbc().inTransaction(c -> {
                    bank.audit().append(c, rec, clock.instant());
                    return null;
                });
            } catch (RuntimeException e) {
                log.error("could not write the audit entry of {} (trace {})", call.operation, call.traceId, e);
            }
        }
        send(res, answer.status(), answer.body(), answer.status() >= 400 ? "application/problem+json" : "application/json");
    }

    private static AuditRecord auditRecord(Call call, Answer a, String responseText) {
        ServerRequest req = call.req;
        return new AuditRecord(call.traceId, req.headers().first(HeaderNames.create("X-Request-Id")).orElse(null), "api", call.operation,
                a.account(), a.amount(), a.balanceBefore(), a.balanceAfter(), req.remotePeer().host(),
                req.headers().first(HeaderNames.USER_AGENT).orElse(null), new String(call.body, StandardCharsets.UTF_8), responseText,
                Integer.toString(a.status()));
    }

    /** The answer for what a service returned: {@code successStatus}, or 200 for a replayed transfer. */
    private static Answer answer(Object result, int successStatus) {
        return switch (result) {
            case Account a -> Answer.of(successStatus, a);
            case Ledger.Posted p -> Answer.of(successStatus, p.transaction());
            case TransferService.Created created -> {
                Transfer t = created.transfer();
                yield new Answer(created.created() ? successStatus : 200, t.view(), t.fromAccountUuid(), t.amount(), null, null);
            }
            default -> throw new IllegalStateException("no answer for " + result.getClass());
        };
    }

    private static String traceId(ServerRequest req) {
        return Traceparent.traceId(req.headers().first(HeaderNames.create("traceparent")).orElse(null)).orElseGet(Traceparent::newTraceId);
    }

    private static ObjectNode problemBody(Problem p) {
        return Responses.problemBody(p);
    }

    private static void send(ServerResponse res, int status, JsonNode body, String contentType) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, contentType);
        res.send(Json.write(body).getBytes(StandardCharsets.UTF_8));
    }
}
