package dev.sluice.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialects;
import dev.sluice.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A transcript keeps what its listeners need, and no more. */
class TranscriptTest {

    private static final Route ROUTE = new Route("openai", "/v1", null, "openai-chat", null,
            Policy.NONE);

    private static Transcript stream(int maxBytes, int chunks) {
        Transcript t = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", maxBytes);
        for (int i = 0; i < chunks; i++) {
            t.record(SseEvent.of("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w" + i
                    + " \"}}]}"));
        }
        t.record(SseEvent.of("{\"choices\":[],\"usage\":{\"prompt_tokens\":7,"
                + "\"completion_tokens\":" + chunks + "}}"));
        t.record(SseEvent.of("[DONE]"));
        t.end(Transcript.Outcome.DONE, 200, null);
        return t;
    }

    @Test
    void withContentKeptTheAnswerIsWhole() {
        Transcript t = stream(1 << 20, 1000);
        assertFalse(t.truncated());
        assertEquals(1002, t.events());
        String content = t.answer().path("choices").path(0).path("message").path("content")
                .asText();
        assertTrue(content.startsWith("w0 w1 w2 ") && content.endsWith("w999 "));
        assertEquals(1000, t.usage().output());
    }

    @Test
    void withoutContentNothingIsKeptNorTruncatedYetUsageIsKnown() {
        Transcript t = stream(0, 1000);
        assertFalse(t.truncated(), "no content was asked for, so none was dropped");
        assertTrue(t.answer().path("choices").isEmpty());
        assertEquals(1002, t.events());
        assertEquals(7, t.usage().input());
        assertEquals(1000, t.usage().output());
    }

    @Test
    void pastItsBoundTheTranscriptIsMarkedTruncatedYetUsageIsKnown() {
        Transcript t = stream(200, 100);
        assertTrue(t.truncated());
        assertEquals(102, t.events());
        assertEquals(7, t.usage().input());
        assertEquals(100, t.usage().output());
    }

    @Test
    void aSmallStreamWithContentKeptIsWhole() {
        Transcript t = stream(1 << 20, 3);
        assertFalse(t.truncated());
    }

    @Test
    void everyChunkNamingAUsageStillKeepsAFewEvents() {
        Transcript t = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 0);
        for (int i = 0; i < 10_000; i++) {
            t.record(SseEvent.of("{\"choices\": [], \"usage\": {\"prompt_tokens\": 7, "
                    + "\"completion_tokens\": " + i + "}}"));
        }
        t.end(Transcript.Outcome.DONE, 200, null);
        assertEquals(9_999, t.usage().output());
    }

    @Test
    void aWholeAnswerGivesItsUsageAndIsKeptOnlyWithContent() {
        byte[] body = ("{\"object\": \"chat.completion\", \"usage\": {\"prompt_tokens\": 3, "
                + "\"completion_tokens\": 4}}").getBytes(StandardCharsets.UTF_8);
        Transcript kept = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 1 << 20);
        kept.answered(body);
        assertEquals(4, kept.usage().output());
        assertEquals("chat.completion", kept.answer().path("object").asText());
        assertFalse(kept.truncated());

        Transcript bare = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 0);
        bare.answered(body);
        assertEquals(3, bare.usage().input());
        assertFalse(bare.truncated());

        Transcript small = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 10);
        small.answered(body);
        assertEquals(3, small.usage().input());
        assertTrue(small.truncated());

        Transcript text = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 1 << 20);
        text.answered("not json, \"usage\": {".getBytes(StandardCharsets.UTF_8));
        assertNull(text.usage().input());
    }

    @Test
    void anEventTooLongToHoldCountsButAddsNothingAndLeavesAKeptAnswerIncomplete() {
        Transcript kept = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 1 << 20);
        kept.record(SseEvent.of("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}"),
                60);
        kept.passed();
        kept.passedBytes(5 << 20);
        kept.passedBytes(3);
        kept.count(14);
        assertEquals(3, kept.events());
        assertEquals(1, kept.passedUnread());
        assertEquals(60 + (5 << 20) + 3 + 14, kept.bytes());
        assertTrue(kept.truncated());
        assertFalse(kept.keepsContent());

        Transcript bare = new Transcript(ROUTE, Dialects.of("openai-chat"), "m", 0);
        bare.passed();
        assertEquals(1, bare.passedUnread());
        assertFalse(bare.truncated(), "nothing was asked to be kept");
    }
}
