package dev.sluice.dialect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.sse.SseEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;

/**
 * What is particular to OpenAI's chat completions stream: its end-of-stream sentinel and its
 * error envelope {@code {"error": {"message", "type", "param", "code"}}}. Thread-safe.
 */
public final class OpenAiDialect {

    public static final String DONE = "[DONE]";
    private static final int MAX_QUOTED_CHARS = 500;

    private final ObjectMapper json = new ObjectMapper();

    /** True for the event after which the upstream sends nothing more. */
    public boolean isTerminal(SseEvent event) {
        return DONE.equals(event.data());
    }

    /**
     * The HTTP status that fits an event when it is an error envelope, as some providers send one
     * with a 200 in place of an error status; empty for any other event.
     */
    public OptionalInt errorStatus(SseEvent event) {
        String data = event.data();
        if (data == null || !data.startsWith("{") || !data.contains("\"error\"")) {
            return OptionalInt.empty();
        }
        JsonNode error;
        try {
            error = json.readTree(data).path("error");
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        if (!error.isObject()) {
            return OptionalInt.empty();
        }
        int code = error.path("code").asInt(0);
        if (code >= 400 && code <= 599) {
            return OptionalInt.of(code);
        }
        String kind = error.path("type").asText("") + " " + error.path("code").asText("");
        if (kind.contains("rate_limit") || kind.contains("insufficient_quota")) {
            return OptionalInt.of(429);
        }
        if (kind.contains("invalid_api_key") || kind.contains("authentication")) {
            return OptionalInt.of(401);
        }
        if (kind.contains("invalid_request")) {
            return OptionalInt.of(400);
        }
        return OptionalInt.of(502);
    }

    /** The event that ends a stream for every OpenAI client. */
    public SseEvent terminal() {
        return SseEvent.of(DONE);
    }

    /** An in-band error event, as OpenAI itself sends one mid-stream. */
    public SseEvent errorEvent(String message, String type) {
        return SseEvent.of(error(message, type).toString());
    }

    /** A JSON error body for a refused or failed request. */
    public byte[] errorBody(String message, String type) {
        return bytes(error(message, type));
    }

    /**
     * The body to send a client for an upstream's non-2xx answer: the upstream's own error
     * envelope when it has one, else an envelope that quotes the start of its text; every string
     * passes through {@code scrub} first.
     */
    public byte[] upstreamErrorBody(int status, byte[] body, UnaryOperator<String> scrub) {
        try {
            JsonNode root = json.readTree(body);
            if (root != null && root.path("error").isObject()) {
                return bytes(scrubbed(root, scrub));
            }
        } catch (IOException e) {
            // not JSON: quoted below
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.length() > MAX_QUOTED_CHARS) {
            text = text.substring(0, MAX_QUOTED_CHARS) + "...";
        }
        String message = "upstream answered HTTP " + status + (text.isEmpty() ? "" : ": " + text);
        return errorBody(scrub.apply(message), "upstream_error");
    }

    private static JsonNode scrubbed(JsonNode node, UnaryOperator<String> scrub) {
        if (node.isTextual()) {
            return TextNode.valueOf(scrub.apply(node.textValue()));
        }
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                field.setValue(scrubbed(field.getValue(), scrub));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                ((ArrayNode) node).set(i, scrubbed(node.get(i), scrub));
            }
        }
        return node;
    }

    private ObjectNode error(String message, String type) {
        ObjectNode root = json.createObjectNode();
        root.putObject("error")
                .put("message", message)
                .put("type", type)
                .putNull("param")
                .putNull("code");
        return root;
    }

    private byte[] bytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
