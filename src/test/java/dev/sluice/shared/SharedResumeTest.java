package dev.sluice.shared;

import static dev.sluice.testing.ReleasedEvents.take;
import static dev.sluice.testing.ReleasedEvents.whole;
import static dev.sluice.testing.Tokens.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Resume;
import dev.sluice.config.Secret;
import dev.sluice.config.Timeouts;
import dev.sluice.sse.SseEvent;
import dev.sluice.sse.SseItem;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RedisServer;
import dev.sluice.testing.ReleasedEvents;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.SharedRig;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two Sluice instances sharing one real redis-server: a resumable stream relayed by one is
 * resumed, taken over, stopped and kept alive through the other, exactly as in memory.
 */
class SharedResumeTest {

    static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String ALICE = "slc_shared-alice-0123456789";
    private static final String BOB = "slc_shared-bob-0123456789";
    static final int EVENTS = 6;

    @RegisterExtension
    final SharedRig rig = new SharedRig();
    private RedisServer redis;
    private TestClient client;

    @BeforeEach
    void start() {
        redis = rig.redis();
        client = rig.client();
    }


    private RunningSluice sluice(FakeUpstream upstream, Resume resume) throws Exception {
        return sluice(upstream, resume, Duration.ofMillis(100));
    }

    /** @param heartbeat how often a reader waiting for events writes a comment, and looks */
    private RunningSluice sluice(FakeUpstream upstream, Resume resume, Duration heartbeat)
            throws Exception {
        Timeouts d = Timeouts.DEFAULTS;
        RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                new Secret(RunningSluice.KEY)).resumable().resume(resume)
                .access(new Access(Map.of(
                        sha256(ALICE), new Client("alice", Set.of(), Set.of(), 0, 0, 0),
                        sha256(BOB), new Client("bob", Set.of(), Set.of(), 0, 0, 0)),
                        null, null, Set.of()))
                .timeouts(new Timeouts(d.connect(), d.response(), d.firstEvent(), d.idle(),
                        d.stream(), heartbeat))
                .sharing(rig.sharing(Duration.ofMillis(250)))
                .build());
        rig.closing(sluice);
        return sluice;
    }

    private FakeUpstream upstream(ReleasedEvents script) throws Exception {
        FakeUpstream upstream = new FakeUpstream(script);
        rig.closing(upstream);
        return upstream;
    }

    /** Two instances relaying one upstream, and a stream opened on the first (a). */
    private record Opened(ReleasedEvents script, RunningSluice a, RunningSluice b,
            TestClient.Stream first, String id) {}

    private Opened openOnA(int events, Resume resume) throws Exception {
        return openOnA(events, resume, Duration.ofMillis(100));
    }

    private Opened openOnA(int events, Resume resume, Duration heartbeat) throws Exception {
        ReleasedEvents script = new ReleasedEvents(events);
        FakeUpstream upstream = upstream(script);
        RunningSluice a = sluice(upstream, resume, heartbeat);
        RunningSluice b = sluice(upstream, resume, heartbeat);
        TestClient.Stream first = open(a);
        return new Opened(script, a, b, first,
                first.response().getHeaders().get("X-Sluice-Stream-Id"));
    }

    private static URI streamUri(RunningSluice sluice, String id) {
        return sluice.uri("/v1/streams/" + id);
    }

    private TestClient.Stream open(RunningSluice sluice) throws Exception {
        TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"), CHAT,
                "Authorization", "Bearer " + ALICE);
        assertEquals(200, stream.response().getStatus());
        return stream;
    }

    private TestClient.Stream resume(RunningSluice sluice, String id, long after)
            throws Exception {
        TestClient.Stream stream = client.streamGet(streamUri(sluice, id), "Authorization",
                "Bearer " + ALICE, "Last-Event-ID", id + ":" + after);
        assertEquals(200, stream.response().getStatus());
        return stream;
    }

    /** Polls readiness until the instance has Redis again: Lettuce reconnects in its own time. */
    private void awaitRedisReady(RunningSluice sluice) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String ready = "";
        while (System.nanoTime() < end) {
            ready = client.get(sluice.uri("/readyz")).getContentAsString();
            if (ready.contains("\"redis\":\"ok\"")) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(50); // a poll of another process's state, not a wait
        }
        throw new AssertionError("Redis is back, but Sluice still says: " + ready);
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

    @Test
    void aStreamRelayedByOneInstanceResumesThroughTheOtherOnceInOrderThenLive()
            throws Exception {
        Opened o = openOnA(EVENTS, Resume.DEFAULTS);
        String id = o.id();
        o.script().release(2);
        List<String> seen = new ArrayList<>(take(o.first(), id, 0, 2));
        o.first().abort();
        o.script().release(1); // relayed into the log with nobody reading

        TestClient.Stream resumed = resume(o.b(), id, 2);
        seen.addAll(take(resumed, id, 2, 1));
        // Live through the other instance: each next event is written only once the last came.
        for (int n = 4; n <= EVENTS + 1; n++) {
            o.script().release(1);
            seen.addAll(take(resumed, id, n - 1, 1));
        }
        assertEquals(whole(EVENTS), seen);
        assertTrue(rest(resumed, id, EVENTS + 1).isEmpty());
    }

    @Test
    void aReaderOnTheOtherInstanceGetsEachEventWhileTheHolderStillProducesIt()
            throws Exception {
        // Looks and heartbeats a minute apart: only the announcements on the stream's channel
        // keep the reader live.
        Resume resume = new Resume(Duration.ofMinutes(5), 64L << 20, Duration.ofSeconds(60),
                null, Resume.MAX_EVENTS, Duration.ofMinutes(1));
        Opened o = openOnA(EVENTS, resume, Duration.ofMinutes(1));
        String id = o.id();
        o.script().release(1);
        take(o.first(), id, 0, 1);
        TestClient.Stream onB = resume(o.b(), id, 1);
        // The upstream writes each next event only once the reader on B has the last one.
        for (int n = 2; n <= EVENTS + 1; n++) {
            o.script().release(1);
            assertEquals(whole(EVENTS).subList(n - 1, n), within(onB, id, n - 1),
                    "event " + n + " did not reach the reader on B while A relayed it");
        }
        assertTrue(rest(onB, id, EVENTS + 1).isEmpty());
    }

    /** The next event's data, taken within 10 s (well within the minute between looks). */
    static List<String> within(TestClient.Stream stream, String id, long after)
            throws InterruptedException {
        BlockingQueue<List<String>> next = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try {
                next.add(take(stream, id, after, 1));
            } catch (IOException | AssertionError e) {
                next.add(List.of("failed: " + e.getMessage()));
            }
        });
        List<String> data = next.poll(10, TimeUnit.SECONDS);
        return data == null ? List.of() : data;
    }

    @Test
    void aReaderOnOneInstanceEndsTheOlderReaderOnTheOther() throws Exception {
        Opened o = openOnA(EVENTS, Resume.DEFAULTS);
        String id = o.id();
        o.script().release(1);
        take(o.first(), id, 0, 1);

        // The reader on B takes over from the original client on A...
        TestClient.Stream onB = resume(o.b(), id, 1);
        assertTrue(ended(o.first()), "the original connection on A was not ended");
        o.script().release(1);
        assertEquals(whole(EVENTS).subList(1, 2), take(onB, id, 1, 1));
        // ... and a reader on A takes over from the one on B, with the same client: the ended
        // original response said Connection: close, so no request waits behind A's relay.
        TestClient.Stream onA = resume(o.a(), id, 2);
        assertTrue(ended(onB), "the reader on B was not ended");
        o.script().release(EVENTS + 1 - 2);
        assertEquals(whole(EVENTS).subList(2, EVENTS + 1), rest(onA, id, 2));
    }

    /** True when the stream's response ends, with no event more, within 10 s. */
    private static boolean ended(TestClient.Stream stream) throws InterruptedException {
        BlockingQueue<List<SseItem>> left = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try {
                left.add(stream.rest());
            } catch (IOException e) {
                left.add(List.of());
            }
        });
        List<SseItem> items = left.poll(10, TimeUnit.SECONDS);
        return items != null && items.stream().noneMatch(item -> item instanceof SseEvent e
                && e.data() != null);
    }

    @Test
    void aStopSentToTheOtherInstanceCancelsTheUpstreamAndTheLogEndsStopped() throws Exception {
        Opened o = openOnA(EVENTS, Resume.DEFAULTS);
        String id = o.id();
        o.script().release(2);
        take(o.first(), id, 0, 2);
        o.first().abort();

        ContentResponse stopped = client.delete(streamUri(o.b(), id), "Authorization",
                "Bearer " + ALICE);
        assertEquals(204, stopped.getStatus());
        assertTrue(o.script().cancelled.await(10, TimeUnit.SECONDS),
                "the upstream on A goes on");
        TestClient.Stream resumed = resume(o.b(), id, 2);
        assertEquals(": stopped\ndata: [DONE]\nid: " + id + ":3\n\n",
                new String(resumed.restBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void redisGoneMidStreamLeavesTheLiveClientAloneAndResumesAre503UntilItIsBack()
            throws Exception {
        ReleasedEvents script = new ReleasedEvents(EVENTS);
        AtomicReference<FakeUpstream.Script> scripts = new AtomicReference<>(script);
        FakeUpstream upstream = new FakeUpstream(exchange -> scripts.get().answer(exchange));
        rig.closing(upstream);
        RunningSluice a = sluice(upstream, Resume.DEFAULTS);
        TestClient.Stream first = open(a);
        String id = first.response().getHeaders().get("X-Sluice-Stream-Id");
        script.release(2);
        List<String> seen = new ArrayList<>(take(first, id, 0, 2));

        redis.kill();
        // Each next event is written only once the last one came: the client is live throughout.
        for (int n = 3; n <= EVENTS + 1; n++) {
            script.release(1);
            seen.addAll(take(first, id, n - 1, 1));
        }
        assertEquals(whole(EVENTS), seen);
        ContentResponse refused = client.getWith(streamUri(a, id), "Authorization",
                "Bearer " + ALICE, "Last-Event-ID", id + ":2");
        assertEquals(503, refused.getStatus(), refused.getContentAsString());
        assertTrue(refused.getContentAsString().contains("\"service_unavailable\""),
                refused.getContentAsString());

        // Back on its port (empty: it kept nothing), it serves new streams without a restart.
        redis.startAgain();
        ReleasedEvents again = new ReleasedEvents(1);
        scripts.set(again);
        awaitRedisReady(a);
        TestClient.Stream next = open(a);
        String nextId = next.response().getHeaders().get("X-Sluice-Stream-Id");
        again.release(1);
        assertEquals(List.of(whole(1).get(0)), take(next, nextId, 0, 1));
        next.abort();
        again.release(1);
        assertEquals(List.of("[DONE]"), rest(resume(a, nextId, 1), nextId, 1));
    }

    @Test
    void aReaderOnTheOtherInstanceKeepsTheStreamPastTheGraceAndItsLeavingEndsIt()
            throws Exception {
        Resume resume = new Resume(Duration.ofMinutes(5), 64L << 20, Duration.ofMillis(1500),
                null);
        Opened o = openOnA(EVENTS, resume);
        String id = o.id();
        o.script().release(1);
        take(o.first(), id, 0, 1);
        TestClient.Stream onB = resume(o.b(), id, 1);
        assertTrue(ended(o.first()));
        // Read on B for twice the grace: A sees the reader there and keeps the upstream.
        assertFalse(o.script().cancelled.await(3, TimeUnit.SECONDS),
                "the upstream was cancelled while a reader on B was reading");
        o.script().release(1);
        assertEquals(whole(EVENTS).subList(1, 2), take(onB, id, 1, 1));
        onB.abort();
        assertTrue(o.script().cancelled.await(10, TimeUnit.SECONDS),
                "nobody read anywhere for the grace, and the upstream went on");
        TestClient.Stream late = resume(o.b(), id, 2);
        List<String> end = rest(late, id, 2);
        assertEquals(2, end.size(), end.toString());
        assertTrue(end.get(0).contains("stream_abandoned"), end.get(0));
        assertEquals("[DONE]", end.get(1));
    }

    @Test
    void anotherCallersStreamAndAnUnknownIdAre404OnEveryInstance() throws Exception {
        Opened o = openOnA(EVENTS, Resume.DEFAULTS);
        String id = o.id();
        o.script().release(1);
        take(o.first(), id, 0, 1);
        for (RunningSluice sluice : List.of(o.a(), o.b())) {
            assertEquals(404, client.getWith(streamUri(sluice, id), "Authorization",
                    "Bearer " + BOB, "Last-Event-ID", id + ":1").getStatus());
            assertEquals(404, client.delete(streamUri(sluice, id), "Authorization",
                    "Bearer " + BOB).getStatus());
            assertEquals(404, client.getWith(streamUri(sluice, "AAAAAAAAAAAAAAAAAAAAAA"),
                    "Authorization", "Bearer " + ALICE).getStatus());
        }
        o.script().release(EVENTS);
        assertEquals(whole(EVENTS).subList(1, EVENTS + 1), rest(o.first(), id, 1));
    }

    @Test
    void aResumeAfterTheRetentionOrIntoATrimmedRangeIs410() throws Exception {
        int events = 300;
        // Kept about 10 events: Redis trims whole nodes of 100 entries, the oldest first.
        Resume resume = new Resume(Duration.ofSeconds(2), 64L << 20, Duration.ofMinutes(1),
                null, 10);
        Opened o = openOnA(events, resume);
        String id = o.id();
        o.script().release(events + 1);
        assertEquals(whole(events), rest(o.first(), id, 0));

        ContentResponse trimmed = client.getWith(streamUri(o.b(), id), "Authorization",
                "Bearer " + ALICE, "Last-Event-ID", id + ":1");
        assertEquals(410, trimmed.getStatus(), trimmed.getContentAsString());
        assertTrue(trimmed.getContentAsString().contains("trimmed"));
        // The last events are still there, to the end.
        assertEquals(List.of("[DONE]"), rest(resume(o.b(), id, events), id, events));

        ContentResponse expired = null;
        for (int i = 0; i < 100; i++) {
            expired = client.getWith(streamUri(o.b(), id), "Authorization", "Bearer " + ALICE,
                    "Last-Event-ID", id + ":" + events);
            if (expired.getStatus() != 200) {
                break;
            }
            Thread.sleep(50); // a poll's pace, until the retention passes
        }
        assertEquals(410, expired.getStatus(), expired.getContentAsString());
        assertTrue(expired.getContentAsString().contains("expired"));
        assertNotNull(id);
    }
}
