package dev.sluice.dialect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.Secret;
import dev.sluice.sse.SseEvent;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;

/**
 * What differs between providers: how to pass the key, which event ends a stream, how errors
 * look, how to read text and usage out of events. The relay loop asks; it never parses provider
 * JSON itself. Implementations are stateless and thread-safe.
 */
public interface Dialect {

    /** An HTTP header to send upstream. */
    record Header(String name, String value) {}

    /** Token counts the upstream reported; a count it never sent is null, never zero. */
    record Usage(Long input, Long output) {
        public static final Usage UNKNOWN = new Usage(null, null);
    }

    String name();

    /** The header that carries the upstream key. */
    Header credential(Secret key);

    /** True for the event after which the upstream sends nothing more. */
    boolean isTerminal(SseEvent event);

    /** What ends a stream in-band after a failure: an error event, and the terminal if any. */
    List<SseEvent> errorEvents(String message, String type);

    /**
     * What ends a stream that Sluice stopped, as the provider ends a stream (OpenAI's
     * {@code [DONE]}), so that a client finishes as it would at a normal end; empty for a
     * dialect whose end cannot be written without the provider's own content.
     */
    default List<SseEvent> stopEvents() {
        return List.of();
    }

    /** A JSON error body in this provider's shape, for a refusal before any stream. */
    byte[] errorBody(int status, String message, String type);

    /**
     * The HTTP status that fits an event that is an error, as some providers send one with a 200
     * in place of an error status; empty for any other event.
     */
    OptionalInt errorStatus(SseEvent event);

    /** The request field that caps output tokens, or null when the dialect has none. */
    String maxTokensField();

    /**
     * Asks the upstream for what the transcript needs (OpenAI: usage in streams).
     *
     * @return true if the request was changed in a way the client must not see in the answer
     */
    default boolean requestUsage(ObjectNode body) {
        return false;
    }

    /** True for an event the relay asked for and the client did not ({@link #requestUsage}). */
    default boolean isRequestedUsage(SseEvent event) {
        return false;
    }

    /**
     * A cheap look at an event's bytes as read (its field lines, each ending in LF): false only
     * when the event cannot be terminal, an error, a usage report or the relay's own usage, so
     * that it is forwarded without being decoded. True selects an event for a closer look; it
     * never decides.
     */
    default boolean mayMatter(byte[] bytes, int offset, int length) {
        return true;
    }

    /**
     * True for an event of a stream's opening that carries nothing of the answer yet (OpenAI
     * Responses' {@code response.created}, Anthropic's {@code message_start} and {@code ping},
     * a chat chunk with only the role): the relay holds these back and commits the response on
     * the first event after them, so that an error the provider sends after its opening can
     * still become an HTTP error or a fallback. Asked only of a stream's first events.
     */
    default boolean isPreamble(SseEvent event) {
        return false;
    }

    /** The text this event adds to the answer, or null. */
    String text(SseEvent event);

    /**
     * True for an event that may report usage: a cheap check on its bytes or its type that picks
     * the events {@link #usage(List)} must see, whatever else a transcript drops.
     */
    default boolean mayReportUsage(SseEvent event) {
        return false;
    }

    /**
     * The usage reported by the events of a stream (at least those {@link #mayReportUsage}
     * picked); an event that is not what it seemed reports none. Never throws.
     */
    Usage usage(List<SseEvent> events);

    /** The usage in a whole, non-streamed answer; never throws. */
    default Usage usage(JsonNode answer) {
        return Usage.UNKNOWN;
    }

    /** The stream assembled into the provider's non-streamed answer. */
    JsonNode assemble(List<SseEvent> events);

    /**
     * The body to send a client for an upstream's non-2xx answer: the upstream's own JSON when it
     * is JSON (it is already in the provider's shape), else this dialect's envelope quoting the
     * start of its text; every string, field names included, passes through {@code scrub} first
     * (text before it is cut).
     */
    default byte[] upstreamErrorBody(int status, byte[] body, UnaryOperator<String> scrub) {
        JsonNode json = Json.parse(body);
        if (json != null && json.isObject()) {
            return Json.bytes(Json.scrubbed(json, scrub));
        }
        return errorBody(status, Json.quote(status, body, scrub), "upstream_error");
    }

    /**
     * True for an event that reports an error, wherever it falls in a stream: only these are
     * opened on the way to the client, to scrub them of secrets. A cheap look at the text comes
     * before any parse, so ordinary events cost next to nothing.
     */
    default boolean isError(SseEvent event) {
        return errorStatus(event).isPresent();
    }

    /**
     * {@code event} as a client may see it: an {@linkplain #isError error event} with its id and
     * every string of its data (JSON field names included) passed through {@code scrub}; any
     * other event as it is, the same instance.
     */
    default SseEvent scrubbed(SseEvent event, UnaryOperator<String> scrub) {
        if (!isError(event)) {
            return event;
        }
        return new SseEvent(event.type(),
                event.data() == null ? null : Json.scrubbedText(event.data(), scrub),
                event.id() == null ? null : scrub.apply(event.id()), event.retry());
    }
}
