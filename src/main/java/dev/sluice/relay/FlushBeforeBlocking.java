package dev.sluice.relay;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An upstream body that flushes the client's output just before a read would block. Events that
 * are already in hand are thus sent together in one flush, and an event is never held back while
 * the relay waits for more upstream bytes.
 */
final class FlushBeforeBlocking extends FilterInputStream {

    private final ClientStream client;

    FlushBeforeBlocking(InputStream upstream, ClientStream client) {
        super(upstream);
        this.client = client;
    }

    @Override
    public int read() throws IOException {
        flushIfDry();
        return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        flushIfDry();
        return super.read(b, off, len);
    }

    private void flushIfDry() throws IOException {
        if (in.available() > 0) {
            return;
        }
        client.flush();
    }
}
