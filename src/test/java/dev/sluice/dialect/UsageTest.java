package dev.sluice.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each dialect finds usage, terminal and error events by their JSON structure, however the
 * upstream spaced or escaped it, and an event that only looks like one is none: it never throws.
 */
class UsageTest {

    private static final Dialect CHAT = Dialects.of("openai-chat");
    private static final Dialect RESPONSES = Dialects.of("openai-responses");
    private static final Dialect ANTHROPIC = Dialects.of("anthropic-messages");
    private static final Dialect CUSTOM_GPT = Dialects.of("customgpt");
    private static final SseEvent TEXT = SseEvent.of(
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],\"usage\":null}");

    /** OpenAI's usage chunk as servers of several languages write it. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":33}}",
        "{\"choices\": [], \"usage\": {\"prompt_tokens\": 20, \"completion_tokens\": 33}}",
        "{\"choices\" : [ ] , \"usage\" :\t{ \"prompt_tokens\" : 20 , \"completion_tokens\":33 }}",
        "{\"choices\":[],\n\"usage\":\n{\"prompt_tokens\":20,\n\"completion_tokens\":33}}",
        "{\"usage\":{\"completion_tokens\":33,\"prompt_tokens\":20},\"choices\":[]}",
        "{\"choices\":[],\"\\u0075sage\":{\"prompt_tokens\":20,\"completion_tokens\":33}}",
    })
    void openAiUsageIsFoundHoweverItIsWritten(String data) {
        SseEvent usage = SseEvent.of(data);
        assertTrue(CHAT.mayReportUsage(usage));
        assertTrue(CHAT.isRequestedUsage(usage));
        assertEquals(new Dialect.Usage(20L, 33L),
                CHAT.usage(List.of(TEXT, usage, SseEvent.of("[DONE]"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":20,",
        "{\"choices\":[],\"usage\":{} garbage",
        "not json \"usage\": {",
        "\"usage\":{",
        "[\"usage\", {}]",
        "{\"choices\":[{\"delta\":{\"content\":\"{\\\"choices\\\":[],\\\"usage\\\":{}}\"}}]}",
    })
    void anEventThatOnlyLooksLikeUsageHasNone(String data) {
        SseEvent fake = SseEvent.of(data);
        assertFalse(CHAT.isRequestedUsage(fake));
        assertEquals(Dialect.Usage.UNKNOWN, CHAT.usage(List.of(TEXT, fake)));
        assertEquals(Dialect.Usage.UNKNOWN, RESPONSES.usage(List.of(
                SseEvent.of("response.completed", data))));
        assertEquals(Dialect.Usage.UNKNOWN, ANTHROPIC.usage(List.of(
                SseEvent.of("message_start", data), SseEvent.of("message_delta", data))));
        CHAT.assemble(List.of(fake));
        RESPONSES.assemble(List.of(SseEvent.of("response.completed", data)));
        ANTHROPIC.assemble(List.of(SseEvent.of("message_start", data),
                SseEvent.of("content_block_start", data), SseEvent.of("message_delta", data)));
    }

    @Test
    void aChunkWithTextAndUsageIsNotTheRequestedUsage() {
        SseEvent both = SseEvent.of("{\"choices\": [{\"index\": 0, \"delta\": {\"content\": "
                + "\"x\"}}], \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 2}}");
        assertFalse(CHAT.isRequestedUsage(both));
        assertEquals(new Dialect.Usage(1L, 2L), CHAT.usage(List.of(both)));
    }

    @Test
    void theLastUsageReportedWins() {
        assertEquals(new Dialect.Usage(5L, 9L), CHAT.usage(List.of(
                SseEvent.of("{\"choices\": [], \"usage\": {\"prompt_tokens\": 5, "
                        + "\"completion_tokens\": 1}}"),
                SseEvent.of("{\"choices\": [], \"usage\": {\"prompt_tokens\": 5, "
                        + "\"completion_tokens\": 9}}"),
                SseEvent.of("{\"choices\":[{\"delta\":{\"content\":\"the word usage\"}}]}"))));
    }

    @Test
    void responsesUsageIsFoundWithSpaces() {
        SseEvent completed = SseEvent.of("response.completed", "{\"type\": \"response.completed\","
                + " \"response\": {\"id\": \"r\", \"usage\": {\"input_tokens\": 11, "
                + "\"output_tokens\": 4}}}");
        assertTrue(RESPONSES.mayReportUsage(completed));
        assertEquals(new Dialect.Usage(11L, 4L), RESPONSES.usage(List.of(
                SseEvent.of("response.created", "{\"response\": {\"usage\": null}}"),
                completed)));
    }

    @Test
    void anthropicUsageSurvivesAMalformedDelta() {
        assertEquals(new Dialect.Usage(25L, 1L), ANTHROPIC.usage(List.of(
                SseEvent.of("message_start", "{\"type\": \"message_start\", \"message\": "
                        + "{\"usage\": {\"input_tokens\": 25, \"output_tokens\": 1}}}"),
                SseEvent.of("message_delta", "{\"usage\": {\"output_tokens\": 1"),
                SseEvent.of("message_delta", "[1, 2]"))));
    }

    @Test
    void anthropicUsageWithoutAnOutputCountSoFarIsAnUnknownOutput() {
        assertEquals(new Dialect.Usage(25L, null), ANTHROPIC.usage(List.of(
                SseEvent.of("message_start", "{\"type\": \"message_start\", \"message\": "
                        + "{\"usage\": {\"input_tokens\": 25}}}"))));
    }

    @Test
    void wholeAnswersReportTheirUsage() {
        assertEquals(new Dialect.Usage(3L, 4L), CHAT.usage(Json.parse(
                "{\"object\": \"chat.completion\", \"usage\": {\"prompt_tokens\": 3, "
                        + "\"completion_tokens\": 4, \"total_tokens\": 7}}")));
        assertEquals(new Dialect.Usage(5L, 6L), RESPONSES.usage(Json.parse(
                "{\"object\": \"response\", \"usage\": {\"input_tokens\": 5, "
                        + "\"output_tokens\": 6}}")));
        assertEquals(new Dialect.Usage(7L, 8L), ANTHROPIC.usage(Json.parse(
                "{\"type\": \"message\", \"usage\": {\"input_tokens\": 7, "
                        + "\"output_tokens\": 8}}")));
        assertEquals(Dialect.Usage.UNKNOWN, CHAT.usage(Json.parse("{\"usage\": 5}")));
        assertEquals(Dialect.Usage.UNKNOWN, CHAT.usage(Json.parse("[]")));
    }

    @Test
    void terminalAndErrorEventsAreFoundHoweverTheyAreWritten() {
        assertTrue(CHAT.isTerminal(SseEvent.of("[DONE] ")));
        assertFalse(CHAT.isTerminal(SseEvent.of("{\"text\": \"[DONE]\"}")));
        assertEquals(OptionalInt.of(429), CHAT.errorStatus(SseEvent.of(
                " {\"error\": {\"message\": \"slow down\", \"type\": \"rate_limit_error\"}}")));
        assertEquals(OptionalInt.of(401), CHAT.errorStatus(SseEvent.of(
                "{\"\\u0065rror\":{\"message\":\"no\",\"type\":\"authentication_error\"}}")));
        assertEquals(OptionalInt.empty(), CHAT.errorStatus(SseEvent.of(
                "{\"choices\":[{\"delta\":{\"content\":\"\\\"error\\\": {\"}}]}")));
        assertTrue(CUSTOM_GPT.isTerminal(SseEvent.of("{ \"status\" : \"finish\" }")));
        assertTrue(CUSTOM_GPT.isTerminal(SseEvent.of("{\"status\":\"\\u0066inish\"}")));
        assertEquals(OptionalInt.of(404), CUSTOM_GPT.errorStatus(SseEvent.of(
                "{\"status\":\"\\u0065rror\",\"data\":{\"code\":404,\"message\":\"gone\"}}")));
    }
}
