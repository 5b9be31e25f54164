package dev.sluice.sse;

import java.io.InputStream;
import java.util.Arrays;
import java.util.List;

/**
 * Serves a byte array in reads that never cross the given chunk ends, as a socket delivers a
 * server's separate writes. Optionally stalls after the last chunk: a further read fails the
 * test instead of returning end of stream, which proves the reader did not wait for more bytes.
 */
final class ChunkedInputStream extends InputStream {

    private final byte[] bytes;
    private final int[] ends;
    private final boolean stallAtEnd;
    private int position;
    private int chunk;

    private ChunkedInputStream(byte[] bytes, int[] ends, boolean stallAtEnd) {
        this.bytes = bytes;
        this.ends = ends;
        this.stallAtEnd = stallAtEnd;
    }

    /** All bytes in one read (or as few reads as the caller's buffer allows). */
    static ChunkedInputStream whole(byte[] bytes) {
        return new ChunkedInputStream(bytes, new int[] {bytes.length}, false);
    }

    /** Two reads: bytes [0, k) then [k, end). */
    static ChunkedInputStream split(byte[] bytes, int k) {
        return new ChunkedInputStream(bytes, new int[] {k, bytes.length}, false);
    }

    /** Reads of {@code n} bytes (the last may be shorter). */
    static ChunkedInputStream every(byte[] bytes, int n) {
        int[] ends = new int[Math.max(1, (bytes.length + n - 1) / n)];
        for (int i = 0; i < ends.length; i++) {
            ends[i] = Math.min(bytes.length, (i + 1) * n);
        }
        return new ChunkedInputStream(bytes, ends, false);
    }

    /** One read per chunk, in order. */
    static ChunkedInputStream of(List<byte[]> chunks) {
        return new ChunkedInputStream(concat(chunks), ends(chunks), false);
    }

    /** One read per chunk; a read after the last chunk fails the test. */
    static ChunkedInputStream thenStall(String... chunks) {
        List<byte[]> list = Arrays.stream(chunks).map(Vector::utf8).toList();
        return new ChunkedInputStream(concat(list), ends(list), true);
    }

    static byte[] concat(List<byte[]> chunks) {
        byte[] all = new byte[chunks.stream().mapToInt(c -> c.length).sum()];
        int at = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, all, at, c.length);
            at += c.length;
        }
        return all;
    }

    private static int[] ends(List<byte[]> chunks) {
        int[] ends = new int[chunks.size()];
        int at = 0;
        for (int i = 0; i < ends.length; i++) {
            at += chunks.get(i).length;
            ends[i] = at;
        }
        return ends;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    /**
     * What is left of the current chunk: the rest of a network read in hand, as the JDK client's
     * body stream reports it. The next chunk is another read, not yet in hand.
     */
    @Override
    public int available() {
        return chunk < ends.length ? ends[chunk] - position : 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        while (chunk < ends.length && position == ends[chunk]) {
            chunk++; // also skips empty chunks: a read of 0 bytes would break the contract
        }
        if (chunk == ends.length) {
            if (stallAtEnd) {
                throw new AssertionError("the reader asked for bytes the server has not sent yet");
            }
            return -1;
        }
        int n = Math.min(len, ends[chunk] - position);
        System.arraycopy(bytes, position, b, off, n);
        position += n;
        return n;
    }
}
