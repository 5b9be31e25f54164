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
 * OpenAI's chat completions ({@code /chat/completions}) and every server that copies it: data-only
 * {@code chat.completion.chunk} events ending with {@code data: [DONE]}; errors as
 * {@code {"error": {"message", "type", "param", "code"}}}, in-band too.
 */
public final class OpenAiChat implements Dialect {

    /** The end, an error or usage; an escape could spell the names ({@link Json#mayHoldObject}). */
    private static final Markers MARKERS = new Markers("\"error\"", "\"usage\"", "[DONE]", "\\u");

    public static final String DONE = "[DONE]";

    @Override
    public String name() {
        return "openai-chat";
    }

    @Override
    public Header credential(Secret key) {
        return new Header("Authorization", "Bearer " + key.value());
    }

    @Override
    public boolean isTerminal(SseEvent event) {
        return event.data() != null && DONE.equals(event.data().strip());
    }

    @Override
    public List<SseEvent> errorEvents(String message, String type) {
        return List.of(SseEvent.of(envelope(message, type).toString()), SseEvent.of(DONE));
    }

    @Override
    public List<SseEvent> stopEvents() {
        return List.of(SseEvent.of(DONE));
    }

    @Override
    public byte[] errorBody(int status, String message, String type) {
        return Json.bytes(envelope(message, type));
    }

    static ObjectNode envelope(String message, String type) {
        ObjectNode root = Json.object();
        root.putObject("error").put("message", message).put("type", type).putNull("param")
                .putNull("code");
        return root;
    }

    @Override
    public OptionalInt errorStatus(SseEvent event) {
        return openAiErrorStatus(event);
    }

