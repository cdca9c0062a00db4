package dev.herald.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.event.EventTypes;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShippedCatalogTest {
    private final List<EventType> shipped = EventCatalog.shipped(Instant.EPOCH);

    @Test
    void everyShippedTypeHasAValidSchemaAndAnExampleItAccepts() {
        assertThat(shipped).extracting(EventType::type).containsExactlyElementsOf(EventTypes.SHIPPED);
        for (EventType t : shipped) {
            assertThat(SchemaRules.problems(t.schema())).as(t.type()).isEmpty();
            assertThat(SchemaRules.check(SchemaRules.compile(t.schema()), t.example())).as(t.type()).isEmpty();
            assertThat(t.description()).as(t.type()).isNotBlank();
            assertThat(t.version()).isEqualTo(1);
        }
        assertThat(shipped).filteredOn(EventType::operational).extracting(EventType::type)
                .containsExactlyInAnyOrder(EventTypes.ENDPOINT_DISABLED, EventTypes.WEBHOOK_TEST);
    }

    @Test
    void aShippedSchemaNamesThePointerAndRuleOfWhatABadEventBreaks() {
        EventType completed = shipped.stream().filter(t -> t.type().equals("transfer.completed")).findFirst().orElseThrow();
        var data = completed.example().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) data).put("amount", "10.50");
        ((com.fasterxml.jackson.databind.node.ObjectNode) data).remove("currency");
        List<Finding> found = SchemaRules.check(SchemaRules.compile(completed.schema()), data);
        assertThat(found).extracting(Finding::field, Finding::rule)
                .contains(org.assertj.core.groups.Tuple.tuple("data/amount", "type"), org.assertj.core.groups.Tuple.tuple("data/currency", "required"));
    }

    @Test
    void aSchemaThatIsNoJsonSchemaOrRefersOutsideItselfIsRefused() {
        assertThat(SchemaRules.problems(EventCatalog.json("{\"type\": \"nope\"}"))).isNotEmpty();
        assertThat(SchemaRules.problems(EventCatalog.json("{\"minimum\": \"ten\"}"))).isNotEmpty();
        assertThat(SchemaRules.problems(EventCatalog.json("{\"$ref\": \"https://example.com/s.json\"}"))).isNotEmpty();
        assertThat(SchemaRules.problems(EventCatalog.json("[1]"))).isNotEmpty();
        assertThat(SchemaRules.problems(EventCatalog.json("{\"$defs\": {\"m\": {\"type\": \"integer\"}}, \"properties\": {\"a\": {\"$ref\": \"#/$defs/m\"}}}")))
                .isEmpty();
    }
}
