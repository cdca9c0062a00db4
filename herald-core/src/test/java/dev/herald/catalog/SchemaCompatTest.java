package dev.herald.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SchemaCompatTest {
    private static final String CLOSED = "{\"type\": \"object\", \"properties\": {\"amount\": {\"type\": \"integer\", \"minimum\": 1},"
            + " \"status\": {\"enum\": [\"a\", \"b\"]}}, \"required\": [\"amount\"], \"additionalProperties\": false}";
    private static final String OPEN = "{\"type\": \"object\", \"properties\": {\"amount\": {\"type\": \"integer\"}}, \"required\": [\"amount\"]}";

    private static java.util.List<String> breaks(String before, String now) {
        return SchemaCompat.breaks(EventCatalog.json(before), EventCatalog.json(now));
    }

    @Test
    void loosenedSchemasKeepTheVersion() {
        assertThat(breaks(CLOSED, CLOSED)).isEmpty();
        // an optional property where unknown ones were refused
        assertThat(breaks(CLOSED, CLOSED.replace("\"status\":", "\"note\": {\"type\": \"string\"}, \"status\":"))).isEmpty();
        // a wider type, a lower minimum, a wider enum, a dropped requirement, a new description
        assertThat(breaks(CLOSED, CLOSED.replace("{\"type\": \"integer\", \"minimum\": 1}", "{\"type\": [\"integer\", \"string\"], \"minimum\": 0}")
                .replace("[\"a\", \"b\"]", "[\"a\", \"b\", \"c\"]").replace("\"required\": [\"amount\"]", "\"description\": \"x\""))).isEmpty();
        // unknown properties allowed now
        assertThat(breaks(CLOSED, CLOSED.replace("\"additionalProperties\": false", "\"additionalProperties\": true"))).isEmpty();
        assertThat(breaks(OPEN, "{\"type\": \"object\"}")).isEmpty();
    }

    @Test
    void tighteningNeedsANewVersion() {
        assertThat(breaks(CLOSED, CLOSED.replace("\"required\": [\"amount\"]", "\"required\": [\"amount\", \"status\"]"))).isNotEmpty();
        assertThat(breaks(CLOSED, CLOSED.replace("\"minimum\": 1", "\"minimum\": 2"))).isNotEmpty();
        assertThat(breaks(CLOSED, CLOSED.replace("[\"a\", \"b\"]", "[\"a\"]"))).isNotEmpty();
        assertThat(breaks(CLOSED, CLOSED.replace("\"type\": \"integer\"", "\"type\": \"string\""))).isNotEmpty();
        // a new property where unknown ones were accepted: values accepted before may break it
        assertThat(breaks(OPEN, OPEN.replace("\"properties\": {", "\"properties\": {\"note\": {\"type\": \"string\"}, "))).isNotEmpty();
        // closing an open schema
        assertThat(breaks(OPEN, OPEN.substring(0, OPEN.length() - 1) + ", \"additionalProperties\": false}")).isNotEmpty();
        assertThat(breaks(OPEN, OPEN.substring(0, OPEN.length() - 1) + ", \"pattern\": \"x\"}")).isNotEmpty();
    }
}
