package dev.sluice.sse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Serialises events and comments to an output stream, one {@code write} call per item. A line
 * break inside data or a comment starts another {@code data:} or {@code :} line, so nothing
 * written can inject a field. Flushing is the caller's choice. Not thread-safe.
 */
public final class SseWriter {

    private final OutputStream out;
    private boolean unflushed;

    public SseWriter(OutputStream out) {
        this.out = out;
    }

    public void write(SseItem item) throws IOException {
        switch (item) {
            case SseEvent event -> event(event);
            case SseComment comment -> comment(comment.text());
        }
    }

    public void event(SseEvent event) throws IOException {
        // Built per item, not held: a stream's events mostly pass as bytes, so the builder would
        // sit idle for its whole life (held streams are many).
        StringBuilder text = new StringBuilder(128);
        if (event.type() != null) {
            text.append("event: ").append(event.type()).append('\n');
        }
        if (event.id() != null) {
            text.append("id: ").append(event.id()).append('\n');
        }
        if (event.retry() != null) {
            text.append("retry: ").append(event.retry()).append('\n');
        }
        if (event.data() != null) {
            lines(text, "data: ", event.data());
        }
        text.append('\n');
        send(text);
    }

    /** Writes a comment line, which every client ignores (keep-alives, relay notes). */
    public void comment(String comment) throws IOException {
        StringBuilder text = new StringBuilder(32 + comment.length());
        lines(text, ": ", comment);
        send(text);
    }

    /** Writes text as it is, outside the event-stream format (for plain-text clients). */
    public void raw(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        unflushed = true;
    }

    /**
     * Writes bytes as they are, such as an event's bytes as they were read: the caller answers
     * for them being whole lines of the event-stream format.
     */
    public void raw(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        unflushed = true;
    }

    /**
     * Flushes what was written since the last flush; does nothing when that is nothing.
     *
     * @return whether anything was flushed
     */
    public boolean flush() throws IOException {
        if (!unflushed) {
            return false;
        }
        unflushed = false;
        out.flush();
        return true;
    }

    private static void lines(StringBuilder text, String prefix, String value) {
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\n' || c == '\r') {
                text.append(prefix).append(value, start, i).append('\n');
                if (c == '\r' && i + 1 < value.length() && value.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        text.append(prefix).append(value, start, value.length()).append('\n');
    }

    private void send(StringBuilder text) throws IOException {
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
        unflushed = true;
    }
}
