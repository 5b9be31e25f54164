package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The streaming proof of the core tests, for one stream through a real container or proxy: the
 * upstream holds event 2 back until the client has event 1, so any buffering on the way fails it.
 */
final class OneByOne {

    static final String CHAT = "{\"model\":\"gpt-test\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final CountDownLatch clientHasFirst = new CountDownLatch(1);
    private final AtomicBoolean heldBack = new AtomicBoolean();
    private final AtomicReference<FakeUpstream.Request> request = new AtomicReference<>();

    /** What the upstream does with the stream's request. */
    void answer(FakeUpstream.Exchange exchange) throws Exception {
        request.set(exchange.request());
        exchange.startStream().write("data: {\"n\":1}\n\n");
        heldBack.set(clientHasFirst.await(10, TimeUnit.SECONDS));
        exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
    }

    /** Streams from {@code chat} and fails unless event 1 arrived while event 2 was held back. */
    void check(TestClient client, URI chat) throws Exception {
        try (TestClient.Stream stream = client.stream(chat, CHAT)) {
            assertEquals(200, stream.response().getStatus());
            assertEquals("{\"n\":1}", stream.nextEvent().data());
            clientHasFirst.countDown();
            assertEquals("{\"n\":2}", stream.nextEvent().data());
            assertEquals("[DONE]", stream.nextEvent().data());
            assertNull(stream.next());
        } finally {
            clientHasFirst.countDown();
        }
        assertTrue(heldBack.get(), "event 1 reached the client only after event 2 was sent");
    }

    /** The request the upstream answered, as it arrived there. */
    FakeUpstream.Request request() {
        return request.get();
    }
}
