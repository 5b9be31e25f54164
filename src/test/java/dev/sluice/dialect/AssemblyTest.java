package dev.sluice.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.sse.SseEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stream assembled into its answer holds what the deltas said, whatever indexes they name. */
class AssemblyTest {

    private static final Dialect CHAT = Dialects.of("openai-chat");

    private static SseEvent toolDelta(String index, String arguments) {
        return SseEvent.of("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{"
                + (index == null ? "" : "\"index\":" + index + ",")
                + "\"function\":{\"arguments\":\"" + arguments + "\"}}]}}]}");
    }

    private static JsonNode calls(List<SseEvent> events) {
        return CHAT.assemble(events).path("choices").path(0).path("message").path("tool_calls");
    }

    @Test
    void aFarIndexIsOneCallNotAnArrayPaddedUpToIt() {
        JsonNode calls = calls(List.of(toolDelta("0", "{}"), toolDelta("1000", "{\\\"a\\\""),
                toolDelta("1000", ":1}")));
        assertEquals(2, calls.size());
        assertEquals("{}", calls.path(0).path("function").path("arguments").asText());
        assertEquals("{\"a\":1}", calls.path(1).path("function").path("arguments").asText());
    }

    @Test
    void indexesNoCallCouldHaveAreDroppedWithoutHarm() {
        JsonNode calls = calls(List.of(toolDelta("50000000", "a"), toolDelta("2147483647", "b"),
                toolDelta(null, "lost"), toolDelta("-1", "x"), toolDelta("1e20", "x"),
                toolDelta("99999999999", "x"), toolDelta("\"3\"", "x"), toolDelta("1.5", "x")));
        assertEquals(2, calls.size());
        assertEquals("a", calls.path(0).path("function").path("arguments").asText());
        assertEquals("b", calls.path(1).path("function").path("arguments").asText());
    }

    @Test
    void callsWithoutAnIndexFollowTheLast() {
        JsonNode calls = calls(List.of(toolDelta(null, "a"), toolDelta(null, "b"),
                toolDelta("1", "c")));
        assertEquals(2, calls.size());
        assertEquals("a", calls.path(0).path("function").path("arguments").asText());
        assertEquals("bc", calls.path(1).path("function").path("arguments").asText());
    }
}
