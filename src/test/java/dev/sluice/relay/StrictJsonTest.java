package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.access.Refusal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each rule of the one way a client's body is read, at its edge: one side passes, one not. */
class StrictJsonTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{}",
        "{\"a\":1} \r\n\t",
        "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}",
        "{\"a\":1e400,\"b\":18446744073709551716}"})
    void aBodyWithinTheRulesIsRead(String body) throws Exception {
        assertEquals(new ObjectMapper().readTree(body), StrictJson.parse(bytes(body)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"a":1,"a":2}             | has the key 'a' twice in one object
            {"x":[{"b":1,"b":1}]}     | has the key 'b' twice in one object
            {"a":1}{"a":2}            | has more after its JSON object
            {"a":1} x                 | has more after its JSON object
            {"a":1}]                  | has more after its JSON object
            ``                        | must be a JSON object
            ` `                       | must be a JSON object
            null                      | must be a JSON object
            [{"a":1}]                 | must be a JSON object
            `"a"`                     | must be a JSON object
            {"a":NaN}                 | is not valid JSON: Non-standard token 'NaN'
            {'a':1}                   | is not valid JSON: Unexpected character (''' (code 39))
            {"a":1,}                  | is not valid JSON: Unexpected character ('}'
            {/* c */"a":1}            | is not valid JSON: Unexpected character ('/'
            {"a":01}                  | is not valid JSON: Invalid numeric value: Leading zeroes
            {"a":1                    | is not valid JSON: Unexpected end-of-input
            """)
    void aBodyOutsideTheRulesIsRefusedWithItsReason(String body, String reason) {
        assertRefused(body, "request body " + reason);
    }

    @Test
    void nestingNumbersAndNamesAreBoundedAtTheirLimits() throws Refusal {
        StrictJson.parse(bytes("{\"a\":" + "[".repeat(63) + "]".repeat(63) + "}"));
        assertRefused("{\"a\":" + "[".repeat(64) + "]".repeat(64) + "}",
                "request body is not valid JSON: Document nesting depth (65) exceeds");
        StrictJson.parse(bytes("{\"a\":" + "9".repeat(64) + "}"));
        assertRefused("{\"a\":" + "9".repeat(65) + "}",
                "request body is not valid JSON: Number value length (65) exceeds");
        StrictJson.parse(bytes("{\"" + "k".repeat(1024) + "\":1}"));
        assertRefused("{\"" + "k".repeat(1025) + "\":1}",
                "request body is not valid JSON: Name length (1025) exceeds");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"model\":\"m\",\"stream\":true}",
        "{\"model\":\"m\",\"stream\":true}\n",
        "{\"model\":\"m\",\"stream\":true} \r\n\t\r\n",
        "{ \"model\" : \"m\" ,\n  \"stream\" : true\n}\n",
        "{}",
        "{ }",
        "{\n}\n ",
        "{\"a\":{}}",
        "{\"stream\":true,\"a\":{\"b\":{\"c\":{\"d\":1}}}}",
        "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"} {, }\"}]}",
        "{\"stream\":true,\"content\":\"h\u00e9llo \ud83d\ude00 \u2028 \\u00e9 \\ud83d\\ude00\"}",
        "{\"a\":[],\"b\":null,\"c\":1.50,\"d\":\"\\\"}\\\"\",\"e\":-0}"})
    void aMemberAppendedToTheClientsBytesReadsAsTheTreeWrittenAnew(String text)
            throws Exception {
        byte[] body = bytes(text);
        ObjectNode rewritten = StrictJson.parse(body);
        rewritten.putObject("stream_options").put("include_usage", true);

        byte[] appended = StrictJson.append(body, "\"stream_options\":{\"include_usage\":true}");

        ObjectNode read = StrictJson.parse(appended);
        assertEquals(rewritten, read);
        assertEquals(StrictJson.MAPPER.writeValueAsString(rewritten),
                StrictJson.MAPPER.writeValueAsString(read), "the member is last");
        String out = new String(appended, StandardCharsets.UTF_8);
        int close = text.lastIndexOf('}');
        assertEquals(text.substring(0, close), out.substring(0, close), "the client's bytes");
        assertTrue(out.endsWith(text.substring(close)), out);
    }

    private static void assertRefused(String body, String start) {
        Refusal refusal = assertThrows(Refusal.class, () -> StrictJson.parse(bytes(body)), body);
        assertEquals(400, refusal.status());
        assertTrue(refusal.getMessage().startsWith(start), refusal.getMessage());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
