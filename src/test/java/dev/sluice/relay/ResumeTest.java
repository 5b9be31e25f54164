package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Resume;
import dev.sluice.config.Secret;
import dev.sluice.config.Timeouts;
import dev.sluice.resume.ReplayLog;
import dev.sluice.resume.Resumables;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.Relay;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import dev.sluice.web.Endpoints;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resumable streams end to end: ids, drops at any point, resume by {@code Last-Event-ID},
 * takeover, live following, grace and stop. Every resumed stream must equal the uninterrupted
 * one, event for event.
 */
class ResumeTest {

    static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    static final int EVENTS = 6;
    /** The data of the upstream's events, in order: what every client must end up with. */
    static final List<String> WHOLE = ReleasedEvents.whole(EVENTS);

    @RegisterExtension
    final Relay relay = new Relay();

    private URI start(ReleasedEvents upstream, Resume resume) throws Exception {
        relay.upstream(upstream);
        // Heartbeats are how a silent stream finds out that its client left: often, here.
        Timeouts d = Timeouts.DEFAULTS;
        return relay.start(TestConfig.relayingTo(relay.upstream().baseUrl(),
                new Secret(RunningSluice.KEY)).resumable().resume(resume)
                .timeouts(new Timeouts(d.connect(), d.response(), d.firstEvent(), d.idle(),
                        d.stream(), Duration.ofMillis(100))).build());
    }

    private URI resumeUri(String id) {
        return URI.create(relay.sluiceUrl() + "/v1/streams/" + id);
    }

    /** Reads the priming block as bytes: it must come before any event. */
    static void assertPrimed(TestClient.Stream stream, String id) throws IOException {
        assertEquals("id: " + id + ":0\n\n", stream.rawBlock());
    }

