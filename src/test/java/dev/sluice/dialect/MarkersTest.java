package dev.sluice.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cheap look at an event's bytes ({@link Dialect#mayMatter}) selects every event that a
 * dialect would act on (the end, an error, a usage report), however it is spaced or escaped,
 * and passes over ordinary content, which is then forwarded without being decoded.
 */
class MarkersTest {

    static Stream<Arguments> events() {
        String anyText = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello\"}}]}";
        return Stream.of(
                Arguments.of("openai-chat", SseEvent.of("[DONE]"), true),
                Arguments.of("openai-chat", SseEvent.of(" [DONE] "), true),
                Arguments.of("openai-chat", SseEvent.of("{\"error\":{\"message\":\"x\","
                        + "\"type\":\"rate_limit_error\"}}"), true),
                Arguments.of("openai-chat", SseEvent.of("{ \"error\" : { \"code\": 401 } }"), true),
                Arguments.of("openai-chat", SseEvent.of("{\"\\u0065rror\":{\"code\":401}}"), true),
                Arguments.of("openai-chat", SseEvent.of("{\"error\": \"trunc"), true),
                Arguments.of("openai-chat", SseEvent.of("{\"choices\": [], \"usage\": "
                        + "{\"prompt_tokens\": 5, \"completion_tokens\": 2}}"), true),
                Arguments.of("openai-chat", SseEvent.of("{\"choices\":[],\"\\u0075sage\":"
                        + "{\"prompt_tokens\":5}}"), true),
                Arguments.of("openai-chat", SseEvent.of(anyText), false),
                Arguments.of("openai-chat", SseEvent.of("usage", anyText), false),
                Arguments.of("openai-responses", SseEvent.of("response.completed",
                        "{\"response\":{\"usage\":{\"input_tokens\":1}}}"), true),
                Arguments.of("openai-responses", SseEvent.of("response.failed", "{}"), true),
                Arguments.of("openai-responses", SseEvent.of("response.incomplete", "{}"), true),
                Arguments.of("openai-responses", SseEvent.of("error", "not json"), true),
                Arguments.of("openai-responses", SseEvent.of("response.created",
                        "{\"response\":{\"usage\":null}}"), true),
                Arguments.of("openai-responses", SseEvent.of("response.output_text.delta",
                        "{\"delta\":\"hi\"}"), false),
                Arguments.of("anthropic-messages", SseEvent.of("message_start",
                        "{\"message\":{\"usage\":{\"input_tokens\":3}}}"), true),
                Arguments.of("anthropic-messages", SseEvent.of("message_delta",
                        "{\"usage\":{\"output_tokens\":3}}"), true),
                Arguments.of("anthropic-messages", SseEvent.of("message_stop", "{}"), true),
                Arguments.of("anthropic-messages", SseEvent.of("error", "?"), true),
                Arguments.of("anthropic-messages", SseEvent.of("content_block_delta",
                        "{\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}"), false),
                Arguments.of("customgpt", SseEvent.of("{ \"status\" : \"finish\" }"), true),
                Arguments.of("customgpt", SseEvent.of("{\"status\":\"\\u0066inish\"}"), true),
                Arguments.of("customgpt", SseEvent.of("{\"status\":\"error\",\"data\":"
                        + "{\"code\":404}}"), true),
                Arguments.of("customgpt", SseEvent.of("{\"status\":\"progress\","
                        + "\"message\":\"hi\"}"), false),
                Arguments.of("sse", SseEvent.of("error", "anything"), true),
                Arguments.of("sse", SseEvent.of("{\"error\":{}}"), true),
                Arguments.of("sse", SseEvent.of("tick", "1"), false));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("events")
    void selectsEveryEventTheDialectActsOn(String name, SseEvent event, boolean matters) {
        Dialect dialect = Dialects.of(name);
        boolean actsOn = dialect.isTerminal(event) || dialect.isError(event)
                || dialect.errorStatus(event).isPresent() || dialect.mayReportUsage(event)
                || dialect.isRequestedUsage(event);
        byte[] bytes = bytes(event);
        boolean selected = dialect.mayMatter(bytes, 0, bytes.length);
        if (actsOn) {
            assertTrue(selected, "acted on but not selected");
        }
        assertEquals(matters, selected, "selected");
        // Only the given range is looked at: a marker just outside it selects nothing.
        byte[] framed = new byte[bytes.length + 12];
        System.arraycopy("[DONE]error".getBytes(), 0, framed, 0, 6);
        System.arraycopy(bytes, 0, framed, 6, bytes.length);
        System.arraycopy("error\"".getBytes(), 0, framed, 6 + bytes.length, 6);
        assertEquals(selected, dialect.mayMatter(framed, 6, bytes.length), "in a larger array");
    }

    @Test
    void markerIsFoundAtEitherEdgeOfTheRangeAndNotAcrossIt() {
        Markers markers = new Markers("\"usage\"", "[DONE]");
        byte[] bytes = "[DONE]..\"usage\"".getBytes(StandardCharsets.US_ASCII);
        assertTrue(markers.foundIn(bytes, 0, 6));
        assertTrue(markers.foundIn(bytes, 8, 7));
        assertFalse(markers.foundIn(bytes, 0, 5));
        assertFalse(markers.foundIn(bytes, 1, 13));
        assertFalse(markers.foundIn(bytes, 0, 0));
    }

    private static byte[] bytes(SseEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new SseWriter(out).event(event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
