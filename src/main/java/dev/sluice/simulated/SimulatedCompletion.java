package dev.sluice.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.dialect.Json;
import dev.sluice.sse.SseEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A simulated answer in OpenAI's Chat Completions shapes: {@code chat.completion.chunk} events
 * ending in {@code data: [DONE]}, or one {@code chat.completion}; its system fingerprint says
 * it is simulated.
 */
record SimulatedCompletion(String id, long created, String model, SimulatedReply reply,
        int promptTokens, boolean includeUsage) implements SimulatedAnswer {

    private static final ObjectMapper JSON = Json.mapper();

    /** What is wrong with a request, in OpenAI's words, or null if nothing is. */
    static String invalid(JsonNode body) {
        return body != null && body.path("messages").isArray() ? null
                : "'messages' must be an array of chat messages";
    }

    static SimulatedCompletion of(JsonNode body) {
        SimulatedPrompt prompt = SimulatedPrompt.of(body);
        return new SimulatedCompletion(
                "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000,
                body.path("model").asText(SimulatedUpstreamServlet.MODEL),
                SimulatedReply.to(prompt.question(), "Set OPENAI_API_KEY (and OPENAI_BASE_URL "
                        + "for any OpenAI-compatible server)"),
                prompt.tokens(),
                body.path("stream_options").path("include_usage").asBoolean(false));
    }

    /** An error body in OpenAI's shape, which has the same type for a bad path as a bad body. */
    static ObjectNode error(String message) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("error").put("message", message)
                .put("type", "invalid_request_error")
                .putNull("param").putNull("code");
        return root;
    }

    @Override
    public List<String> tokens() {
        return reply.tokens();
    }

    @Override
    public List<SseEvent> opening() {
        return List.of(event(chunk(JSON.createObjectNode().put("role", "assistant")
                .put("content", ""), null)));
    }

    @Override
    public SseEvent token(String text) {
        return event(chunk(JSON.createObjectNode().put("content", text), null));
    }

    @Override
    public List<SseEvent> closing() {
        List<SseEvent> events = new ArrayList<>();
        events.add(event(chunk(JSON.createObjectNode(), "stop")));
        if (includeUsage) {
            ObjectNode last = head("chat.completion.chunk");
            last.putArray("choices");
            last.set("usage", usage());
            events.add(event(last));
        }
        events.add(SseEvent.of("[DONE]"));
        return events;
    }

    @Override
    public JsonNode whole() {
        ObjectNode completion = head("chat.completion");
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        choice.putObject("message")
                .put("role", "assistant")
                .put("content", reply.text())
                .putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        completion.set("usage", usage());
        return completion;
    }

    private ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = head("chat.completion.chunk");
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        if (includeUsage) {
            chunk.putNull("usage"); // as OpenAI does on every chunk before the usage chunk
        }
        return chunk;
    }

    private ObjectNode usage() {
        int completionTokens = reply.tokens().size();
        return JSON.createObjectNode()
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    private ObjectNode head(String object) {
        return JSON.createObjectNode()
                .put("id", id)
                .put("object", object)
                .put("created", created)
                .put("model", model)
                .put("system_fingerprint", "fp_sluice_simulated");
    }

    private static SseEvent event(ObjectNode chunk) {
        return SseEvent.of(chunk.toString());
    }
}
