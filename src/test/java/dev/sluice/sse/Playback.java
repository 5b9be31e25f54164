package dev.sluice.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Reads a whole stream with {@link SseReader}, and plays one input in every way a socket may. */
final class Playback {

    /** Inputs up to this size are also split into two reads at every offset. */
    static final int SPLIT_LIMIT = 8 * 1024;

    private Playback() {}

    /** Every item up to the end of the stream. */
    static List<SseItem> items(InputStream in, int maxLineBytes) throws IOException {
        List<SseItem> items = new ArrayList<>();
        try (SseReader reader = new SseReader(in, maxLineBytes)) {
            for (SseItem item = reader.next(); item != null; item = reader.next()) {
                items.add(item);
            }
        }
        return items;
    }

    /**
     * The items of {@code input} read whole, one byte per read and (when short) split into two
     * reads at every offset; fails unless every play gives the same items.
     */
    static List<SseItem> everyWay(byte[] input) {
        List<SseItem> whole = read(ChunkedInputStream.whole(input));
        assertEquals(whole, read(new OneByteInputStream(input)), "one byte per read");
        if (input.length <= SPLIT_LIMIT) {
            for (int k = 0; k <= input.length; k++) {
                assertEquals(whole, read(ChunkedInputStream.split(input, k)), "split at " + k);
            }
        }
        return whole;
    }

    static List<SseItem> everyWay(String input) {
        return everyWay(Vector.utf8(input));
    }

    private static List<SseItem> read(InputStream in) {
        try {
            return items(in, SseReader.DEFAULT_MAX_LINE_BYTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
