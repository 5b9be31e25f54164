package dev.sluice.testing;

import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * An upstream script for resumable streams: chat chunk {@code t1}, {@code t2}, ... then
 * {@code [DONE]}, each written only when the test releases it, so that a test decides what the
 * upstream has said at every step; {@link #cancelled} opens when the relay closes the upstream.
 */
public final class ReleasedEvents implements FakeUpstream.Script {

    public final CountDownLatch cancelled = new CountDownLatch(1);
    private final Semaphore permits = new Semaphore(0);
    private final int events;

    /** @param events the chunks before {@code [DONE]} */
    public ReleasedEvents(int events) {
        this.events = events;
    }

    @Override
    public void answer(FakeUpstream.Exchange exchange) throws Exception {
        exchange.startStream();
        for (int i = 1; i <= events + 1; i++) {
            while (!permits.tryAcquire(20, TimeUnit.MILLISECONDS)) {
                if (exchange.awaitPeerClosed(1, TimeUnit.MILLISECONDS)) {
                    cancelled.countDown();
                    return;
                }
            }
            try {
                exchange.write(i <= events ? event(i) : "data: [DONE]\n\n");
            } catch (IOException e) {
                cancelled.countDown();
                return;
            }
        }
        exchange.end();
    }

    /** Lets the upstream write its next {@code n} events ({@code [DONE]} counts as one). */
    public void release(int n) {
        permits.release(n);
    }

    /** Chunk {@code i} as the upstream writes it. */
    public static String event(int i) {
        return "data: {\"choices\":[{\"delta\":{\"content\":\"t" + i + "\"}}]}\n\n";
    }

    /** The data of a whole stream of {@code events} chunks: what every client must end with. */
    public static List<String> whole(int events) {
        List<String> data = new ArrayList<>();
        for (int i = 1; i <= events; i++) {
            String e = event(i);
            data.add(e.substring("data: ".length(), e.length() - 2));
        }
        data.add("[DONE]");
        return List.copyOf(data);
    }

    /**
     * The next {@code n} events' data, checking that each carries the next id after
     * {@code after}; a block without data (the priming id) is passed over.
     */
    public static List<String> take(TestClient.Stream stream, String id, long after, int n)
            throws IOException {
        List<String> data = new ArrayList<>();
        while (data.size() < n) {
            SseEvent event = stream.nextEvent();
            if (event.data() != null) {
                if (!(id + ":" + (after + data.size() + 1)).equals(event.id())) {
                    throw new AssertionError("expected id " + id + ":" + (after + data.size() + 1)
                            + ", got " + event.id());
                }
                data.add(event.data());
            }
        }
        return data;
    }

    /** The data of the events among {@code items}. */
    public static List<String> data(List<SseItem> items) {
        List<String> data = new ArrayList<>();
        for (SseItem item : items) {
            if (item instanceof SseEvent event && event.data() != null) {
                data.add(event.data());
            }
        }
        return data;
    }
}
