package dev.sluice.dialect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.OptionalInt;

/**
 * Any other event stream, forwarded faithfully: it ends when the upstream closes; a failure is
 * reported as {@code event: error} with an OpenAI-style envelope, which generic clients can read.
 */
public final class PlainSse implements Dialect {

    /** Errors, by type or by OpenAI's shape, which are scrubbed. */
    private static final Markers MARKERS = new Markers("error");

    @Override
    public String name() {
        return "sse";
    }

    @Override
    public Header credential(Secret key) {
        return new Header("Authorization", "Bearer " + key.value());
    }

    @Override
    public boolean isTerminal(SseEvent event) {
        return false;
    }

    @Override
    public List<SseEvent> errorEvents(String message, String type) {
        return List.of(SseEvent.of("error", OpenAiChat.envelope(message, type).toString()));
    }

    @Override
    public byte[] errorBody(int status, String message, String type) {
        return Json.bytes(OpenAiChat.envelope(message, type));
    }

    @Override
    public OptionalInt errorStatus(SseEvent event) {
        return OptionalInt.empty(); // an unknown stream's events are never second-guessed
    }

    /** What Sluice itself sends as an error, and OpenAI's shape, which generic servers copy. */
    @Override
    public boolean isError(SseEvent event) {
        return "error".equals(event.type()) || OpenAiChat.isOpenAiError(event);
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
        return event.data();
    }

    @Override
    public Usage usage(List<SseEvent> events) {
        return Usage.UNKNOWN;
    }

    /** The events as they came: type, id and data of each. */
    @Override
    public JsonNode assemble(List<SseEvent> events) {
        ArrayNode all = Json.MAPPER.createArrayNode();
        for (SseEvent event : events) {
            ObjectNode e = all.addObject().put("event", event.type() == null ? "message"
                    : event.type());
            if (event.id() != null) {
                e.put("id", event.id());
            }
            e.put("data", event.data());
        }
        return all;
    }
}
