package dev.sluice.dialect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.OptionalInt;

/**
 * CustomGPT's conversation stream: data-only events {@code {"status": "progress", "message"}}
 * ending with one whose status is {@code finish}; errors as
 * {@code {"status": "error", "data": {"code", "message"}}}.
 */
public final class CustomGpt implements Dialect {

    /** The finish and error statuses; an escape could spell them. */
    private static final Markers MARKERS = new Markers("\"finish\"", "\"error\"", "\\u");

    @Override
    public String name() {
        return "customgpt";
    }

    @Override
    public Header credential(Secret key) {
        return new Header("Authorization", "Bearer " + key.value());
    }

    @Override
    public boolean isTerminal(SseEvent event) {
        String data = event.data();
        return Json.mayMention(data, "finish") && "finish".equals(status(Json.parse(data)));
    }

    private static String status(JsonNode data) {
        return data == null ? null : data.path("status").asText(null);
    }

    @Override
    public List<SseEvent> errorEvents(String message, String type) {
        return List.of(SseEvent.of(envelope(502, message).toString()));
    }

    @Override
    public byte[] errorBody(int status, String message, String type) {
        return Json.bytes(envelope(status, message));
    }

    private static ObjectNode envelope(int status, String message) {
        ObjectNode root = Json.object().put("status", "error");
        root.putObject("data").put("code", status).put("message", message);
        return root;
    }

    @Override
    public OptionalInt errorStatus(SseEvent event) {
        String data = event.data();
        if (!Json.mayMention(data, "error")) {
            return OptionalInt.empty();
        }
        JsonNode root = Json.parse(data);
        if (!"error".equals(status(root))) {
            return OptionalInt.empty();
        }
        int code = root.path("data").path("code").asInt(0);
        return OptionalInt.of(code >= 400 && code <= 599 ? code : 502);
    }

    /** As {@link #errorStatus}, and text that names an error but does not parse. */
    @Override
    public boolean isError(SseEvent event) {
        String data = event.data();
        if (data == null || !data.contains("\"error\"")) {
            return false;
        }
        JsonNode root = Json.parse(data);
        return root == null || "error".equals(status(root));
    }

    @Override
    public String maxTokensField() {
        return null;
    }

    @Override
    public boolean mayMatter(byte[] bytes, int offset, int length) {
        return MARKERS.foundIn(bytes, offset, length);
    }

    @Override
    public String text(SseEvent event) {
        JsonNode data = Json.parse(event.data());
        return data != null && "progress".equals(status(data)) && data.path("message").isTextual()
                ? data.get("message").textValue() : null;
    }

    @Override
    public Usage usage(List<SseEvent> events) {
        return Usage.UNKNOWN; // CustomGPT's stream reports no token counts
    }

    /** The whole text, with the fields of the finish event (citations, ids). */
    @Override
    public JsonNode assemble(List<SseEvent> events) {
        StringBuilder text = new StringBuilder();
        ObjectNode answer = Json.object();
        for (SseEvent event : events) {
            String part = text(event);
            if (part != null) {
                text.append(part);
            } else if (isTerminal(event)) {
                answer.setAll((ObjectNode) Json.parse(event.data()));
            }
        }
        return answer.put("message", text.toString());
    }
}
