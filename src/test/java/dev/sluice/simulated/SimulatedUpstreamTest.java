package dev.sluice.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With no provider configured, the relay answers from the simulated upstream in OpenAI's format. */
class SimulatedUpstreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningSluice sluice;
    private static TestClient client;
    private static URI chat;

    @BeforeAll
    static void start() throws Exception {
        sluice = new RunningSluice(RunningSluice.config(null, null));
        client = new TestClient();
        chat = sluice.uri("/v1/chat/completions");
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        sluice.close();
    }

    @Test
    void streamsChatCompletionChunksThenUsageThenDone() throws Exception {
        String request = """
                {"model":"gpt-test","stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"system","content":"Be brief."},
                             {"role":"user","content":"How does streaming work?"}]}""";
        List<JsonNode> chunks = new ArrayList<>();
        try (TestClient.Stream stream = client.stream(chat, request)) {
            assertEquals(200, stream.response().getStatus());
            for (SseItem item = stream.next(); item != null; item = stream.next()) {
                String data = ((SseEvent) item).data();
                if ("[DONE]".equals(data)) {
                    assertNull(stream.next(), "nothing may follow [DONE]");
                    break;
                }
                chunks.add(JSON.readTree(data));
            }
        }
        assertTrue(chunks.size() > 10, "the answer streams in many chunks");
        String id = chunks.getFirst().path("id").asText();
        assertTrue(id.startsWith("chatcmpl-"));
        for (JsonNode chunk : chunks) {
            assertEquals(id, chunk.path("id").asText());
            assertEquals("chat.completion.chunk", chunk.path("object").asText());
            assertEquals("gpt-test", chunk.path("model").asText());
            assertTrue(chunk.path("created").asLong() > 1_700_000_000L);
            assertTrue(chunk.has("usage"), "with include_usage every chunk carries usage");
        }
        JsonNode first = chunks.getFirst().path("choices").path(0);
        assertEquals("assistant", first.path("delta").path("role").asText());
        assertEquals("", first.path("delta").path("content").asText());

        StringBuilder text = new StringBuilder();
        int contentChunks = 0;
        for (JsonNode chunk : chunks.subList(1, chunks.size() - 2)) {
            JsonNode choice = chunk.path("choices").path(0);
            assertTrue(choice.path("finish_reason").isNull());
            text.append(choice.path("delta").path("content").asText());
            contentChunks++;
        }
        assertTrue(text.toString().startsWith("Streaming works like this"), text::toString);

        JsonNode finish = chunks.get(chunks.size() - 2).path("choices").path(0);
        assertEquals("stop", finish.path("finish_reason").asText());
        assertTrue(finish.path("delta").isEmpty());

        JsonNode usage = chunks.getLast();
        assertEquals(0, usage.path("choices").size());
        assertEquals(contentChunks, usage.path("usage").path("completion_tokens").asInt());
        assertEquals(usage.path("usage").path("prompt_tokens").asInt() + contentChunks,
                usage.path("usage").path("total_tokens").asInt());
    }

    @Test
    void withoutIncludeUsageThereIsNoUsageChunk() throws Exception {
        String request = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (TestClient.Stream stream = client.stream(chat, request)) {
            List<SseItem> items = stream.rest();
            assertEquals(SseEvent.of("[DONE]"), items.getLast());
            // The relay asks for usage for its own transcript; the report is not forwarded.
            for (SseItem item : items.subList(0, items.size() - 1)) {
                JsonNode chunk = JSON.readTree(((SseEvent) item).data());
                assertFalse(chunk.path("usage").isObject());
                assertEquals(1, chunk.path("choices").size());
            }
        }
    }

    @Test
    void answersWholeCompletionWhenNotStreaming() throws Exception {
        ContentResponse response = client.post(chat, """
                {"messages":[{"role":"user","content":[{"type":"text","text":"Tell me about Sluice"}]}]}""");
        assertEquals(200, response.getStatus());
        JsonNode completion = JSON.readTree(response.getContent());
        assertEquals("chat.completion", completion.path("object").asText());
        assertEquals(SimulatedUpstreamServlet.MODEL, completion.path("model").asText());
        JsonNode choice = completion.path("choices").path(0);
        assertEquals("assistant", choice.path("message").path("role").asText());
        assertTrue(choice.path("message").path("content").asText().startsWith("Sluice is"));
        assertEquals("stop", choice.path("finish_reason").asText());
        assertTrue(completion.path("usage").path("completion_tokens").asInt() > 10);
    }

    @Test
    void refusesARequestWithoutMessagesInOpenAiShape() throws Exception {
        ContentResponse response = client.post(chat, "{\"stream\":true}");
        assertEquals(400, response.getStatus());
        assertEquals("invalid_request_error",
                JSON.readTree(response.getContent()).path("error").path("type").asText());
    }

    @Test
    void tokensJoinBackToTheReply() {
        SimulatedReply reply = SimulatedReply.to("something else entirely, with punctuation!",
                "Set OPENAI_API_KEY");
        assertEquals(reply.text(), String.join("", reply.tokens()));
        assertTrue(reply.text().contains("simulated upstream"));
        assertTrue(reply.tokens().size() > 20);
    }
}
