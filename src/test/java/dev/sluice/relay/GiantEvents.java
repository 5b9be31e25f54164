package dev.sluice.relay;

import dev.sluice.testing.FakeUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streams whose events are single lines of megabytes, as OpenAI's image generation sends them
 * ({@code partial_image_b64}), and an upstream script that writes them in reads of a chosen size.
 */
final class GiantEvents {

    private GiantEvents() {}

    /** A chat stream: one event whose data line is about {@code bytes} of base64, then DONE. */
    static byte[] base64Stream(int bytes) {
        byte[] alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            image[i] = alphabet[(i * 31 + i / 64) & 63];
        }
        return stream(image);
    }

    /** A chat stream: one event whose data line is {@code chars} of 2-, 3- and 4-byte text. */
    static byte[] multibyteStream(int chars) {
        String[] cycle = {"\u00e9", "\u20ac", "\uD83D\uDE00", "\u0416", "\u4e2d", "\uD800\uDF48"};
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < chars; i++) {
            text.append(cycle[i % cycle.length]);
        }
        return stream(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] stream(byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 100);
        out.writeBytes("data: {\"partial_image_b64\":\"".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(value);
        out.writeBytes("\"}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Writes {@code body} as a stream in writes of {@code read} bytes each. */
    static void play(FakeUpstream.Exchange exchange, byte[] body, int read) throws IOException {
        exchange.startStream();
        for (int at = 0; at < body.length; at += read) {
            exchange.write(Arrays.copyOfRange(body, at, Math.min(body.length, at + read)));
        }
        exchange.end();
    }
}
