package dev.sluice.sse;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blocking reader of a {@code text/event-stream} that follows the WHATWG parsing rules and
 * returns each event block and comment as it completes. Call {@link #next()} from one thread.
 */
public final class SseReader implements Closeable {

    /** The default bound on one line, in bytes: long enough for any model chunk, short of abuse. */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    private final InputStream in;
    private final LineScanner lines;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type;
    private String id;
    private Long retry;

    public SseReader(InputStream in) {
        this(in, DEFAULT_MAX_LINE_BYTES);
    }

    public SseReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.lines = new LineScanner(in, maxLineBytes);
    }

    /**
     * The next event block or comment, or null at the end of the stream. A block that is still
     * open at the end (no blank line after it) is dropped, as a browser drops it.
     *
     * @throws LineTooLongException when a line exceeds the bound
     */
    public SseItem next() throws IOException {
        String line;
        while ((line = lines.nextLine()) != null) {
            if (line.isEmpty()) {
                SseEvent event = dispatch();
                if (event != null) {
                    return event;
                }
            } else if (line.charAt(0) == ':') {
                return new SseComment(valueAfter(line, 0));
            } else {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    field(line, "");
                } else {
                    field(line.substring(0, colon), valueAfter(line, colon));
                }
            }
        }
        return null;
    }

    private static String valueAfter(String line, int colon) {
        int start = colon + 1;
        if (start < line.length() && line.charAt(start) == ' ') {
            start++;
        }
        return line.substring(start);
    }

    private void field(String name, String value) {
        switch (name) {
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            case "event" -> type = value.isEmpty() ? null : value;
            case "id" -> {
                if (value.indexOf('\0') < 0) { // WHATWG: an id with NUL is ignored
                    id = value;
                }
            }
            case "retry" -> {
                Long parsed = digits(value);
                if (parsed != null) {
                    retry = parsed;
                }
            }
            default -> { } // unknown fields are ignored
        }
    }

    /** The value when it is ASCII digits only and fits a long, else null (the field is ignored). */
    private static Long digits(String value) {
        if (value.isEmpty() || value.length() > 18) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        return Long.parseLong(value);
    }

    private SseEvent dispatch() {
        SseEvent event = null;
        if (hasData || id != null || retry != null) {
            event = new SseEvent(type, hasData ? data.toString() : null, id, retry);
        }
        data.setLength(0);
        hasData = false;
        type = null;
        id = null;
        retry = null;
        return event;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
