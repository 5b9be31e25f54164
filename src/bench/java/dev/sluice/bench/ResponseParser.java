package dev.sluice.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Follows one streamed HTTP/1.1 response as its bytes arrive: status line and headers, chunked or
 * close-delimited body, the event stream's {@code data:} lines, and the {@code "i"} and
 * {@code "t"} stamps at the end of each event's JSON; not thread-safe, allocates nothing per event.
 */
final class ResponseParser {

    private static final int HEAD = 0;
    private static final int SIZE = 1;
    private static final int DATA = 2;
    private static final int DATA_END = 3;
    private static final int TRAILER = 4;
    private static final int RAW = 5;
    private static final int COMPLETE = 6;
    private static final byte[] DATA_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_LINE = 1 << 16;

    private final Latencies latencies;
    private int state = HEAD;
    private byte[] head = new byte[512];
    private int headLength;
    private long chunkLeft;
    private boolean extension;
    private int trailerLine;
    private byte[] line = new byte[512];
    private int lineLength;

    private int status = -1;
    private long sentMicros;
    private long firstByteMicros;
    private long lastMicros;
    private long longestGapMicros;
    private int events;
    private boolean done;
    private String error;

    ResponseParser(Latencies latencies) {
        this.latencies = latencies;
    }

    void sent(long micros) {
        sentMicros = micros;
        lastMicros = micros;
    }

    /** Takes the next bytes of the response, all received at {@code micros}. */
    void feed(byte[] bytes, int offset, int length, long micros) {
        if (firstByteMicros == 0) {
            firstByteMicros = micros;
        }
        int at = offset;
        int end = offset + length;
        while (at < end && state != COMPLETE && error == null) {
            switch (state) {
                case HEAD -> at = head(bytes, at, end);
                case SIZE -> at = size(bytes, at, end);
                case DATA -> {
                    int n = (int) Math.min(chunkLeft, end - at);
                    body(bytes, at, n, micros);
                    at += n;
                    chunkLeft -= n;
                    if (chunkLeft == 0) {
                        state = DATA_END;
                    }
                }
                case DATA_END -> {
                    if (bytes[at++] == '\n') {
                        state = SIZE;
                    }
                }
                case TRAILER -> {
                    byte b = bytes[at++];
                    if (b == '\n') {
                        state = trailerLine == 0 ? COMPLETE : TRAILER;
                        trailerLine = 0;
                    } else if (b != '\r') {
                        trailerLine++;
                    }
                }
                default -> { // RAW: the body runs to the end of the connection
                    body(bytes, at, end - at, micros);
                    at = end;
                }
            }
        }
    }

    /** The server closed the connection. */
    void closed() {
        if (state != RAW && state != COMPLETE && error == null) {
            error = "connection closed before the end of the response";
        }
        state = COMPLETE;
    }

    void fail(String reason) {
        if (error == null) {
            error = reason;
        }
    }

    boolean complete() {
        return state == COMPLETE || error != null;
    }

    /** Why the stream failed, or null: a wrong status, a broken body, a lost or missing event. */
    String error(int expectedEvents) {
        if (error != null) {
            return error;
        }
        if (status != 200) {
            return "HTTP status " + status;
        }
        if (events != expectedEvents || !done) {
            return "received " + events + " of " + expectedEvents + " events"
                    + (done ? "" : " and no [DONE]");
        }
        return null;
    }

    boolean gotFirstByte() {
        return firstByteMicros != 0;
    }

    long firstByteMicros() {
        return firstByteMicros - sentMicros;
    }

    long lastMicros() {
        return lastMicros;
    }

    long longestGapMicros() {
        return longestGapMicros;
    }

    int events() {
        return events;
    }

    private int head(byte[] bytes, int at, int end) {
        while (at < end) {
            if (headLength == head.length) {
                if (headLength >= MAX_LINE) {
                    error = "response head too long";
                    return end;
                }
                head = Arrays.copyOf(head, headLength * 2);
            }
            byte b = head[headLength++] = bytes[at++];
            if (b == '\n' && headLength >= 4 && head[headLength - 3] == '\n') {
                String text = new String(head, 0, headLength, StandardCharsets.ISO_8859_1);
                head = null;
                String[] lines = text.split("\r\n");
                String[] statusLine = lines[0].split(" ");
                status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
                state = RAW;
                for (String header : lines) {
                    String lower = header.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        state = SIZE;
                    }
                }
                return at;
            }
        }
        return at;
    }

    private int size(byte[] bytes, int at, int end) {
        while (at < end) {
            byte b = bytes[at++];
            int digit = Character.digit(b, 16);
            if (b == '\n') {
                state = chunkLeft == 0 ? TRAILER : DATA;
                extension = false;
                return at;
            } else if (b == ';') {
                extension = true; // ignored up to the line's end
            } else if (digit >= 0 && !extension) {
                chunkLeft = chunkLeft * 16 + digit;
            }
        }
        return at;
    }

    private void body(byte[] bytes, int at, int length, long micros) {
        int end = at + length;
        while (at < end) {
            int newline = at;
            while (newline < end && bytes[newline] != '\n') {
                newline++;
            }
            append(bytes, at, newline - at);
            if (newline == end) {
                return;
            }
            at = newline + 1;
            int length0 = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1
                    : lineLength;
            line(length0, micros);
            lineLength = 0;
        }
    }

    private void append(byte[] bytes, int at, int length) {
        if (lineLength + length > line.length) {
            if (lineLength + length > MAX_LINE) {
                error = "event line longer than " + MAX_LINE + " bytes";
                return;
            }
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
        }
        System.arraycopy(bytes, at, line, lineLength, length);
        lineLength += length;
    }

    private void line(int length, long micros) {
        if (length == DONE.length && Arrays.equals(line, 0, length, DONE, 0, length)) {
            done = true;
            return;
        }
        int prefix = DATA_PREFIX.length;
        if (length < prefix || !Arrays.equals(line, 0, prefix, DATA_PREFIX, 0, prefix)) {
            return;
        }
        // The event ends ..."i":123,"t":1700000000000000}
        int at = length - 2;
        long sent = 0;
        for (long scale = 1; at > 0 && line[at] >= '0' && line[at] <= '9'; at--, scale *= 10) {
            sent += (line[at] - '0') * scale;
        }
        at -= 5; // back over ,"t":
        int index = 0;
        for (int scale = 1; at > 0 && line[at] >= '0' && line[at] <= '9'; at--, scale *= 10) {
            index += (line[at] - '0') * scale;
        }
        if (line[length - 1] != '}' || at < 0 || line[at] != ':' || line[at - 1] != '"'
                || line[at - 2] != 'i' || sent == 0) {
            error = "event without the stamps \"i\" and \"t\" at its end";
            return;
        }
        if (index != events) {
            error = "event " + index + " arrived as number " + events;
            return;
        }
        events++;
        latencies.add(sent, micros);
        longestGapMicros = Math.max(longestGapMicros, micros - lastMicros);
        lastMicros = micros;
    }
}
