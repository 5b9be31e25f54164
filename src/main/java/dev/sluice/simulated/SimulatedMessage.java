package dev.sluice.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.dialect.Json;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.UUID;

/**
 * A simulated answer in Anthropic's Messages shapes: {@code message_start} to
 * {@code message_stop} with one text block, or one {@code message}; its id says it is simulated.
 * It stops at the request's {@code max_tokens}, with that stop reason, as Claude does.
 */
record SimulatedMessage(String id, String model, SimulatedReply reply, List<String> tokens,
        int inputTokens) implements SimulatedAnswer {

    private static final ObjectMapper JSON = Json.mapper();

    /** What is wrong with a request, in Anthropic's words, or null if nothing is. */
    static String invalid(JsonNode body) {
        if (body == null || !body.isObject()) {
            return "the request body must be a JSON object";
        }
        if (!body.path("model").isTextual()) {
            return "model: Field required";
        }
        if (!body.path("max_tokens").canConvertToExactIntegral()
                || body.path("max_tokens").asLong() < 1) {
            return "max_tokens: Field required, a whole number of at least 1";
        }
        if (!body.path("messages").isArray()) {
            return "messages: Field required, an array of messages";
        }
        return null;
    }

    static SimulatedMessage of(JsonNode body) {
        SimulatedPrompt prompt = SimulatedPrompt.of(body);
        SimulatedReply reply = SimulatedReply.to(prompt.question(), "Set ANTHROPIC_API_KEY");
        List<String> tokens = reply.tokens();
        long max = body.path("max_tokens").asLong();
        return new SimulatedMessage(
                "msg_simulated_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24),
                body.path("model").asText(),
                reply,
                tokens.size() > max ? tokens.subList(0, (int) max) : tokens,
                prompt.tokens());
    }

    /** An error body in Anthropic's shape. */
    static ObjectNode error(int status, String message) {
        ObjectNode root = JSON.createObjectNode().put("type", "error");
        root.putObject("error")
                .put("type", status == 404 ? "not_found_error" : "invalid_request_error")
                .put("message", message);
        return root;
    }

    @Override
    public List<SseEvent> opening() {
        ObjectNode start = JSON.createObjectNode().put("type", "message_start");
        ObjectNode message = head();
        message.putArray("content");
        message.putNull("stop_reason").putNull("stop_sequence");
        message.set("usage", usage(1));
        start.set("message", message);
        ObjectNode block = JSON.createObjectNode().put("type", "content_block_start")
                .put("index", 0);
        block.putObject("content_block").put("type", "text").put("text", "");
        return List.of(event(start), event(block),
                SseEvent.of("ping", "{\"type\": \"ping\"}")); // spaced as Anthropic sends it
    }

    @Override
    public SseEvent token(String text) {
        ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta")
                .put("index", 0);
        delta.putObject("delta").put("type", "text_delta").put("text", text);
        return event(delta);
    }

    @Override
    public List<SseEvent> closing() {
        ObjectNode delta = JSON.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stopReason()).putNull("stop_sequence");
        delta.putObject("usage").put("output_tokens", tokens.size());
        return List.of(
                event(JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)),
                event(delta),
                event(JSON.createObjectNode().put("type", "message_stop")));
    }

    @Override
    public JsonNode whole() {
        ObjectNode message = head();
        message.putArray("content").addObject().put("type", "text")
                .put("text", String.join("", tokens));
        message.put("stop_reason", stopReason()).putNull("stop_sequence");
        message.set("usage", usage(tokens.size()));
        return message;
    }

    private String stopReason() {
        return tokens.size() < reply.tokens().size() ? "max_tokens" : "end_turn";
    }

    private ObjectNode head() {
        return JSON.createObjectNode()
                .put("id", id)
                .put("type", "message")
                .put("role", "assistant")
                .put("model", model);
    }

    private ObjectNode usage(int outputTokens) {
        return JSON.createObjectNode()
                .put("input_tokens", inputTokens)
                .put("cache_creation_input_tokens", 0)
                .put("cache_read_input_tokens", 0)
                .put("output_tokens", outputTokens);
    }

    /** An event named by its data's own {@code type}, as Anthropic names every event. */
    private static SseEvent event(ObjectNode data) {
        return SseEvent.of(data.path("type").asText(), data.toString());
    }
}
