package dev.sluice.sse;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plays every transcribed vector goes through. A test class implements this and declares
 * {@code static List<Vector> vectors()}; each vector is then read whole, one byte per read, in
 * the original test's own writes, and (when short) split into two reads at every offset.
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    default void splitAtEveryOffset(Vector vector) throws IOException {
        byte[] bytes = vector.bytes();
        assumeTrue(bytes.length <= Playback.SPLIT_LIMIT,
                () -> bytes.length + " bytes is too long to split at every offset");
        for (int k = 0; k <= bytes.length; k++) {
            vector.assertSeenIn(ChunkedInputStream.split(bytes, k), "split at " + k);
        }
    }
}
