package dev.sluice.dialect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * OpenAI's Responses API ({@code /responses}): named events such as
 * {@code response.output_text.delta}, ending with {@code response.completed} (or
 * {@code .failed}, {@code .incomplete}); the final event carries the whole response.
 */
public final class OpenAiResponses implements Dialect {

    /** The end events by type, errors by type or shape, and usage. */
    private static final Markers MARKERS = new Markers("response.completed",
            "response.failed", "response.incomplete", "error", "\"usage\"", "\\u");

    private static final Set<String> TERMINAL = Set.of(
            "response.completed", "response.failed", "response.incomplete");

    @Override
    public String name() {
        return "openai-responses";
    }

    @Override
    public Header credential(Secret key) {
        return new Header("Authorization", "Bearer " + key.value());
    }

    @Override
    public boolean isTerminal(SseEvent event) {
        return event.type() != null && TERMINAL.contains(event.type());
    }

    @Override
    public boolean isPreamble(SseEvent event) {
        String type = event.type();
        if (type == null) { // a server that names its events only in the data
            JsonNode root = Json.parse(event.data());
            type = root == null ? null : root.path("type").asText(null);
        }
        return "response.created".equals(type) || "response.in_progress".equals(type);
    }

    @Override
    public List<SseEvent> errorEvents(String message, String type) {
        return List.of(SseEvent.of("error", Json.object().put("type", "error").put("code", type)
                .put("message", message).putNull("param").toString()));
    }

    @Override
    public byte[] errorBody(int status, String message, String type) {
        return Json.bytes(OpenAiChat.envelope(message, type));
    }

    @Override
    public OptionalInt errorStatus(SseEvent event) {
        if (!"error".equals(event.type())) {
            return OpenAiChat.openAiErrorStatus(event);
        }
        JsonNode root = Json.parse(event.data());
        String words = root == null ? "" : root.path("code").asText("") + " "
                + root.path("type").asText("");
        return OptionalInt.of(Json.statusOf(words));
    }

    @Override
    public boolean isError(SseEvent event) {
        return "error".equals(event.type()) || "response.failed".equals(event.type())
                || OpenAiChat.isOpenAiError(event);
    }

    @Override
    public String maxTokensField() {
        return "max_output_tokens";
    }

    @Override
    public boolean mayMatter(byte[] bytes, int offset, int length) {
        return MARKERS.foundIn(bytes, offset, length);
    }

    @Override
    public String text(SseEvent event) {
        if (!"response.output_text.delta".equals(event.type())) {
            return null;
        }
        JsonNode delta = Json.parse(event.data());
        return delta == null || !delta.path("delta").isTextual() ? null
                : delta.get("delta").textValue();
    }

    @Override
    public boolean mayReportUsage(SseEvent event) {
        return event.type() != null && event.type().startsWith("response.")
                && Json.mayHoldObject(event.data(), "usage");
    }

    /** The usage of the last response that has one: the terminal event's, normally. */
    @Override
    public Usage usage(List<SseEvent> events) {
        for (int i = events.size() - 1; i >= 0; i--) {
            if (mayReportUsage(events.get(i))) {
                JsonNode data = Json.parse(events.get(i).data());
                if (data != null && data.path("response").path("usage").isObject()) {
                    return usage(data.get("response"));
                }
            }
        }
        return Usage.UNKNOWN;
    }

    @Override
    public Usage usage(JsonNode answer) {
        return Json.usage(answer.path("usage"), "input_tokens", "output_tokens");
    }

    /** The response of the terminal event, which carries it whole; else the last one seen. */
    @Override
    public JsonNode assemble(List<SseEvent> events) {
        for (int i = events.size() - 1; i >= 0; i--) {
            SseEvent event = events.get(i);
            if (event.type() != null && event.type().startsWith("response.")) {
                JsonNode data = Json.parse(event.data());
                if (data != null && data.path("response").isObject()) {
                    return data.get("response");
                }
            }
        }
        ObjectNode empty = Json.object();
        return empty;
    }
}
