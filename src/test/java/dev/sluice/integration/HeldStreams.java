package dev.sluice.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Many streams open at once: the upstream holds every one of them open after its first event
 * until all clients have theirs, so each stream must progress while all the others are open.
 */
final class HeldStreams {

    private final int count;
    private final CountDownLatch allHaveFirst;
    private final CountDownLatch release = new CountDownLatch(1);

    HeldStreams(int count) {
        this.count = count;
        this.allHaveFirst = new CountDownLatch(count);
    }

    /** What the upstream does with each stream's request. */
    void answer(FakeUpstream.Exchange exchange) throws Exception {
        exchange.startStream().write("data: {\"n\":1}\n\n");
        release.await(30, TimeUnit.SECONDS);
        exchange.write("data: {\"n\":2}\n\ndata: [DONE]\n\n").end();
    }

    /** Opens all streams from {@code chat} and fails unless each got its first event. */
    void check(TestClient client, URI chat, String server) throws Exception {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> streams = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                streams.add(Thread.ofVirtual().name("held-stream-" + i).start(() -> {
                    try (TestClient.Stream stream = client.stream(chat, OneByOne.CHAT)) {
                        assertEquals("{\"n\":1}", stream.nextEvent().data());
                        allHaveFirst.countDown();
                        assertEquals("{\"n\":2}", stream.nextEvent().data());
                        assertEquals("[DONE]", stream.nextEvent().data());
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            assertTrue(allHaveFirst.await(30, TimeUnit.SECONDS), (count - allHaveFirst
                    .getCount()) + " of " + count + " streams got their first event from "
                    + server);
        } finally {
            release.countDown();
        }
        for (Thread stream : streams) {
            assertTrue(stream.join(Duration.ofSeconds(30)), "a stream did not end");
        }
        assertTrue(failures.isEmpty(), () -> "streams failed: " + failures);
    }
}
