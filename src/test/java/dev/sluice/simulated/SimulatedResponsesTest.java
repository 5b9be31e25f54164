package dev.sluice.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.TranscriptLines;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A route of the {@code openai-responses} dialect with no upstream of its own answers from the
 * simulated upstream in the Responses API's format, which that dialect assembles.
 */
class SimulatedResponsesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningSluice sluice;
    private static TestClient client;
    private static URI responses;

    @RegisterExtension
    final TranscriptLines transcripts = new TranscriptLines();

    @BeforeAll
    static void start() throws Exception {
        sluice = new RunningSluice(TestConfig.relayingTo(null, null).logContent()
                .route(new Route("responses", "/oai", null, "openai-responses", null,
                        Policy.NONE))
                .build());
        client = new TestClient();
        responses = sluice.uri("/oai/responses");
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        sluice.close();
    }

    @Test
    void streamsResponseEventsInOrderThatTheDialectAssembles() throws Exception {
        List<SseEvent> events = new ArrayList<>();
        try (TestClient.Stream stream = client.stream(responses, """
                {"model":"gpt-5.4-mini","stream":true,"instructions":"Be brief.",
                 "input":"How does streaming work?"}""")) {
            assertEquals(200, stream.response().getStatus());
            for (SseItem item = stream.next(); item != null; item = stream.next()) {
                events.add((SseEvent) item);
            }
        }
        List<String> types = events.stream().map(SseEvent::type).toList();
        assertEquals(List.of("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added"),
                types.subList(0, 4));
        assertEquals(List.of("response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed"),
                types.subList(types.size() - 4, types.size()));
        List<SseEvent> deltas = events.subList(4, events.size() - 4);
        assertTrue(deltas.size() > 10);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            JsonNode data = JSON.readTree(events.get(i).data());
            assertEquals(events.get(i).type(), data.path("type").asText());
            assertEquals(i, data.path("sequence_number").asInt(), "numbered in order");
            if (i >= 4 && i < events.size() - 4) {
                assertEquals("response.output_text.delta", data.path("type").asText());
                text.append(data.path("delta").asText());
            }
        }
        assertTrue(text.toString().startsWith("Streaming works like this"), text::toString);
        JsonNode done = JSON.readTree(events.get(events.size() - 4).data());
        assertEquals(text.toString(), done.path("text").asText());
        JsonNode created = JSON.readTree(events.getFirst().data()).path("response");
        assertTrue(created.path("id").asText().startsWith("resp_simulated_"));
        assertEquals("in_progress", created.path("status").asText());
        JsonNode completed = JSON.readTree(events.getLast().data()).path("response");
        assertEquals("completed", completed.path("status").asText());
        assertEquals("gpt-5.4-mini", completed.path("model").asText());
        assertEquals(text.toString(), completed.path("output").path(0).path("content").path(0)
                .path("text").asText());
        assertEquals(deltas.size(), completed.path("usage").path("output_tokens").asInt());

        JsonNode line = transcripts.awaitLines(1).getFirst();
        assertEquals("responses", line.path("route").asText());
        assertEquals("done", line.path("outcome").asText());
        assertEquals(deltas.size(), line.path("completion_tokens").asInt());
        assertEquals(completed.path("usage").path("input_tokens").asInt(),
                line.path("prompt_tokens").asInt());
        assertEquals(text.toString(), line.path("answer").path("output").path(0)
                .path("content").path(0).path("text").asText());
    }

    @Test
    void answersOneResponseWhenNotStreamingAndRefusesInOpenAiShape() throws Exception {
        ContentResponse whole = client.post(responses, """
                {"model":"gpt-5.4-mini","input":[{"role":"user",
                 "content":[{"type":"input_text","text":"Hello"}]}]}""");
        assertEquals(200, whole.getStatus());
        JsonNode response = JSON.readTree(whole.getContent());
        assertEquals("response", response.path("object").asText());
        assertEquals("completed", response.path("status").asText());
        assertTrue(response.path("output").path(0).path("content").path(0).path("text").asText()
                .startsWith("Hello! I am Sluice's simulated upstream"));

        ContentResponse noInput = client.post(responses, "{\"model\":\"gpt-5.4-mini\"}");
        assertEquals(400, noInput.getStatus());
        JsonNode error = JSON.readTree(noInput.getContent()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText());
        assertTrue(error.path("message").asText().contains("'input'"), error.toString());
    }
}
