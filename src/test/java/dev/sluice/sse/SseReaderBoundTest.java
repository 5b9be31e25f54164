package dev.sluice.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reader's bound on one line, which keeps a hostile or broken upstream from filling memory. */
class SseReaderBoundTest {

    private static final int BOUND = 16;

    @Test
    void lineLongerThanBoundThrows() {
        byte[] input = Vector.utf8("data: " + "x".repeat(BOUND - 5) + "\n\n"); // 17-byte line
        assertThrows(LineTooLongException.class, () -> read(ChunkedInputStream.whole(input)));
        assertThrows(LineTooLongException.class, () -> read(new OneByteInputStream(input)));
        assertThrows(LineTooLongException.class, () -> read(ChunkedInputStream.every(input, 5)));
    }

    @Test
    void unterminatedLineLongerThanBoundThrows() {
        byte[] input = Vector.utf8("data: " + "x".repeat(BOUND));
        assertThrows(LineTooLongException.class, () -> read(ChunkedInputStream.whole(input)));
        assertThrows(LineTooLongException.class, () -> read(new OneByteInputStream(input)));
    }

    @Test
    void lineExactlyAtBoundIsAccepted() throws IOException {
        String data = "x".repeat(BOUND - 6);
        for (String eol : List.of("\n", "\r", "\r\n")) {
            byte[] input = Vector.utf8("data: " + data + eol + eol);
            List<SseItem> expected = List.of(SseEvent.of(data));
            assertEquals(expected, read(ChunkedInputStream.whole(input)));
            assertEquals(expected, read(new OneByteInputStream(input)));
            for (int k = 0; k <= input.length; k++) {
                assertEquals(expected, read(ChunkedInputStream.split(input, k)), "split at " + k);
            }
        }
    }

    @Test
    void boundCountsBytesNotCharacters() throws IOException {
        byte[] input = Vector.utf8("data: ééééé\n\n"); // 11 characters, 16 bytes
        assertEquals(List.of(SseEvent.of("ééééé")), read(new OneByteInputStream(input)));
        assertThrows(LineTooLongException.class,
                () -> Playback.items(new OneByteInputStream(input), BOUND - 1));
    }

    @Test
    void boundAppliesToTheLinesOfAnEventTogether() throws IOException {
        String line = "data: " + "x".repeat(BOUND - 6) + "\n";
        byte[] input = Vector.utf8(line.repeat(10) + "\n");
        assertThrows(LineTooLongException.class, () -> read(ChunkedInputStream.whole(input)));
        assertEquals(1, Playback.items(ChunkedInputStream.whole(input), 10 * BOUND).size());
        assertEquals(1, Playback.items(new OneByteInputStream(input), 10 * BOUND).size());
    }

    @Test
    void longLineWithinBoundAcrossManyReads() throws IOException {
        String data = "0123456789".repeat(100_000); // a 1 MB line, in 1000 reads and in 1 MB reads
        byte[] input = Vector.utf8("data: " + data + "\n\ndata: after\n\n");
        List<SseItem> expected = List.of(SseEvent.of(data), SseEvent.of("after"));
        assertEquals(expected, Playback.items(ChunkedInputStream.every(input, 1000),
                SseReader.DEFAULT_MAX_LINE_BYTES));
        assertEquals(expected, Playback.items(new OneByteInputStream(input),
                SseReader.DEFAULT_MAX_LINE_BYTES));
        assertEquals(expected, Playback.items(ChunkedInputStream.whole(input),
                SseReader.DEFAULT_MAX_LINE_BYTES));
    }

    @Test
    void defaultBoundIsOneMebibyte() throws IOException {
        int bound = 1 << 20;
        assertEquals(bound, SseReader.DEFAULT_MAX_LINE_BYTES);
        String fits = "x".repeat(bound - 6);
        try (SseReader reader = new SseReader(new ByteArrayInputStream(
                Vector.utf8("data: " + fits + "\n\n")))) {
            assertEquals(SseEvent.of(fits), reader.next());
        }
        try (SseReader reader = new SseReader(new ByteArrayInputStream(
                Vector.utf8("data: " + fits + "x\n\n")))) {
            assertThrows(LineTooLongException.class, reader::next);
        }
    }

    @Test
    void boundStopsAnEndlessLine() {
        long[] served = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 'x';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 'x');
                served[0] += len;
                return len;
            }
        };
        assertThrows(LineTooLongException.class, () -> Playback.items(endless, 100_000));
        assertTrue(served[0] < 100_000 + 64 * 1024, "read " + served[0] + " bytes");
    }

    @Test
    void boundMustBePositive() {
        var in = new ByteArrayInputStream(new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> new SseReader(in, 0));
    }

    private static List<SseItem> read(InputStream in) throws IOException {
        return Playback.items(in, BOUND);
    }
}