    /**
     * A chunk whose choices add nothing to the answer yet: only the role, an empty content, no
     * tool call and no end; or, as Azure OpenAI opens, no choices and no usage.
     */
    @Override
    public boolean isPreamble(SseEvent event) {
        JsonNode chunk = Json.parse(event.data());
        if (chunk == null || !chunk.isObject() || chunk.has("error")
                || chunk.hasNonNull("usage") || !chunk.path("choices").isArray()) {
            return false;
        }
        for (JsonNode choice : chunk.path("choices")) {
            if (choice.hasNonNull("finish_reason")) {
                return false;
            }
            for (Map.Entry<String, JsonNode> field : choice.path("delta").properties()) {
                JsonNode value = field.getValue();
                boolean empty = value.isNull() || value.isTextual() && value.textValue().isEmpty();
                if (!"role".equals(field.getKey()) && !empty) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public boolean isError(SseEvent event) {
        return isOpenAiError(event);
    }

    /**
     * An {@code {"error": ...}} event, whatever its spacing and whatever the error's shape; text
     * that names an error but does not parse (a truncated error) counts as one.
     */
    static boolean isOpenAiError(SseEvent event) {
        String data = event.data();
        if (data == null || !data.contains("\"error\"")) {
            return false;
        }
        JsonNode root = Json.parse(data);
        return root == null || root.hasNonNull("error");
    }

    /** For an {@code {"error": {...}}} event: its numeric code, or one its type suggests. */
    static OptionalInt openAiErrorStatus(SseEvent event) {
        String data = event.data();
        if (!Json.mayHoldObject(data, "error")) {
            return OptionalInt.empty();
        }
        JsonNode root = Json.parse(data);
        JsonNode error = root == null ? null : root.path("error");
        if (error == null || !error.isObject()) {
            return OptionalInt.empty();
        }
        int code = error.path("code").asInt(0);
        if (code >= 400 && code <= 599) {
            return OptionalInt.of(code);
        }
        return OptionalInt.of(Json.statusOf(error.path("type").asText("") + " "
                + error.path("code").asText("")));
    }

    @Override
    public String maxTokensField() {
        return "max_completion_tokens";
    }

    @Override
    public boolean requestUsage(ObjectNode body) {
        if (!body.path("stream").asBoolean(false)
                || body.path("stream_options").path("include_usage").asBoolean(false)) {
            return false;
        }
        JsonNode options = body.path("stream_options");
        ObjectNode withUsage = options.isObject() ? (ObjectNode) options
                : body.putObject("stream_options");
        withUsage.put("include_usage", true);
        return true;
    }

    @Override
    public boolean isRequestedUsage(SseEvent event) {
        // The usage chunk is the only one with an empty choices list and a usage object.
        if (!mayReportUsage(event)) {
            return false;
        }
        JsonNode chunk = Json.parse(event.data());
        return chunk != null && chunk.path("usage").isObject()
                && chunk.path("choices").isArray() && chunk.path("choices").isEmpty();
    }

    @Override
    public boolean mayReportUsage(SseEvent event) {
        return Json.mayHoldObject(event.data(), "usage");
    }

    @Override
    public boolean mayMatter(byte[] bytes, int offset, int length) {
        return MARKERS.foundIn(bytes, offset, length);
    }

    @Override
    public String text(SseEvent event) {
        JsonNode chunk = Json.parse(event.data());
        if (chunk == null) {
            return null;
        }
        JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
        return content.isTextual() ? content.textValue() : null;
    }

    @Override
    public Usage usage(List<SseEvent> events) {
        for (int i = events.size() - 1; i >= 0; i--) {
            if (mayReportUsage(events.get(i))) {
                JsonNode chunk = Json.parse(events.get(i).data());
                if (chunk != null && chunk.path("usage").isObject()) {
                    return usage(chunk);
                }
            }
        }
        return Usage.UNKNOWN;
    }

    @Override
    public Usage usage(JsonNode answer) {
        return Json.usage(answer.path("usage"), "prompt_tokens", "completion_tokens");
    }

    /**
     * One {@code chat.completion}: content joined, tool calls merged from their deltas. Tool
     * calls are held by their index, never in an array padded up to it: a delta that names
     * index 50,000,000 is one call, not fifty million.
     */
    @Override
    public JsonNode assemble(List<SseEvent> events) {
        ObjectNode completion = Json.object();
        Map<Integer, ObjectNode> messages = new TreeMap<>();
        Map<Integer, TreeMap<Integer, ObjectNode>> calls = new TreeMap<>();
        Map<Integer, JsonNode> finishes = new TreeMap<>();
        for (SseEvent event : events) {
            JsonNode chunk = Json.parse(event.data());
            if (chunk == null || !chunk.isObject()) {
                continue;
            }
            for (String field : List.of("id", "created", "model", "system_fingerprint")) {
                if (!completion.has(field) && chunk.hasNonNull(field)) {
                    completion.set(field, chunk.get(field));
                }
            }
            if (chunk.path("usage").isObject()) {
                completion.set("usage", chunk.get("usage"));
            }
            for (JsonNode choice : chunk.path("choices")) {
                int index = choice.path("index").asInt(0);
                ObjectNode message = messages.computeIfAbsent(index,
                        i -> Json.object().put("role", "assistant"));
                merge(message, calls.computeIfAbsent(index, i -> new TreeMap<>()),
                        choice.path("delta"));
                if (choice.hasNonNull("finish_reason")) {
                    finishes.put(index, choice.get("finish_reason"));
                }
            }
        }
        completion.put("object", "chat.completion");
        ArrayNode choices = completion.putArray("choices");
        messages.forEach((index, message) -> {
            if (!calls.get(index).isEmpty()) {
                calls.get(index).values().forEach(message.putArray("tool_calls")::add);
            }
            ObjectNode choice = choices.addObject().put("index", index);
            choice.set("message", message);
            choice.set("finish_reason", finishes.get(index));
        });
        return completion;
    }

    private static void merge(ObjectNode message, TreeMap<Integer, ObjectNode> calls,
            JsonNode delta) {
        if (delta.path("role").isTextual()) {
            message.put("role", delta.get("role").textValue());
        }
        for (String field : List.of("content", "refusal", "reasoning_content")) {
            if (delta.path(field).isTextual()) {
                message.put(field, message.path(field).asText("") + delta.get(field).textValue());
            }
        }
        for (JsonNode call : delta.path("tool_calls")) {
            Integer index = callIndex(call.path("index"), calls);
            if (index == null) {
                continue; // no index a call could have: nothing to merge it into
            }
            ObjectNode merged = calls.computeIfAbsent(index, i -> {
                ObjectNode fresh = Json.object();
                fresh.putObject("function").put("arguments", "");
                return fresh;
            });
            for (String field : List.of("id", "type")) {
                if (call.path(field).isTextual()) {
                    merged.put(field, call.get(field).textValue());
                }
            }
            ObjectNode function = (ObjectNode) merged.get("function");
            JsonNode part = call.path("function");
            if (part.path("name").isTextual()) {
                function.put("name",
                        function.path("name").asText("") + part.get("name").textValue());
            }
            if (part.path("arguments").isTextual()) {
                function.put("arguments", function.path("arguments").asText("")
                        + part.get("arguments").textValue());
            }
        }
    }

    /** A delta's call index; without one, a new call after the last; null when it is no index. */
    private static Integer callIndex(JsonNode index, TreeMap<Integer, ObjectNode> calls) {
        if (index.isMissingNode()) {
            if (calls.isEmpty()) {
                return 0;
            }
            return calls.lastKey() < Integer.MAX_VALUE ? calls.lastKey() + 1 : null;
        }
        if (index.isIntegralNumber() && index.canConvertToInt() && index.intValue() >= 0) {
            return index.intValue();
        }
        return null;
    }
}
