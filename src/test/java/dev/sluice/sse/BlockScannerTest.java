package dev.sluice.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The scanner's parts as bytes: held blocks whole, longer ones in pieces, each line LF-ended. */
class BlockScannerTest {

    private static final int BOUND = 16;

    @Test
    void heldBlockIsItsFieldLinesAndTheBlankLine() throws IOException {
        String input = "event: a\r\n: note\r\ndata: x\r\rdata: y\n\n";
        List<String> expected = List.of("COMMENT : note\n", "EVENT event: a\ndata: x\n\n",
                "EVENT data: y\n\n");
        assertEveryWay(input, expected);
    }

    @Test
    void blockLongerThanBoundPassesInPiecesUnchangedButForLineEnds() throws IOException {
        String big = "x".repeat(100);
        String input = "event: big\r\ndata: " + big + "\rdata: " + big + "\r\n\r\ndata: after\n\n";
        List<String> expected = List.of("PASSED event: big\ndata: " + big + "\ndata: " + big
                + "\n\n", "EVENT data: after\n\n");
        assertEveryWay(input, expected);
    }

    @Test
    void commentLongerThanBoundIsSkipped() throws IOException {
        String input = ": " + "y".repeat(100) + "\ndata: z\n\n";
        assertEveryWay(input, List.of("EVENT data: z\n\n"));
    }

    @Test
    void blockWithoutDataIdOrRetryIsSkipped() throws IOException {
        assertEveryWay("event: x\nfoo: y\n\nid\n\n", List.of("EVENT id\n\n"));
    }

    @Test
    void leadingBomIsSkippedOnce() throws IOException {
        byte[] input = Vector.chunk(Vector.BOM, "data: a\n\n", Vector.BOM, "data: b\n\n");
        // A later BOM is part of the field name, which no browser knows: that block is skipped.
        assertEquals(List.of("EVENT data: a\n\n"), parts(new OneByteInputStream(input)));
        assertEquals(List.of("EVENT data: a\n\n"), parts(ChunkedInputStream.whole(input)));
    }

    @Test
    void endlessLinePassesWithoutBeingHeld() throws IOException {
        long[] served = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return served[0]++ < 64L << 20 ? 'x' : -1;
            }

            @Override
            public int available() {
                return served[0] < 64L << 20 ? 4096 : 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (served[0] >= 64L << 20) {
                    return -1;
                }
                Arrays.fill(b, off, off + len, (byte) 'x');
                served[0] += len;
                return len;
            }
        };
        BlockScanner blocks = new BlockScanner(endless, 1000);
        long passed = 0;
        for (BlockScanner.Part part = blocks.next(); part != null; part = blocks.next()) {
            assertEquals(BlockScanner.Part.PIECE, part);
            assertTrue(blocks.length() <= 4096, "a piece of " + blocks.length());
            passed += blocks.length();
        }
        assertEquals(64L << 20, passed);
    }

    private static void assertEveryWay(String input, List<String> expected) throws IOException {
        byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
        assertEquals(expected, parts(ChunkedInputStream.whole(bytes)), "whole");
        assertEquals(expected, parts(new OneByteInputStream(bytes)), "one byte per read");
        for (int k = 0; k <= bytes.length; k++) {
            assertEquals(expected, parts(ChunkedInputStream.split(bytes, k)), "split at " + k);
        }
    }

    @Test
    void aScannerWaitingForTheUpstreamHoldsNoReadBuffer() throws Exception {
        byte[] first = Vector.utf8("data: " + "x".repeat(100));
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch more = new CountDownLatch(1);
        InputStream upstream = new InputStream() {
            private final InputStream rest = new ByteArrayInputStream(Vector.utf8("\n\n"));
            private int served;

            @Override
            public int available() {
                return first.length - served;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served < first.length) {
                    int n = Math.min(len, first.length - served);
                    System.arraycopy(first, served, b, off, n);
                    served += n;
                    return n;
                }
                waiting.countDown(); // the upstream has sent nothing more yet
                try {
                    more.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return rest.read(b, off, len);
            }
        };
        ReadBuffers.take(); // earlier tests may have filled the pool: this frees a slot
        BlockScanner blocks = new BlockScanner(upstream, BOUND);
        assertEquals(BlockScanner.Part.PIECE, blocks.next());
        byte[] read = blocks.array(); // a piece of a long line is handed on from the read buffer
        try (ExecutorService thread = Executors.newSingleThreadExecutor()) {
            Future<BlockScanner.Part> next = thread.submit(blocks::next);
            try {
                assertTrue(waiting.await(10, TimeUnit.SECONDS));
                assertTrue(ReadBuffers.pooled(read), "the waiting scanner gave its buffer back");
            } finally {
                more.countDown();
            }
            assertEquals(BlockScanner.Part.PIECE, next.get(10, TimeUnit.SECONDS)); // the line end
        }
        assertEquals(BlockScanner.Part.LAST_PIECE, blocks.next());
    }

    @Test
    void scannersOnManyThreadsEachSeeOnlyTheirOwnBytes() throws Exception {
        // Read buffers pass from stream to stream: one given back while its bytes were still to
        // be scanned would show up in another stream's events.
        int streams = 16;
        int events = 2_000;
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            List<Future<List<String>>> read = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                StringBuilder input = new StringBuilder();
                for (int i = 0; i < events; i++) {
                    input.append("data: ").append(s).append('-').append(i).append("\n\n");
                }
                byte[] bytes = Vector.utf8(input.toString());
                // Reads of 7 bytes: a buffer taken and given back every few bytes.
                read.add(threads.submit(() -> parts(ChunkedInputStream.every(bytes, 7))));
            }
            for (int s = 0; s < streams; s++) {
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < events; i++) {
                    expected.add("EVENT data: " + s + "-" + i + "\n\n");
                }
                assertEquals(expected, read.get(s).get(60, TimeUnit.SECONDS), "stream " + s);
            }
        }
    }

    @Test
    void aReleasedScannerGivesItsReadBufferBack() throws Exception {
        // A stream over at its terminal event does not wait again, which is when a scanner
        // gives its buffer back by itself.
        ReadBuffers.take(); // earlier tests may have filled the pool: this frees a slot
        BlockScanner blocks = new BlockScanner(new ByteArrayInputStream(
                Vector.utf8("data: " + "x".repeat(100) + "\n\n")), BOUND);
        assertEquals(BlockScanner.Part.PIECE, blocks.next());
        byte[] read = blocks.array(); // a piece of a long line is handed on from the read buffer
        assertFalse(ReadBuffers.pooled(read));
        blocks.release();
        assertTrue(ReadBuffers.pooled(read), "the released scanner gave its buffer back");
    }

    /** The parts, a long block's pieces joined into one "PASSED" part. */
    private static List<String> parts(InputStream in) throws IOException {
        BlockScanner blocks = new BlockScanner(in, BOUND);
        List<String> parts = new ArrayList<>();
        ByteArrayOutputStream passing = new ByteArrayOutputStream();
        for (BlockScanner.Part part = blocks.next(); part != null; part = blocks.next()) {
            String bytes = new String(blocks.array(), blocks.offset(), blocks.length(),
                    StandardCharsets.UTF_8);
            switch (part) {
                case PIECE -> passing.writeBytes(bytes.getBytes(StandardCharsets.UTF_8));
                case LAST_PIECE -> {
                    passing.writeBytes(bytes.getBytes(StandardCharsets.UTF_8));
                    parts.add("PASSED " + passing.toString(StandardCharsets.UTF_8));
                    passing.reset();
                }
                default -> parts.add(part + " " + bytes);
            }
        }
        return parts;
    }
}
