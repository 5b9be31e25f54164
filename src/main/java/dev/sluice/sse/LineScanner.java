package dev.sluice.sse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines ending in CR, LF or CRLF and decodes each as UTF-8.
 *
 * <p>Lines are decoded whole, so a multi-byte character split across network reads is joined
 * before decoding; invalid bytes become U+FFFD as the WHATWG decoder does. A CR ends its line at
 * once: the scanner never blocks to see whether an LF follows. Not thread-safe.
 */
final class LineScanner {

    /** Holds a few typical events; a stream is idle most of its life, so this is held long. */
    private static final int BUFFER_BYTES = 2048;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int position;
    private int limit;
    /** Bytes of a line that spans several reads; empty while a line fits in {@link #buffer}. */
    private byte[] pending = new byte[256];
    private int pendingLength;
    private boolean skipLf;
    private boolean atStreamStart = true;

    LineScanner(InputStream in, int maxLineBytes) {
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
        }
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next complete line without its terminator, or null at end of stream. */
    String nextLine() throws IOException {
        pendingLength = 0;
        while (true) {
            if (position == limit && !fill()) {
                return null; // an unterminated last line is dropped, as the spec says
            }
            if (skipLf) {
                skipLf = false;
                if (buffer[position] == '\n') {
                    position++;
                    continue;
                }
            }
            int start = position;
            while (position < limit) {
                byte b = buffer[position];
                if (b == '\n' || b == '\r') {
                    int end = position++;
                    skipLf = b == '\r';
                    if (pendingLength == 0) {
                        return decode(buffer, start, end - start);
                    }
                    keep(start, end - start);
                    return decode(pending, 0, pendingLength);
                }
                position++;
            }
            keep(start, position - start);
        }
    }

    private boolean fill() throws IOException {
        int n;
        do {
            n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        position = 0;
        limit = Math.max(n, 0);
        return n > 0;
    }

    private void keep(int start, int length) throws LineTooLongException {
        int needed = pendingLength + length;
        if (needed > maxLineBytes) {
            throw new LineTooLongException(maxLineBytes);
        }
        if (needed > pending.length) {
            int grown = Math.min(maxLineBytes, Math.max(needed, pending.length * 2));
            pending = Arrays.copyOf(pending, grown);
        }
        System.arraycopy(buffer, start, pending, pendingLength, length);
        pendingLength = needed;
    }

    private String decode(byte[] bytes, int offset, int length) throws LineTooLongException {
        if (length > maxLineBytes) {
            throw new LineTooLongException(maxLineBytes);
        }
        if (atStreamStart) {
            atStreamStart = false;
            // WHATWG: one leading U+FEFF is skipped; any later one is an ordinary character.
            if (length >= 3 && bytes[offset] == (byte) 0xEF && bytes[offset + 1] == (byte) 0xBB
                    && bytes[offset + 2] == (byte) 0xBF) {
                offset += 3;
                length -= 3;
            }
        }
        String line = new String(bytes, offset, length, StandardCharsets.UTF_8);
        // An ASCII or Latin-1 line cannot hold U+FFFD, so the check is free on the common path.
        return line.indexOf('\uFFFD') < 0 ? line : whatwgDecode(bytes, offset, length);
    }

    /**
     * Decodes a line that had invalid bytes the way the WHATWG decoder does. Java and WHATWG
     * agree on every error but one: UTF-8 for a surrogate (ED A0..BF ..) is one error per byte to
     * WHATWG and one in all to Java. An invalid lead byte in place of the ED gives WHATWG's count;
     * the line's bytes are not read again, so they may be changed in place.
     */
    private static String whatwgDecode(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length - 1; i++) {
            if (bytes[i] == (byte) 0xED && (bytes[i + 1] & 0xE0) == 0xA0) {
                bytes[i] = (byte) 0xFF;
            }
        }
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }
}
