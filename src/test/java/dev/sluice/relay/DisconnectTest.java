package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Policy;
import dev.sluice.config.Route;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.TranscriptLines;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A client that leaves mid-stream makes Sluice close the upstream, so the provider stops. */
class DisconnectTest {

    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";

    @Test
    void clientAbortClosesTheUpstreamConnection() throws Exception {
        CountDownLatch clientLeft = new CountDownLatch(1);
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        AtomicLong closedAfterMillis = new AtomicLong(-1);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"token\":0}\n\n");
                    assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
                    long left = System.nanoTime();
                    // A provider keeps generating: one token every 20 ms, bounded to 10 s.
                    for (int i = 1; i <= 500
                            && !exchange.awaitPeerClosed(20, TimeUnit.MILLISECONDS); i++) {
                        try {
                            exchange.write("data: {\"token\":" + i + "}\n\n");
                        } catch (IOException e) {
                            break; // the relay reset the connection
                        }
                    }
                    if (exchange.awaitPeerClosed(1, TimeUnit.SECONDS)) {
                        closedAfterMillis.set((System.nanoTime() - left) / 1_000_000);
                        upstreamClosed.countDown();
                    }
                });
                RunningSluice sluice = RunningSluice.relayingTo(upstream.baseUrl());
                TestClient client = new TestClient()) {
            TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"), CHAT);
            assertEquals("{\"token\":0}", stream.nextEvent().data());
            stream.abort();
            clientLeft.countDown();
            assertTrue(upstreamClosed.await(15, TimeUnit.SECONDS),
                    "the upstream connection stayed open after the client left");
            assertTrue(closedAfterMillis.get() < 1000,
                    "upstream closed " + closedAfterMillis.get() + " ms after the client left");
        }
    }

    @Test
    void aClientThatLeavesDuringASilenceClosesTheUpstreamWithinASecond() throws Exception {
        CountDownLatch clientLeft = new CountDownLatch(1);
        CountDownLatch upstreamClosed = new CountDownLatch(1);
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    // A reasoning model that thinks on in silence after its first token.
                    exchange.startStream().write("data: {\"token\":0}\n\n");
                    assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
                    if (exchange.awaitPeerClosed(1500, TimeUnit.MILLISECONDS)) {
                        upstreamClosed.countDown();
                    }
                });
                RunningSluice sluice = RunningSluice.relayingTo(upstream.baseUrl())) {
            URI uri = sluice.uri("/v1/chat/completions");
            try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
                socket.getOutputStream().write(("POST " + uri.getPath() + " HTTP/1.1\r\n"
                        + "Host: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + CHAT.length() + "\r\n\r\n" + CHAT)
                        .getBytes(StandardCharsets.US_ASCII));
                readUntil(socket.getInputStream(), "data: {\"token\":0}\n\n");
            } // the socket closes here, with no byte written after the first event
            clientLeft.countDown();
            assertTrue(upstreamClosed.await(5, TimeUnit.SECONDS),
                    "the upstream was still open 1.5 s after the client left");
        }
    }

    /** Reads the raw response until {@code end} has come. */
    private static void readUntil(InputStream in, String end) throws IOException {
        StringBuilder read = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read()) {
            read.append((char) b);
            if (read.indexOf(end) >= 0) {
                return;
            }
        }
        throw new AssertionError("the response ended before " + end + ": " + read);
    }

    @Test
    void aDrainingRouteReadsTheUpstreamToItsEndForTheTrueUsage() throws Exception {
        CountDownLatch clientLeft = new CountDownLatch(1);
        CountDownLatch upstreamFinished = new CountDownLatch(1);
        String usage = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,"
                + "\"completion_tokens\":42,\"total_tokens\":53}}\n\n";
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    exchange.startStream().write("data: {\"token\":0}\n\n");
                    assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
                    for (int i = 1; i <= 20; i++) {
                        exchange.write("data: {\"token\":" + i + "}\n\n");
                        Thread.sleep(10); // the pace of a generating model
                    }
                    exchange.write(usage + "data: [DONE]\n\n").end();
                    upstreamFinished.countDown();
                });
                RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(null, null)
                        .route(new Route("billed", "/billed", upstream.baseUrl(), "openai-chat",
                                null, Policy.NONE, true)).build());
                TestClient client = new TestClient()) {
            TranscriptLines lines = new TranscriptLines();
            lines.beforeEach(null);
            try {
                TestClient.Stream stream = client.stream(sluice.uri("/billed/chat/completions"),
                        CHAT);
                assertEquals("{\"token\":0}", stream.nextEvent().data());
                stream.abort();
                clientLeft.countDown();
                assertTrue(upstreamFinished.await(15, TimeUnit.SECONDS),
                        "the upstream was cut off instead of drained");
                var line = lines.awaitLines(1).getFirst();
                assertEquals("client_closed", line.path("outcome").asText());
                assertEquals(42, line.path("completion_tokens").asInt());
                assertEquals(11, line.path("prompt_tokens").asInt());
            } finally {
                lines.afterEach(null);
            }
        }
    }
}
