package dev.sluice.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 upstream on a loopback port that serves requests one after another on each
 * connection it accepts, and counts the connections.
 */
public final class KeepAliveUpstream implements AutoCloseable {
    public final AtomicInteger connections = new AtomicInteger();
    public final Semaphore lastChunk = new Semaphore(0);
    public final Semaphore lastChunkWritten = new Semaphore(0);
    public final CountDownLatch closedBySluice = new CountDownLatch(1);
    public final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
    /**
     * True: each answer's last chunk waits for a {@link #lastChunk} permit, and the connection
     * then serves the next request. False: the answer never ends, and a close is counted.
     */
    public volatile boolean endsAfterDone;
    private final ServerSocket server;

    public KeepAliveUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(socket));
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1");
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (FakeUpstream.readRequest(in) != null) {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                chunk(out, "data: {\"n\":1}\n\n");
                chunk(out, "data: [DONE]\n\n");
                out.flush();
                if (!endsAfterDone) {
                    if (in.read() < 0) {
                        closedBySluice.countDown();
                    }
                    return;
                }
                lastChunk.acquire();
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                lastChunkWritten.release();
            }
        } catch (IOException e) {
            closedBySluice.countDown(); // a reset is a close too
        } catch (Throwable e) {
            failures.add(e);
        }
    }

    private static void chunk(OutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
