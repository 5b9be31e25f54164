package dev.sluice.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.dialect.Json;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.UUID;

/**
 * A simulated answer in OpenAI's Responses shapes: {@code response.created} to
 * {@code response.completed} with one message of output text, or one {@code response}; its ids
 * say it is simulated. Not thread-safe: it numbers its events as they are made.
 */
final class SimulatedResponse implements SimulatedAnswer {

    private static final ObjectMapper JSON = Json.mapper();

    private final String id;
    private final String itemId;
    private final long created;
    private final String model;
    private final SimulatedReply reply;
    private final int inputTokens;
    private int sequence;

    private SimulatedResponse(String model, SimulatedReply reply, int inputTokens) {
        String hex = UUID.randomUUID().toString().replace("-", "");
        this.id = "resp_simulated_" + hex;
        this.itemId = "msg_simulated_" + hex;
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
        this.reply = reply;
        this.inputTokens = inputTokens;
    }

    /** What is wrong with a request, in OpenAI's words, or null if nothing is. */
    static String invalid(JsonNode body) {
        if (body == null || !body.isObject()) {
            return "the request body must be a JSON object";
        }
        if (!body.path("model").isTextual()) {
            return "Missing required parameter: 'model'.";
        }
        JsonNode input = body.path("input");
        return input.isTextual() || input.isArray() ? null
                : "Missing required parameter: 'input' (a string or an array of messages).";
    }

    static SimulatedResponse of(JsonNode body) {
        JsonNode input = body.path("input");
        // A string input is one user message; an array is messages as Chat Completions has.
        ObjectNode messages = JSON.createObjectNode();
        if (input.isTextual()) {
            messages.putArray("messages").addObject().put("role", "user")
                    .put("content", input.textValue());
        } else {
            messages.set("messages", input);
        }
        if (body.path("instructions").isTextual()) {
            messages.set("system", body.get("instructions"));
        }
        SimulatedPrompt prompt = SimulatedPrompt.of(messages);
        return new SimulatedResponse(body.path("model").asText(),
                SimulatedReply.to(prompt.question(), "Set OPENAI_API_KEY"), prompt.tokens());
    }

    @Override
    public List<String> tokens() {
        return reply.tokens();
    }

    @Override
    public List<SseEvent> opening() {
        ObjectNode created = event("response.created");
        created.set("response", response("in_progress"));
        ObjectNode progress = event("response.in_progress");
        progress.set("response", response("in_progress"));
        ObjectNode added = event("response.output_item.added").put("output_index", 0);
        added.set("item", item("in_progress", JSON.createArrayNode()));
        ObjectNode part = event("response.content_part.added").put("item_id", itemId)
                .put("output_index", 0).put("content_index", 0);
        part.set("part", text(""));
        return List.of(sse(created), sse(progress), sse(added), sse(part));
    }

    @Override
    public SseEvent token(String text) {
        return sse(event("response.output_text.delta").put("item_id", itemId)
                .put("output_index", 0).put("content_index", 0).put("delta", text));
    }

    @Override
    public List<SseEvent> closing() {
        ObjectNode text = event("response.output_text.done").put("item_id", itemId)
                .put("output_index", 0).put("content_index", 0).put("text", reply.text());
        ObjectNode part = event("response.content_part.done").put("item_id", itemId)
                .put("output_index", 0).put("content_index", 0);
        part.set("part", text(reply.text()));
        ObjectNode item = event("response.output_item.done").put("output_index", 0);
        item.set("item", item("completed", JSON.createArrayNode().add(text(reply.text()))));
        ObjectNode completed = event("response.completed");
        completed.set("response", response("completed"));
        return List.of(sse(text), sse(part), sse(item), sse(completed));
    }

    @Override
    public JsonNode whole() {
        return response("completed");
    }

    private ObjectNode response(String status) {
        ObjectNode response = JSON.createObjectNode()
                .put("id", id)
                .put("object", "response")
                .put("created_at", created)
                .put("status", status)
                .putNull("error")
                .putNull("incomplete_details")
                .put("model", model);
        boolean done = status.equals("completed");
        response.putArray("output").addAll(done ? List.of(item(status,
                JSON.createArrayNode().add(text(reply.text())))) : List.of());
        if (done) {
            int output = reply.tokens().size();
            ObjectNode usage = response.putObject("usage").put("input_tokens", inputTokens);
            usage.putObject("input_tokens_details").put("cached_tokens", 0);
            usage.put("output_tokens", output);
            usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
            usage.put("total_tokens", inputTokens + output);
        } else {
            response.putNull("usage");
        }
        return response;
    }

    private ObjectNode item(String status, ArrayNode content) {
        ObjectNode item = JSON.createObjectNode().put("id", itemId).put("type", "message")
                .put("status", status).put("role", "assistant");
        item.set("content", content);
        return item;
    }

    private static ObjectNode text(String text) {
        ObjectNode part = JSON.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    /** The next event's data, numbered as OpenAI numbers a stream's events. */
    private ObjectNode event(String type) {
        return JSON.createObjectNode().put("type", type).put("sequence_number", sequence++);
    }

    private static SseEvent sse(JsonNode data) {
        return SseEvent.of(data.path("type").asText(), data.toString());
    }
}
