package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider stand-in for tests: a real HTTP/1.1 server on a loopback ephemeral port that answers
 * each request with a script, writing exactly the bytes the script chooses, chunk by chunk, so
 * tests control chunk boundaries, pauses, resets and truncation.
 */
public final class FakeUpstream implements AutoCloseable {

    /** What a test does with one request. */
    @FunctionalInterface
    public interface Script {
        void answer(Exchange exchange) throws Exception;
    }

    /** A request as the upstream received it; header names are lower case. */
    public record Request(String method, String path, Map<String, String> headers, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final AtomicInteger received = new AtomicInteger();
    private final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
    private final Thread acceptor;

    public FakeUpstream(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().name("fake-upstream").start(this::accept);
    }

    /** The base URL, as configured for Sluice ({@code /chat/completions} is appended). */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1");
    }

    /** The next request received, waiting up to 10 s. */
    public Request takeRequest() throws InterruptedException {
        Request request = requests.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the upstream received no request");
        }
        return request;
    }

    /** How many requests came, taken or not. */
    public int requestCount() {
        return received.get();
    }

    /** The first exception a script threw, or null: scripts that fail must fail the test. */
    public Throwable scriptFailure() {
        return failures.peek();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().name("fake-upstream-exchange").start(() -> serve(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            Request request = readRequest(in);
            if (request == null) {
                return; // connected and closed again, asking nothing
            }
            received.incrementAndGet();
            requests.add(request);
            script.answer(new Exchange(socket, request));
        } catch (Throwable e) {
            failures.add(e);
        }
    }

    /**
     * Reads one HTTP/1.1 request, head and body, from a connection; null when the connection
     * ended before another request began (the client closed a kept-alive connection).
     */
    public static Request readRequest(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        String requestLine = (char) first + readLine(in);
        String[] parts = requestLine.split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                    line.substring(colon + 1).strip());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Request(parts[0], parts[1], headers, in.readNBytes(length));
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed inside the request head");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }

    /** One response being written. Chunked transfer encoding unless the test sends a length. */
    public static final class Exchange {
        private final Socket socket;
        private final Request request;
        private final OutputStream out;
        private final CountDownLatch peerClosed = new CountDownLatch(1);

        Exchange(Socket socket, Request request) throws IOException {
            this.socket = socket;
            this.request = request;
            this.out = socket.getOutputStream();
            watchForClose();
        }

        public Request request() {
            return request;
        }

        /** Sends a status line and headers for a chunked body. */
        public Exchange start(int status, String contentType, String... headerPairs)
                throws IOException {
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n")
                    .append("Content-Type: ").append(contentType).append("\r\n")
                    .append("Transfer-Encoding: chunked\r\n")
                    .append("Connection: close\r\n");
            for (int i = 0; i < headerPairs.length; i += 2) {
                head.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return this;
        }

        /** Starts an event stream: 200 and {@code text/event-stream}. */
        public Exchange startStream(String... headerPairs) throws IOException {
            return start(200, "text/event-stream", headerPairs);
        }

        /** Writes one chunk of the body, now. */
        public Exchange write(String text) throws IOException {
            return write(text.getBytes(StandardCharsets.UTF_8));
        }

        public Exchange write(byte[] bytes) throws IOException {
            out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return this;
        }

        /**
         * Ends the body properly with the last chunk. A relay may already have let go after the
         * stream's terminal event, which is its right: the last chunk then has no reader.
         */
        public void end() throws IOException {
            try {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (java.net.SocketException e) {
                // closed by the relay after the terminal event
            }
        }

        /** Sends a whole response with a Content-Length. */
        public void respond(int status, String contentType, String body, String... headerPairs)
                throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n")
                    .append("Content-Type: ").append(contentType).append("\r\n")
                    .append("Content-Length: ").append(bytes.length).append("\r\n")
                    .append("Connection: close\r\n");
            for (int i = 0; i < headerPairs.length; i += 2) {
                head.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes);
            out.flush();
        }

        /** Closes the connection with a TCP reset, as a crashed provider or proxy does. */
        public void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        /** Closes the connection cleanly but without the last chunk: a truncated body. */
        public void truncate() throws IOException {
            socket.shutdownOutput();
        }

        /** Waits until the relay closes this connection. */
        public boolean awaitPeerClosed(long timeout, TimeUnit unit) throws InterruptedException {
            return peerClosed.await(timeout, unit);
        }

        private void watchForClose() {
            Thread.ofVirtual().name("fake-upstream-watch").start(() -> {
                try {
                    // The request was read whole, so the next thing the relay can do is close.
                    while (socket.getInputStream().read() >= 0) {
                        // an HTTP/1.1 client sends nothing more while the response is open
                    }
                } catch (IOException e) {
                    // reset or closed: both mean the relay let go
                }
                peerClosed.countDown();
            });
        }
    }
}
