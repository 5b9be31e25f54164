package dev.sluice.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP proxy on a loopback ephemeral port in front of a real server that, once told to
 * {@link #hold}, forwards nothing more that a client sends on any connection that has carried
 * a marker (a script's SHA, say): that connection's calls go unanswered, the others' go on.
 */
public final class HoldingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int target;
    private final String marker;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean holding;

    /** @param target the port of the server on loopback */
    public HoldingProxy(int target, String marker) throws IOException {
        this.target = target;
        this.marker = marker;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("holding-proxy").start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on, what a client sends on a connection that carries the marker is held. */
    public void hold() {
        holding = true;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofVirtual().name("holding-proxy-up").start(() -> pump(client, upstream,
                        true));
                Thread.ofVirtual().name("holding-proxy-down").start(() -> pump(upstream, client,
                        false));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean up) {
        byte[] buffer = new byte[64 << 10];
        String tail = "";
        boolean marked = false;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (up && !marked) {
                    // The tail of the chunk before, so a marker split between two is found.
                    String seen = tail + new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                    marked = seen.contains(marker);
                    tail = seen.substring(Math.max(0, seen.length() - marker.length()));
                }
                if (marked && holding) {
                    closed.await(); // held until the test ends
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed: the other goes with it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
        sockets.forEach(HoldingProxy::closeQuietly);
    }
}
