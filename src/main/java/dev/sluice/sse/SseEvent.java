package dev.sluice.sse;

/**
 * One event block as it appeared on the wire. A null field was absent from the block: a null
 * {@code type} means the default ({@code message}); a null {@code data} means the block carried
 * only an {@code id} or {@code retry}, which a browser applies without dispatching an event.
 *
 * <p>Single-line fields cannot hold CR, LF or NUL, so no event can inject extra fields when it
 * is written out again.
 */
public record SseEvent(String type, String data, String id, Long retry) implements SseItem {

    public SseEvent {
        requireSingleLine("type", type);
        requireSingleLine("id", id);
        if (id != null && id.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("id must not contain NUL");
        }
        if (retry != null && retry < 0) {
            throw new IllegalArgumentException("retry must not be negative: " + retry);
        }
    }

    /** An unnamed event carrying {@code data}. */
    public static SseEvent of(String data) {
        return new SseEvent(null, data, null, null);
    }

    /** An event of the given type carrying {@code data}. */
    public static SseEvent of(String type, String data) {
        return new SseEvent(type, data, null, null);
    }

    private static void requireSingleLine(String field, String value) {
        if (value != null && (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0)) {
            throw new IllegalArgumentException(field + " must not contain CR or LF");
        }
    }
}
