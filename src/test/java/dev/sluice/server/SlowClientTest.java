package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Connections;
import dev.sluice.sse.SseEvent;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slowloris: a client that sends its request a byte at a time, each byte restarting Jetty's idle
 * timeout, is cut off; a stream on another connection goes on meanwhile. And no more than the
 * configured connections are served at once.
 */
class SlowClientTest {

    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    /** The slow client's bytes: far more than it could send before it is cut off. */
    private static final int MOST_BYTES = 300;

    @RegisterExtension
    final Relay relay = new Relay();

    private final CountDownLatch release = new CountDownLatch(1);

    private URI start(Connections connections) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> {
            exchange.startStream().write("data: {\"n\":1}\n\n");
            assertTrue(release.await(50, TimeUnit.SECONDS), "the test never released the stream");
            exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
        });
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null)
                .connections(connections).build());
    }

    @Test
    void headersSentAByteAtATimeAreCutOffWhileAStreamGoesOn() throws Exception {
        URI chat = start(new Connections(100, 1024, Duration.ofSeconds(1)));
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("{\"n\":1}", stream.nextEvent().data());

            Cut cut = trickle(chat, 0, ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                    + "X-Padding: " + "a".repeat(MOST_BYTES)).getBytes(StandardCharsets.US_ASCII));

            assertTrue(cut.sent() < MOST_BYTES, "the slow client sent all its bytes");
            release.countDown();
            SseEvent second = stream.nextEvent();
            assertEquals("{\"n\":2}", second.data());
            assertEquals("[DONE]", stream.nextEvent().data());
        }
    }

    @Test
    void theNextRequestOnAKeptAliveConnectionIsHeldToTheSameDeadline() throws Exception {
        URI chat = start(new Connections(100, 1024, Duration.ofSeconds(1)));
        URI health = URI.create(relay.sluiceUrl() + "/healthz");
        try (Socket socket = new Socket(chat.getHost(), chat.getPort())) {
            assertEquals(200, get(socket, health));
            socket.getInputStream().readNBytes(responseRest(socket.getInputStream()));

            Cut cut = trickle(socket, 0, ("GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                    + "X-Padding: " + "a".repeat(MOST_BYTES)).getBytes(StandardCharsets.US_ASCII));

            assertTrue(cut.sent() < MOST_BYTES, "the slow client sent all its bytes");
        }
        release.countDown();
    }

    /** Reads a response's head after its status line; returns its Content-Length. */
    private static int responseRest(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        for (int b = in.read(), i = 0; b >= 0 && i < 16_384; b = in.read(), i++) {
            head.append((char) b);
            if (head.toString().endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString().lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElseThrow();
    }

    @Test
    void aBodySentAByteAtATimeIsCutOffWhileAStreamGoesOn() throws Exception {
        URI chat = start(new Connections(100, 200, Duration.ofSeconds(20)));
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals("{\"n\":1}", stream.nextEvent().data());

            byte[] head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + MOST_BYTES + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] request = new byte[head.length + MOST_BYTES];
            System.arraycopy(head, 0, request, 0, head.length);
            java.util.Arrays.fill(request, head.length, request.length, (byte) ' ');
            Cut cut = trickle(chat, head.length, request);

            assertTrue(cut.sent() < request.length, "the slow client sent all its bytes");
            assertTrue(cut.answer().startsWith("HTTP/1.1 408 "), cut.answer());
            assertTrue(cut.answer().endsWith("{\"error\":{\"message\":\"the request body came "
                    + "slower than 200 bytes per second\",\"type\":\"invalid_request_error\","
                    + "\"param\":null,\"code\":null}}"), cut.answer());
            release.countDown();
            assertEquals("{\"n\":2}", stream.nextEvent().data());
            assertEquals("[DONE]", stream.nextEvent().data());
        }
    }

    @Test
    void aSmallChunkedBodyInTwoPiecesAMomentApartIsRelayed() throws Exception {
        URI chat = start(new Connections(100, 1024, Duration.ofSeconds(20)));
        release.countDown();
        String first = CHAT.substring(0, 20);
        String second = CHAT.substring(20);
        try (Socket socket = new Socket(chat.getHost(), chat.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + "application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + chunk(first)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The second piece comes 300 ms later. Jetty judged each read() against the body's
            // first byte: the read after it found 44 bytes where 1024 B/s asks 307 (408), as
            // did a read after a pause of Sluice's own thread (a GC pause) on a body come whole.
            socket.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read(),
                    "answered before the body's end");
            out.write((chunk(second) + "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(30_000);
            String answer = new String(socket.getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            assertTrue(answer.contains("data: {\"n\":2}") && answer.contains("data: [DONE]"),
                    answer);
        }
    }

    @Test
    void theRestOfARefusedBodySentAByteAtATimeIsCutOff() throws Exception {
        URI chat = start(new Connections(100, 200, Duration.ofSeconds(20)));
        release.countDown();
        try (Socket socket = new Socket(chat.getHost(), chat.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + "text/plain\r\nContent-Length: " + MOST_BYTES + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(30_000);
            InputStream in = socket.getInputStream();
            assertEquals("HTTP/1.1 415", new String(in.readNBytes(12), StandardCharsets.US_ASCII));
            in.readNBytes(responseRest(in));
            // Sluice reads the rest of a refused body, so the client can read the refusal (its
            // side of the connection is closed by now); a client that sends that rest a byte at
            // a time is cut off all the same, and finds it on a write.
            int sent = 0;
            try {
                for (; sent < MOST_BYTES; sent++) {
                    out.write(' ');
                    out.flush();
                    Thread.sleep(100); // the client's pace, not a wait for the server
                }
            } catch (IOException cut) {
                // the connection is closed
            }
            assertTrue(sent < MOST_BYTES, "the slow client sent all its bytes");
        }
    }

    private static String chunk(String text) {
        return Integer.toHexString(text.length()) + "\r\n" + text + "\r\n";
    }

    @Test
    void connectionsBeyondTheCapWaitForAFreeOne() throws Exception {
        URI chat = start(new Connections(2, 1024, Duration.ofSeconds(20)));
        URI health = URI.create(relay.sluiceUrl() + "/healthz");
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT);
                Socket second = new Socket(chat.getHost(), chat.getPort())) {
            assertEquals("{\"n\":1}", stream.nextEvent().data());
            assertEquals(200, get(second, health));
            try (Socket third = new Socket(chat.getHost(), chat.getPort())) {
                third.setSoTimeout(300);
                third.getOutputStream().write(request(health));
                // Not a timing assertion: a slower machine only makes an answer less likely.
                boolean answered;
                try {
                    answered = third.getInputStream().read() >= 0;
                } catch (SocketTimeoutException expected) {
                    answered = false;
                }
                assertTrue(!answered, "a third connection was served beyond the cap of 2");
                second.close();
                third.setSoTimeout(30_000);
                assertEquals("HTTP/1.1 200", new String(third.getInputStream().readNBytes(12),
                        StandardCharsets.US_ASCII));
            }
            release.countDown();
            stream.rest();
        }
    }

    private static int get(Socket socket, URI uri) throws IOException {
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write(request(uri));
        String line = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        return Integer.parseInt(line.substring(9, 12));
    }

    private static byte[] request(URI uri) {
        return ("GET " + uri.getPath() + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** How many bytes a slow client sent before it was cut off, and what it was told. */
    private record Cut(int sent, String answer) {}

    /**
     * Sends the first {@code atOnce} bytes at once and the rest one at a time, pacing itself by
     * waiting up to 100 ms for the server to answer or close after each.
     */
    private static Cut trickle(URI uri, int atOnce, byte[] bytes) throws IOException {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            return trickle(socket, atOnce, bytes);
        }
    }

    private static Cut trickle(Socket socket, int atOnce, byte[] bytes) throws IOException {
        socket.setSoTimeout(100);
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        out.write(bytes, 0, atOnce);
        for (int i = atOnce; i < bytes.length; i++) {
            try {
                out.write(bytes[i]);
                out.flush();
            } catch (IOException closed) {
                return new Cut(i, "");
            }
            int first;
            try {
                first = in.read();
            } catch (SocketTimeoutException stillOpen) {
                continue; // the pace: one byte per wait
            } catch (IOException reset) {
                return new Cut(i + 1, "");
            }
            if (first < 0) {
                return new Cut(i + 1, "");
            }
            socket.setSoTimeout(30_000);
            return new Cut(i + 1, (char) first + new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        return new Cut(bytes.length, "");
    }
}
