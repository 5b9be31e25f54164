package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.KeepAliveUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stream that ended with its terminal event leaves its upstream connection to the next
 * request: Sluice reads the body's last chunk, which comes after the terminal event, instead of
 * cancelling the exchange. The upstream here keeps connections alive and sends each last chunk
 * only once the client has seen the terminal event, so a relay that lets go at the terminal event
 * closes the connection every time.
 */
class UpstreamConnectionReuseTest {

    private static final String BODY = """
            {"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    private KeepAliveUpstream upstream;
    private RunningSluice sluice;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        upstream = new KeepAliveUpstream();
        sluice = RunningSluice.relayingTo(upstream.baseUrl());
        client = new TestClient();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        try {
            sluice.assertNoStreamLeftOpen();
        } finally {
            sluice.close();
            upstream.close();
        }
        assertNull(upstream.failures.peek(), "the upstream failed");
    }

    @Test
    void aStreamThatEndedLeavesItsConnectionToTheNextRequest() throws Exception {
        upstream.endsAfterDone = true;
        int streams = 10;
        for (int i = 0; i < streams; i++) {
            try (TestClient.Stream stream = client.stream(uri(), BODY)) {
                assertEquals("{\"n\":1}", stream.nextEvent().data());
                assertEquals("[DONE]", stream.nextEvent().data());
                assertEquals(0, stream.rest().size());
            }
            // Only now, after the client's response has ended: Sluice is done with the stream,
            // and has closed the body by now unless it reads on to the body's end.
            upstream.lastChunk.release();
            assertTrue(upstream.lastChunkWritten.tryAcquire(10, TimeUnit.SECONDS));
        }
        // The connection goes back to the client's pool once Sluice has read that last chunk,
        // which can come just after the next request has opened a connection of its own on a
        // busy machine. A relay that lets go at the terminal event never reuses one.
        assertTrue(upstream.connections.get() < streams, upstream.connections.get()
                + " upstream connections for " + streams + " streams one after another");
    }

    @Test
    void anUpstreamThatDoesNotEndAfterItsTerminalEventIsClosedAfterAMoment() throws Exception {
        upstream.endsAfterDone = false;
        try (TestClient.Stream stream = client.stream(uri(), BODY)) {
            stream.nextEvent();
            assertEquals("[DONE]", stream.nextEvent().data());
            // The client's response ends at once, while the upstream still holds its end back.
            assertEquals(0, stream.rest().size());
            assertEquals(1, upstream.closedBySluice.getCount(), "closed before the client's end");
        }
        assertTrue(upstream.closedBySluice.await(10, TimeUnit.SECONDS),
                "Sluice lets go of an upstream that never ends");
    }

    private URI uri() {
        return sluice.uri("/v1/chat/completions");
    }
}
