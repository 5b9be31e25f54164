package dev.sluice.dialect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Anthropic's Messages API ({@code /v1/messages}): named events from {@code message_start} to
 * {@code message_stop}; errors as {@code {"type": "error", "error": {"type", "message"}}}, in-band
 * as {@code event: error}. Usage in {@code message_delta} is cumulative, never to be added up.
 */
public final class AnthropicMessages implements Dialect {

    /** The event types that carry usage, the end and errors. */
    private static final Markers MARKERS = new Markers(
            "message_start", "message_delta", "message_stop", "error");

    @Override
    public String name() {
        return "anthropic-messages";
    }

    @Override
    public Header credential(Secret key) {
        return new Header("x-api-key", key.value());
    }

    @Override
    public boolean isTerminal(SseEvent event) {
        return "message_stop".equals(event.type());
    }

    @Override
    public boolean isPreamble(SseEvent event) {
        return "message_start".equals(event.type()) || "ping".equals(event.type());
    }

    @Override
    public List<SseEvent> stopEvents() {
        return List.of(SseEvent.of("message_stop", "{\"type\":\"message_stop\"}"));
    }

    @Override
    public List<SseEvent> errorEvents(String message, String type) {
        return List.of(SseEvent.of("error", envelope(message, type).toString()));
    }

    @Override
    public byte[] errorBody(int status, String message, String type) {
        return Json.bytes(envelope(message, type));
    }

    private static ObjectNode envelope(String message, String type) {
        ObjectNode root = Json.object().put("type", "error");
        root.putObject("error").put("type", type).put("message", message);
        return root;
    }

    @Override
    public OptionalInt errorStatus(SseEvent event) {
        if (!"error".equals(event.type())) {
            return OptionalInt.empty();
        }
        JsonNode root = Json.parse(event.data());
        String type = root == null ? "" : root.path("error").path("type").asText("");
        return OptionalInt.of(Json.statusOf(type));
    }

    @Override
    public String maxTokensField() {
        return "max_tokens";
    }

    @Override
    public boolean mayMatter(byte[] bytes, int offset, int length) {
        return MARKERS.foundIn(bytes, offset, length);
    }

    @Override
    public String text(SseEvent event) {
        if (!"content_block_delta".equals(event.type())) {
            return null;
        }
        JsonNode delta = Json.parse(event.data());
        JsonNode text = delta == null ? null : delta.path("delta").path("text");
        return text != null && text.isTextual() ? text.textValue() : null;
    }

    @Override
    public boolean mayReportUsage(SseEvent event) {
        return "message_start".equals(event.type()) || "message_delta".equals(event.type());
    }

    @Override
    public Usage usage(List<SseEvent> events) {
        Long input = null;
        Long output = null;
        for (SseEvent event : events) {
            if (!mayReportUsage(event)) {
                continue;
            }
            JsonNode data = Json.parse(event.data());
            JsonNode usage = data == null ? null : "message_start".equals(event.type())
                    ? data.path("message").path("usage") : data.path("usage");
            if (usage != null && usage.isObject()) {
                // Both counts are totals so far: the last one seen is the answer. (Boxed: a
                // ternary of long and a null Long would unbox the null.)
                input = usage.path("input_tokens").isNumber()
                        ? Long.valueOf(usage.get("input_tokens").longValue()) : input;
                output = usage.path("output_tokens").isNumber()
                        ? Long.valueOf(usage.get("output_tokens").longValue()) : output;
            }
        }
        return new Usage(input, output);
    }

    @Override
    public Usage usage(JsonNode answer) {
        return Json.usage(answer.path("usage"), "input_tokens", "output_tokens");
    }

    /** The final {@code message}: blocks joined from their deltas, tool input parsed. */
    @Override
    public JsonNode assemble(List<SseEvent> events) {
        ObjectNode message = Json.object();
        Map<Integer, ObjectNode> blocks = new TreeMap<>();
        Map<Integer, StringBuilder> toolInput = new TreeMap<>();
        for (SseEvent event : events) {
            JsonNode data = Json.parse(event.data());
            if (data == null || event.type() == null) {
                continue;
            }
            switch (event.type()) {
                case "message_start" -> {
                    if (data.path("message") instanceof ObjectNode start) {
                        message.setAll(start);
                    }
                }
                case "content_block_start" -> {
                    if (data.path("content_block") instanceof ObjectNode block) {
                        blocks.put(data.path("index").asInt(), block.deepCopy());
                    }
                }
                case "content_block_delta" -> {
                    int index = data.path("index").asInt();
                    ObjectNode block = blocks.computeIfAbsent(index, i -> Json.object());
                    JsonNode delta = data.path("delta");
                    switch (delta.path("type").asText("")) {
                        case "text_delta" -> append(block, "text", delta.path("text"));
                        case "thinking_delta" -> append(block, "thinking", delta.path("thinking"));
                        case "signature_delta" ->
                                append(block, "signature", delta.path("signature"));
                        case "input_json_delta" -> toolInput.computeIfAbsent(index,
                                i -> new StringBuilder())
                                .append(delta.path("partial_json").asText(""));
                        default -> { }
                    }
                }
                case "message_delta" -> {
                    if (data.path("delta").isObject()) {
                        message.setAll((ObjectNode) data.get("delta"));
                    }
                    if (data.path("usage").isObject()) {
                        ObjectNode usage = message.path("usage").isObject()
                                ? (ObjectNode) message.get("usage") : message.putObject("usage");
                        usage.setAll((ObjectNode) data.get("usage"));
                    }
                }
                default -> { }
            }
        }
        toolInput.forEach((index, json) -> {
            JsonNode input = Json.parse(json.toString());
            blocks.get(index).set("input", input != null ? input : Json.object());
        });
        ArrayNode content = message.putArray("content");
        blocks.values().forEach(content::add);
        return message;
    }

    private static void append(ObjectNode block, String field, JsonNode text) {
        if (text.isTextual()) {
            block.put(field, block.path(field).asText("") + text.textValue());
        }
    }
}
