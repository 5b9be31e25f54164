package dev.sluice.sse;

import java.io.InputStream;

/** Returns one byte per {@code read}, however large the caller's buffer: the slowest network. */
final class OneByteInputStream extends InputStream {

    private final byte[] bytes;
    private int position;

    OneByteInputStream(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read() {
        return position < bytes.length ? bytes[position++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        int c = read();
        if (c < 0) {
            return -1;
        }
        b[off] = (byte) c;
        return 1;
    }
}
