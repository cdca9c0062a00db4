package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestServer.Response;

/** Checks that an answer is a well-formed RFC 9457 problem that leaks nothing. */
final class ProblemAssertions {
    private ProblemAssertions() {}

    /** Asserts a problem+json answer with {@code status} and returns its body. */
    static JsonNode assertProblem(Response r, int status) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertWellFormedProblem(r);
        return r.json();
    }

    /** Asserts a problem+json answer with {@code status} naming {@code field}. */
    static JsonNode assertProblem(Response r, int status, String field) {
        JsonNode p = assertProblem(r, status);
        assertThat(p.path("field").asText(null)).as("field of %s", r).isEqualTo(field);
        return p;
    }

    /** Any 4xx problem: content type, members, no 5xx, no stack trace text. */
    static JsonNode assertWellFormedProblem(Response r) {
        assertThat(r.status()).as("status of %s", r).isBetween(400, 499);
        assertThat(r.contentType()).as("content type of %s", r).startsWith("application/problem+json");
        assertThat(r.body()).as("body of %s", r).doesNotContain("Exception", "at dev.", "at java.", "at io.helidon", "\tat ");
        JsonNode p = r.json();
        assertThat(p.isObject()).as("body of %s", r).isTrue();
        assertThat(p.path("type").isTextual()).as("type in %s", r).isTrue();
        assertThat(p.path("title").isTextual()).as("title in %s", r).isTrue();
        assertThat(p.path("status").asInt()).as("status member in %s", r).isEqualTo(r.status());
        assertThat(p.path("detail").isTextual()).as("detail in %s", r).isTrue();
        assertThat(p.path("detail").asText()).as("detail in %s", r).isNotBlank();
        return p;
    }
}
