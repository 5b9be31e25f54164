package dev.sluice.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * One stream vector of the shared SSE corpus written out as Java data: the upstream's writes
 * (chunks) and what a browser must see. {@code comments} is null when the vector does not say.
 */
record Vector(String name, List<byte[]> chunks, List<BrowserView.Event> events, List<Long> retry,
        List<String> comments, int maxLineBytes) {

    static final byte[] BOM = hex("efbbbf");

    /** A vector whose chunks are strings (UTF-8) or byte arrays, each one write. */
    static Vector vector(String name, Object... chunks) {
        List<byte[]> list = new ArrayList<>();
        for (Object chunk : chunks) {
            list.add(chunk(chunk));
        }
        return new Vector(name, List.copyOf(list), List.of(), List.of(), null,
                SseReader.DEFAULT_MAX_LINE_BYTES);
    }

    /**
     * A stream sent one event per write, as the LLM APIs send them: an {@code event:} line unless
     * the type is the default, one {@code data:} line and a blank line. The input is built from
     * the expected events, which for these vectors is exactly the corpus's chunks.
     */
    static Vector oneWritePerEvent(String name, List<BrowserView.Event> events) {
        Object[] chunks = events.stream()
                .map(e -> (e.type().equals("message") ? "" : "event: " + e.type() + "\n")
                        + "data: " + e.data() + "\n\n")
                .toArray();
        return vector(name, chunks).events(events.toArray(BrowserView.Event[]::new));
    }

    /** One write made of several parts: strings (UTF-8) and raw byte arrays. */
    static byte[] chunk(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            out.writeBytes(switch (part) {
                case String text -> utf8(text);
                case byte[] raw -> raw;
                default -> throw new IllegalArgumentException("not a part: " + part);
            });
        }
        return out.toByteArray();
    }

    Vector events(BrowserView.Event... expected) {
        return new Vector(name, chunks, List.of(expected), retry, comments, maxLineBytes);
    }

    Vector retry(long... values) {
        List<Long> list = Arrays.stream(values).boxed().toList();
        return new Vector(name, chunks, events, list, comments, maxLineBytes);
    }

    Vector comments(String... expected) {
        return new Vector(name, chunks, events, retry, List.of(expected), maxLineBytes);
    }

    Vector maxLineBytes(int bound) {
        return new Vector(name, chunks, events, retry, comments, bound);
    }

    static BrowserView.Event event(String type, String data, String lastEventId) {
        return new BrowserView.Event(type, data, lastEventId);
    }

    /** An event of the default type with no last event ID. */
    static BrowserView.Event message(String data) {
        return event("message", data, "");
    }

    /** A JSON string as the LLM APIs write it: quotes, backslashes and LF escaped, the rest raw. */
    static String jsonString(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                + "\"";
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /**
     * Base64 of {@code bytes} pseudo-random bytes from mulberry32({@code seed}), the top eight
     * bits of each draw: the corpus's {@code random_base64} part. The corpus does not say how it
     * turns draws into bytes, so these may differ from its bytes; the vectors need only the shape,
     * one very long line of base64.
     */
    static String randomBase64(int bytes, int seed) {
        byte[] out = new byte[bytes];
        int state = seed;
        for (int i = 0; i < bytes; i++) {
            state += 0x6D2B79F5;
            int t = state;
            t = (t ^ (t >>> 15)) * (t | 1);
            t ^= t + (t ^ (t >>> 7)) * (t | 61);
            out[i] = (byte) ((t ^ (t >>> 14)) >>> 24);
        }
        return Base64.getEncoder().encodeToString(out);
    }

    /** The whole body, as one array. */
    byte[] bytes() {
        return ChunkedInputStream.concat(chunks);
    }

    /** Reads {@code in} to its end and checks the browser's view of what the reader returned. */
    void assertSeenIn(InputStream in, String play) throws IOException {
        BrowserView seen = BrowserView.of(Playback.items(in, maxLineBytes));
        assertEquals(events, seen.events(), () -> name + " events, " + play);
        assertEquals(retry, seen.retry(), () -> name + " retry, " + play);
        if (comments != null) {
            assertEquals(comments, seen.comments(), () -> name + " comments, " + play);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
