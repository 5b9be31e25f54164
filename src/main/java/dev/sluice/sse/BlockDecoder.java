package dev.sluice.sse;

import java.nio.charset.StandardCharsets;

/** Parses the bytes of one held event block into an {@link SseEvent} by the WHATWG rules. */
final class BlockDecoder {

    private BlockDecoder() {}

    /** The event of a block whose lines each end in LF; null when a browser dispatches none. */
    static SseEvent event(byte[] bytes, int offset, int length) {
        StringBuilder data = null;
        String type = null;
        String id = null;
        Long retry = null;
        int end = offset + length;
        for (int from = offset; from < end; ) {
            int to = from;
            while (bytes[to] != '\n') {
                to++;
            }
            if (to > from && bytes[from] != ':') {
                int colon = from;
                while (colon < to && bytes[colon] != ':') {
                    colon++;
                }
                int value = colon + 1;
                if (value < to && bytes[value] == ' ') {
                    value++;
                }
                value = Math.min(value, to);
                String name = text(bytes, from, colon - from);
                switch (name) {
                    case "data" -> {
                        if (data == null) {
                            data = new StringBuilder(to - value);
                        } else {
                            data.append('\n');
                        }
                        data.append(text(bytes, value, to - value));
                    }
                    case "event" -> type = value == to ? null : text(bytes, value, to - value);
                    case "id" -> {
                        String v = text(bytes, value, to - value);
                        if (v.indexOf('\0') < 0) { // WHATWG: an id with NUL is ignored
                            id = v;
                        }
                    }
                    case "retry" -> {
                        Long parsed = digits(bytes, value, to);
                        if (parsed != null) {
                            retry = parsed;
                        }
                    }
                    default -> { } // unknown fields are ignored
                }
            }
            from = to + 1;
        }
        if (data == null && id == null && retry == null) {
            return null;
        }
        return new SseEvent(type, data == null ? null : data.toString(), id, retry);
    }

    /** The value when it is ASCII digits only and fits a long, else null (the field is ignored). */
    private static Long digits(byte[] bytes, int from, int to) {
        if (from == to || to - from > 18) {
            return null;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            if (bytes[i] < '0' || bytes[i] > '9') {
                return null;
            }
            value = value * 10 + (bytes[i] - '0');
        }
        return value;
    }

    /** UTF-8 text; invalid bytes become U+FFFD as the WHATWG decoder makes them. */
    static String text(byte[] bytes, int offset, int length) {
        String line = new String(bytes, offset, length, StandardCharsets.UTF_8);
        // An ASCII or Latin-1 line cannot hold U+FFFD, so the check is free on the common path.
        return line.indexOf('\uFFFD') < 0 ? line : whatwgText(bytes, offset, length);
    }

    /**
     * Java and WHATWG agree on every decoding error but one: UTF-8 for a surrogate (ED A0..BF ..)
     * is one error per byte to WHATWG and one in all to Java. An invalid lead byte in place of the
     * ED gives WHATWG's count; it is put into a copy, as the bytes may yet be forwarded.
     */
    private static String whatwgText(byte[] bytes, int offset, int length) {
        byte[] copy = new byte[length];
        System.arraycopy(bytes, offset, copy, 0, length);
        for (int i = 0; i < length - 1; i++) {
            if (copy[i] == (byte) 0xED && (copy[i + 1] & 0xE0) == 0xA0) {
                copy[i] = (byte) 0xFF;
            }
        }
        return new String(copy, StandardCharsets.UTF_8);
    }
}
