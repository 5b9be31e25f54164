package dev.sluice.sse;

import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plays every transcribed vector goes through. A test class implements this and declares
 * {@code static List<Vector> vectors()}; each vector is then read whole, one byte per read, in
 * the original test's own writes, and split into two reads at every offset (or, when long, at
 * many).
 */
interface StreamVectors {

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    default void whole(Vector vector) throws IOException {
        vector.assertSeenIn(ChunkedInputStream.whole(vector.bytes()), "whole");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    default void oneBytePerRead(Vector vector) throws IOException {
        vector.assertSeenIn(new OneByteInputStream(vector.bytes()), "one byte per read");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    default void recordedChunks(Vector vector) throws IOException {
        vector.assertSeenIn(ChunkedInputStream.of(vector.chunks()), "recorded chunks");
    }

    /**
     * Split into two reads at every offset; a vector too long for that (a megabyte line) at
     * every offset of its first and last bytes and at offsets spread over the rest, so that no
     * vector is left out.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    default void splitInTwoReads(Vector vector) throws IOException {
        byte[] bytes = vector.bytes();
        boolean isShort = bytes.length <= Playback.SPLIT_LIMIT;
        int edge = isShort ? bytes.length : 16;
        int step = isShort ? 1 : bytes.length / 16;
        for (int k = 0; k <= bytes.length; k += k < edge || k >= bytes.length - edge ? 1 : step) {
            vector.assertSeenIn(ChunkedInputStream.split(bytes, k), "split at " + k);
        }
    }
}
