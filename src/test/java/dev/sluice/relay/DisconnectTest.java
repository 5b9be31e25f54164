package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.io.IOException;
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
}
