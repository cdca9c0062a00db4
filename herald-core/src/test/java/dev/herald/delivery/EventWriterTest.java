package dev.herald.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.event.EventInput;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventWriterTest {
    @Test
    void wireBodyHasTheSeedFieldsInOrder() throws Exception {
        ObjectNode data = (ObjectNode) new ObjectMapper().readTree("{\"amount\":1050,\"currency\":\"EUR\",\"note\":\"caf\\u00e9\"}");
        EventInput in = new EventInput(null, "transfer.completed", null, "acc-9", data, null, 0, null, null);
        byte[] body = EventWriter.body("evt_1", in, Instant.parse("2025-01-14T10:30:00Z"));
        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"evt_1\",\"event\":\"transfer.completed\",\"timestamp\":\"2025-01-14T10:30:00Z\",\"account_uuid\":\"acc-9\","
                        + "\"data\":{\"amount\":1050,\"currency\":\"EUR\",\"note\":\"café\"}}");
    }

    @Test
    void theProducersBytesOfDataGoInAsPostedWithTheSameEnvelope() throws Exception {
        String posted = "{ \"amount\": 10.50,\n  \"note\": \"caf\\u00e9\", \"big\": 12345678901234567890.123 }";
        ObjectNode data = (ObjectNode) new ObjectMapper().readTree(posted);
        EventInput in = new EventInput(null, "transfer.completed", null, "acc \"9\"\n", data, null, 0, null, null, null,
                posted.getBytes(StandardCharsets.UTF_8));
        byte[] body = EventWriter.body("evt_1", in, Instant.parse("2025-01-14T10:30:00Z"));
        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"evt_1\",\"event\":\"transfer.completed\",\"timestamp\":\"2025-01-14T10:30:00Z\",\"account_uuid\":\"acc \\\"9\\\"\\n\","
                        + "\"data\":" + posted + "}");
        assertThat(new ObjectMapper().readTree(body).get("data")).as("the same value as the parsed data").isEqualTo(data);

        String compact = "{\"amount\":1050,\"currency\":\"EUR\",\"note\":\"café\"}";
        EventInput raw = new EventInput(null, "transfer.completed", null, null, (ObjectNode) new ObjectMapper().readTree(compact), null, 0, null,
                null, null, compact.getBytes(StandardCharsets.UTF_8));
        EventInput tree = new EventInput(null, "transfer.completed", null, null, raw.data(), null, 0, null, null);
        assertThat(EventWriter.body("evt_2", raw, Instant.EPOCH)).as("byte for byte what the tree gives for compact data")
                .isEqualTo(EventWriter.body("evt_2", tree, Instant.EPOCH));
    }

    @Test
    void missingDataBecomesAnEmptyObject() {
        EventInput in = new EventInput(null, "account.created", null, null, null, null, 0, null, null);
        assertThat(new String(EventWriter.body("evt_2", in, Instant.EPOCH), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"evt_2\",\"event\":\"account.created\",\"timestamp\":\"1970-01-01T00:00:00Z\",\"account_uuid\":null,\"data\":{}}");
    }
}
