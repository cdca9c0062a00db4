package dev.herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The producer's bytes of a member, as the event routes store them. */
class JsonInputTest {
    private static List<String> data(byte[] body) {
        JsonInput.parse(body); // only documents the strict parser accepted are asked about
        return JsonInput.objectMemberBytes(body, "data").stream().map(b -> b == null ? null : new String(b, StandardCharsets.UTF_8)).toList();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRootObjectsMemberIsItsExactBytes() {
        assertThat(data(utf8("{\"event\":\"a.b\", \"data\" : { \"x\": 1.50, \"s\": \"caf\\u00e9 \\\"q\\\"\", \"n\": {\"deep\": [1, {\"data\": 2}]} } }")))
                .containsExactly("{ \"x\": 1.50, \"s\": \"caf\\u00e9 \\\"q\\\"\", \"n\": {\"deep\": [1, {\"data\": 2}]} }");
        assertThat(data(utf8("{\"data\":{\"é\":\"ü\"},\"event\":\"a.b\"}"))).containsExactly("{\"é\":\"ü\"}");
    }

    @Test
    void aRootArrayGivesOneEntryPerElementNullWhereThereIsNoObjectMember() {
        assertThat(data(utf8("[{\"data\":{}}, {\"event\":\"a.b\"}, {\"data\":null}, {\"data\":[1]}, 7, {\"x\":{\"data\":{}} ,\"data\":{\"k\":[]}}]")))
                .containsExactly("{}", null, null, null, null, "{\"k\":[]}");
    }

    @Test
    void aByteOrderMarkDoesNotShiftTheBytes() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = utf8("{\"data\":{\"a\":1}}");
        byte[] withBom = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, withBom, 0, bom.length);
        System.arraycopy(body, 0, withBom, bom.length, body.length);
        assertThat(data(withBom)).containsExactly("{\"a\":1}");
    }

    @Test
    void aDocumentNotInUtf8GivesNothing() {
        assertThat(data("{\"data\":{\"a\":1}}".getBytes(StandardCharsets.UTF_16BE))).isEmpty();
        assertThat(data(utf8("\"just a string\""))).isEmpty();
    }
}
