package dev.sluice.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Config;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TranscriptLines;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With the built-in routes and no ANTHROPIC_API_KEY, the {@code anthropic} route answers from the
 * simulated upstream in Anthropic's Messages format, which the Anthropic dialect assembles.
 */
class SimulatedMessagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningSluice sluice;
    private static TestClient client;
    private static URI messages;

    @RegisterExtension
    final TranscriptLines transcripts = new TranscriptLines();

    @BeforeAll
    static void start() throws Exception {
        Config config = Config.load(Map.of("SLUICE_PORT", "0",
                "SLUICE_SIMULATED_TOKEN_DELAY", "1ms", "SLUICE_LOG_CONTENT", "true"),
                new Properties());
        assertTrue(config.route("anthropic").simulated(), "no key, no URL: simulated");
        sluice = new RunningSluice(config);
        client = new TestClient();
        messages = sluice.uri("/anthropic/v1/messages");
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        sluice.close();
    }

    private static String request(boolean stream, int maxTokens, String question) {
        return """
                {"model":"claude-sonnet-5-5","max_tokens":%d,"stream":%s,
                 "system":"Be brief.","messages":[{"role":"user","content":"%s"}]}"""
                .formatted(maxTokens, stream, question);
    }

    @Test
    void streamsTheMessagesEventSequenceThatTheDialectAssembles() throws Exception {
        List<SseEvent> events = new ArrayList<>();
        String upstreamId;
        try (TestClient.Stream stream = client.stream(messages, request(true, 512, "Hello"),
                "anthropic-version", "2023-06-01")) {
            assertEquals(200, stream.response().getStatus());
            assertTrue(stream.response().getHeaders().get("Content-Type")
                    .startsWith("text/event-stream"));
            upstreamId = stream.response().getHeaders().get("request-id");
            for (SseItem item = stream.next(); item != null; item = stream.next()) {
                events.add((SseEvent) item);
            }
        }
        assertTrue(upstreamId.startsWith("req_simulated_"), upstreamId);
        List<String> types = events.stream().map(SseEvent::type).toList();
        assertEquals(List.of("message_start", "content_block_start", "ping"), types.subList(0, 3));
        assertEquals(List.of("content_block_stop", "message_delta", "message_stop"),
                types.subList(types.size() - 3, types.size()));
        List<SseEvent> deltas = events.subList(3, events.size() - 3);
        assertTrue(deltas.size() > 10, "the answer streams in many deltas");
        for (SseEvent event : events) {
            assertEquals(event.type(), JSON.readTree(event.data()).path("type").asText(),
                    "every event's data names its own type");
        }

        JsonNode start = JSON.readTree(events.getFirst().data()).path("message");
        assertTrue(start.path("id").asText().startsWith("msg_simulated_"));
        assertEquals("message", start.path("type").asText());
        assertEquals("assistant", start.path("role").asText());
        assertEquals("claude-sonnet-5-5", start.path("model").asText());
        assertTrue(start.path("content").isArray() && start.path("content").isEmpty());
        assertTrue(start.path("stop_reason").isNull());
        long input = start.path("usage").path("input_tokens").asLong();
        assertTrue(input > 0);
        JsonNode block = JSON.readTree(events.get(1).data());
        assertEquals(0, block.path("index").asInt());
        assertEquals("text", block.path("content_block").path("type").asText());

        StringBuilder text = new StringBuilder();
        for (SseEvent delta : deltas) {
            assertEquals("content_block_delta", delta.type());
            JsonNode data = JSON.readTree(delta.data());
            assertEquals("text_delta", data.path("delta").path("type").asText());
            text.append(data.path("delta").path("text").asText());
        }
        assertTrue(text.toString().startsWith("Hello! I am Sluice's simulated upstream"),
                text::toString);
        assertTrue(text.toString().contains("ANTHROPIC_API_KEY"), text::toString);
        JsonNode end = JSON.readTree(events.get(events.size() - 2).data());
        assertEquals("end_turn", end.path("delta").path("stop_reason").asText());
        assertEquals(deltas.size(), end.path("usage").path("output_tokens").asInt());

        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("anthropic", line.path("route").asText());
        assertEquals("done", line.path("outcome").asText());
        assertEquals(input, line.path("prompt_tokens").asLong());
        assertEquals(deltas.size(), line.path("completion_tokens").asInt());
        JsonNode answer = line.path("answer");
        assertEquals(text.toString(), answer.path("content").path(0).path("text").asText());
        assertEquals("end_turn", answer.path("stop_reason").asText());
        assertEquals(deltas.size(), answer.path("usage").path("output_tokens").asInt());
    }

    @Test
    void answersOneMessageWhenNotStreaming() throws Exception {
        ContentResponse response = client.post(messages, request(false, 512, "What is Sluice?"));
        assertEquals(200, response.getStatus());
        JsonNode message = JSON.readTree(response.getContent());
        assertEquals("message", message.path("type").asText());
        assertEquals("claude-sonnet-5-5", message.path("model").asText());
        JsonNode content = message.path("content");
        assertEquals(1, content.size());
        assertEquals("text", content.path(0).path("type").asText());
        assertTrue(content.path(0).path("text").asText().startsWith("Sluice is"));
        assertEquals("end_turn", message.path("stop_reason").asText());
        assertTrue(message.path("stop_sequence").isNull());
        assertTrue(message.path("usage").path("output_tokens").asInt() > 10);
    }

    @Test
    void stopsAtMaxTokensAsClaudeDoes() throws Exception {
        try (TestClient.Stream stream = client.stream(messages, request(true, 3, "Hello"))) {
            List<SseItem> items = stream.rest();
            long deltas = items.stream()
                    .filter(i -> "content_block_delta".equals(((SseEvent) i).type())).count();
            assertEquals(3, deltas);
            JsonNode end = JSON.readTree(((SseEvent) items.get(items.size() - 2)).data());
            assertEquals("max_tokens", end.path("delta").path("stop_reason").asText());
            assertEquals(3, end.path("usage").path("output_tokens").asInt());
        }
    }

    @Test
    void refusesAsAnthropicDoesInItsErrorShape() throws Exception {
        ContentResponse noMax = client.post(messages, """
                {"model":"claude-sonnet-5-5","messages":[{"role":"user","content":"Hi"}]}""");
        assertEquals(400, noMax.getStatus());
        JsonNode error = JSON.readTree(noMax.getContent());
        assertEquals("error", error.path("type").asText());
        assertEquals("invalid_request_error", error.path("error").path("type").asText());
        assertTrue(error.path("error").path("message").asText().startsWith("max_tokens"));

        ContentResponse elsewhere = client.post(sluice.uri("/anthropic/v1/complete"),
                request(false, 5, "Hi"));
        assertEquals(404, elsewhere.getStatus());
        error = JSON.readTree(elsewhere.getContent());
        assertEquals("not_found_error", error.path("error").path("type").asText());
        assertTrue(error.path("error").path("message").asText().contains("/messages"));
    }

    @Test
    void theOpenAiRouteStillAnswersInOpenAiShapes() throws Exception {
        ContentResponse response = client.post(sluice.uri("/v1/chat/completions"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
        assertEquals(200, response.getStatus());
        JsonNode completion = JSON.readTree(response.getContent());
        assertEquals("chat.completion", completion.path("object").asText());
        String text = completion.path("choices").path(0).path("message").path("content")
                .asText();
        assertTrue(text.contains("OPENAI_API_KEY"), text);
        assertNull(completion.get("type"));
    }
}
