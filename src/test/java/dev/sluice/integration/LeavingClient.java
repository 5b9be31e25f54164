package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.TestClient;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A client that leaves mid-stream while the upstream, like a provider, goes on generating: the
 * relay must close the upstream connection at once, so the provider stops.
 */
final class LeavingClient {

    private final CountDownLatch clientLeft = new CountDownLatch(1);
    private final CountDownLatch upstreamReleased = new CountDownLatch(1);

    /** What the upstream does with the stream's request: a token every 20 ms, for 10 s at most. */
    void answer(FakeUpstream.Exchange exchange) throws Exception {
        exchange.startStream().write("data: {\"n\":1}\n\n");
        assertTrue(clientLeft.await(10, TimeUnit.SECONDS));
        for (int i = 2; i <= 500; i++) {
            if (exchange.awaitPeerClosed(20, TimeUnit.MILLISECONDS)) {
                upstreamReleased.countDown();
                return;
            }
            try {
                exchange.write("data: {\"n\":" + i + "}\n\n");
            } catch (IOException e) {
                upstreamReleased.countDown(); // the relay reset the connection
                return;
            }
        }
    }

    /** Leaves a stream from {@code chat} after its first event; the upstream must be freed. */
    void check(TestClient client, URI chat) throws Exception {
        TestClient.Stream stream = client.stream(chat, OneByOne.CHAT);
        try {
            assertEquals("{\"n\":1}", stream.nextEvent().data());
        } finally {
            stream.abort();
            clientLeft.countDown();
        }
        assertTrue(upstreamReleased.await(15, TimeUnit.SECONDS),
                "the upstream connection stayed open after the client left");
    }
}