    /**
     * The next {@code n} events, checking each carries the next id. The parser hands on the
     * priming block as an event without data (a browser dispatches none): it is passed over.
     */
    static List<SseEvent> take(TestClient.Stream stream, String id, long after, int n)
            throws IOException {
        List<SseEvent> events = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            SseEvent event = stream.nextEvent();
            if (event.data() == null && event.id().equals(id + ":0")) {
                event = stream.nextEvent();
            }
            assertEquals(id + ":" + (after + i), event.id());
            events.add(event);
        }
        return events;
    }

    /** Everything left, as event data, checking the ids go on from {@code after}. */
    static List<String> rest(TestClient.Stream stream, String id, long after) throws IOException {
        List<String> data = new ArrayList<>();
        for (SseItem item : stream.rest()) {
            if (item instanceof SseEvent event && event.data() != null) {
                assertEquals(id + ":" + (after + data.size() + 1), event.id());
                data.add(event.data());
            }
        }
        return data;
    }

    private static List<String> data(List<SseEvent> events) {
        return events.stream().map(SseEvent::data).toList();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, EVENTS + 1})
    void aDropAfterAnyEventResumesToTheWholeStreamOnce(int k) throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        assertNotNull(id, "a resumable stream names its id");
        assertTrue(id.matches("[A-Za-z0-9_-]{22,}"), id);
        assertPrimed(first, id);
        upstream.release(k);
        List<String> seen = new ArrayList<>(data(take(first, id, 0, k)));
        first.abort();
        upstream.release(EVENTS + 1 - k); // the provider goes on generating meanwhile

        TestClient.Stream resumed = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":" + k);
        assertEquals(200, resumed.response().getStatus());
        assertEquals("text/event-stream", resumed.response().getHeaders()
                .get("Content-Type").split(";")[0]);
        seen.addAll(rest(resumed, id, k));
        assertEquals(WHOLE, seen);
    }

    @Test
    void anEventWrittenButNotReadArrivesOnceWhenThePreviousIdIsSentAgain() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        upstream.release(3);
        List<SseEvent> got = take(first, id, 0, 3);
        first.abort(); // event 3 reached the connection, but the client never handled it
        List<String> seen = new ArrayList<>(data(got.subList(0, 2)));
        upstream.release(EVENTS + 1 - 3);
        TestClient.Stream resumed = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":2");
        seen.addAll(rest(resumed, id, 2));
        assertEquals(WHOLE, seen);
    }

    @Test
    void aReconnectWhileTheOldConnectionIsOpenEndsTheOldOne() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream old = relay.client().stream(chat, CHAT);
        String id = old.response().getHeaders().get("X-Sluice-Stream-Id");
        upstream.release(2);
        List<String> seen = new ArrayList<>(data(take(old, id, 0, 2)));
        BlockingQueue<List<SseItem>> oldRest = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try {
                oldRest.add(old.rest());
            } catch (IOException e) {
                oldRest.add(List.of(new dev.sluice.sse.SseComment("failed: " + e)));
            }
        });

        TestClient.Stream newer = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":2");
        List<SseItem> left = oldRest.poll(10, TimeUnit.SECONDS);
        assertNotNull(left, "the older connection was not ended");
        assertTrue(left.stream().noneMatch(item -> item instanceof SseEvent), left.toString());
        // The ended response's connection, free in the client's pool now, must not hold a next
        // request until the stream it came from is over.
        ContentResponse health = relay.client().get(URI.create(relay.sluiceUrl() + "/healthz"));
        assertEquals(200, health.getStatus());
        upstream.release(EVENTS + 1 - 2);
        seen.addAll(rest(newer, id, 2));
        assertEquals(WHOLE, seen);
    }

    @Test
    void aResumeCatchesUpThenFollowsTheUpstreamLive() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        upstream.release(2);
        List<String> seen = new ArrayList<>(data(take(first, id, 0, 2)));
        first.abort();
        upstream.release(2);
        ReplayLog log = resumables().find(id).log();
        // Events 3 and 4 are in the log, written to nobody.
        assertTrue(log.read(3, Duration.ofSeconds(10), () -> false)
                instanceof ReplayLog.Entries e && !e.entries().isEmpty());

        TestClient.Stream resumed = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":2");
        seen.addAll(data(take(resumed, id, 2, 2)));
        // Live: the upstream writes each next event only once the last reached the client.
        for (int n = 5; n <= EVENTS + 1; n++) {
            upstream.release(1);
            seen.addAll(data(take(resumed, id, n - 1, 1)));
        }
        assertEquals(WHOLE, seen);
        assertTrue(rest(resumed, id, EVENTS + 1).isEmpty());
    }

    @Test
    void nobodyResumingWithinTheGraceCancelsTheUpstream() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, new Resume(Duration.ofMinutes(5), 64L << 20,
                Duration.ofMillis(200), null));
        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        upstream.release(1);
        take(first, id, 0, 1);
        first.abort();
        upstream.release(1);
        ReplayLog log = resumables().find(id).log();
        // Read on after the client left: the upstream is not cancelled at once.
        assertTrue(log.read(1, Duration.ofSeconds(10), () -> false)
                instanceof ReplayLog.Entries e && !e.entries().isEmpty());
        assertTrue(upstream.cancelled.await(10, TimeUnit.SECONDS),
                "the upstream was not cancelled after the grace period");
        assertTrue(log.awaitClosed(Duration.ofSeconds(10)));
        // A late resume replays to the end the stream had: an error event and [DONE].
        TestClient.Stream late = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":2");
        List<String> end = rest(late, id, 2);
        assertEquals(2, end.size(), end.toString());
        assertTrue(end.get(0).contains("stream_abandoned"), end.get(0));
        assertEquals("[DONE]", end.get(1));
    }

    @Test
    void aStopDuringTheGraceEndsTheStreamAndItReplaysToItsStoppedEnd() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        upstream.release(2);
        take(first, id, 0, 2);
        first.abort();

        ContentResponse stopped = relay.client().delete(resumeUri(id));
        assertEquals(204, stopped.getStatus());
        assertTrue(upstream.cancelled.await(10, TimeUnit.SECONDS));
        TestClient.Stream resumed = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":2");
        byte[] bytes = resumed.restBytes();
        assertEquals(": stopped\ndata: [DONE]\nid: " + id + ":3\n\n",
                new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aStopDuringALiveResumeEndsTheReaderWithTheStoppedEnd() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        upstream.release(1);
        take(first, id, 0, 1);
        first.abort();
        TestClient.Stream resumed = relay.client().streamGet(resumeUri(id),
                "Last-Event-ID", id + ":1");
        upstream.release(1);
        take(resumed, id, 1, 1);

        assertEquals(204, relay.client().delete(resumeUri(id)).getStatus());
        List<SseItem> end = resumed.rest();
        assertEquals(List.of(new dev.sluice.sse.SseComment("stopped"),
                new SseEvent(null, "[DONE]", id + ":3", null)), end);
        assertTrue(upstream.cancelled.await(10, TimeUnit.SECONDS));
    }

    @Test
    void anUnknownIdIs404AndAnIdForAnEventNotSentIs400() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        ContentResponse unknown = relay.client().get(resumeUri("AAAAAAAAAAAAAAAAAAAAAA"));
        assertEquals(404, unknown.getStatus());
        assertTrue(unknown.getContentAsString().contains("\"error\""));
        assertEquals(404, relay.client().delete(resumeUri("AAAAAAAAAAAAAAAAAAAAAA")).getStatus());

        TestClient.Stream first = relay.client().stream(chat, CHAT);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        ContentResponse ahead = relay.client().getWith(resumeUri(id), "Last-Event-ID", id + ":9");
        assertEquals(400, ahead.getStatus());
        ContentResponse other = relay.client().getWith(resumeUri(id), "Last-Event-ID", "x:1");
        assertEquals(400, other.getStatus());
        upstream.release(EVENTS + 1);
        assertEquals(WHOLE, rest(first, id, 0));
    }

    @Test
    void plainStreamsGetNoIdsAndCancelAtOnce() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        URI chat = relay.start(exchange -> {
            exchange.startStream().write(ReleasedEvents.event(1));
            // A provider generating: the relay finds out the client left at its next write.
            for (int i = 2; i < 500 && !exchange.awaitPeerClosed(20, TimeUnit.MILLISECONDS);
                    i++) {
                try {
                    exchange.write(ReleasedEvents.event(i));
                } catch (IOException e) {
                    break;
                }
            }
            if (exchange.awaitPeerClosed(1, TimeUnit.SECONDS)) {
                closed.countDown();
            }
        });
        TestClient.Stream stream = relay.client().stream(chat, CHAT);
        assertNull(stream.response().getHeaders().get("X-Sluice-Stream-Id"));
        assertEquals(ReleasedEvents.event(1), stream.rawBlock());
        stream.abort();
        assertTrue(closed.await(10, TimeUnit.SECONDS));
    }

    @Test
    void theRequestHeaderMakesAStreamResumableOnAnyRoute() throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream()
                .write("id: upstream-7\ndata: a\nretry: 3000\n\n").write("data: [DONE]\n\n")
                .end());
        TestClient.Stream stream = relay.client().stream(chat, CHAT,
                "X-Sluice-Resumable", "true");
        String id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
        assertNotNull(id);
        // The upstream's own id is replaced by Sluice's; retry passes through.
        assertEquals("id: " + id + ":0\n\ndata: a\nretry: 3000\nid: " + id + ":1\n\n"
                + "data: [DONE]\nid: " + id + ":2\n\n",
                new String(stream.restBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }

    private Resumables resumables() {
        return relay.sluice().server().getBean(Endpoints.class).resumables();
    }

    @Test
    void aStandardParserSeesThePrimingBlockAsNoEvent() throws Exception {
        ReleasedEvents upstream = new ReleasedEvents(EVENTS);
        URI chat = start(upstream, Resume.DEFAULTS);
        TestClient.Stream stream = relay.client().stream(chat, CHAT);
        upstream.release(EVENTS + 1);
        // The parser hands on the priming block as a block without data: a browser sets its
        // last event id from it and dispatches no event.
        String id = stream.response().getHeaders().get("X-Sluice-Stream-Id");
        assertEquals(new SseEvent(null, null, id + ":0", null), stream.next());
        SseItem first = stream.next();
        assertEquals(new SseEvent(null, WHOLE.getFirst(), id + ":1", null), first);
        assertFalse(stream.rest().isEmpty());
    }
}
